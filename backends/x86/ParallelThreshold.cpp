//===- ParallelThreshold.cpp - no threads for work too small to pay -------===//
//
// Part of kiln. Implements kiln-parallel-threshold (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/x86/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/Matchers.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86PARALLELTHRESHOLD
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Whether one iteration of `body` runs loops or calls (a microkernel):
/// then even two iterations are worth two threads.
bool isHeavy(Region &body) {
  bool heavy = false;
  body.walk([&](Operation *op) {
    if (isa<LoopLikeOpInterface, CallOpInterface>(op) ||
        op->getNumSuccessors() > 0) {
      heavy = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return heavy;
}

struct X86ParallelThreshold
    : mlir::tfm::impl::X86ParallelThresholdBase<X86ParallelThreshold> {
  using X86ParallelThresholdBase::X86ParallelThresholdBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp maxThreads;
    auto getMaxThreads = [&]() {
      if (maxThreads)
        return maxThreads;
      maxThreads = module.lookupSymbol<func::FuncOp>("omp_get_max_threads");
      if (!maxThreads) {
        OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
        maxThreads = func::FuncOp::create(
            b, module.getLoc(), "omp_get_max_threads",
            b.getFunctionType({}, {b.getI32Type()}));
        maxThreads.setPrivate();
      }
      return maxThreads;
    };
    module.walk([&](omp::ParallelOp parallel) {
      if (parallel.getIfExpr() || parallel.getNumThreads())
        return;
      omp::LoopNestOp nest;
      parallel.walk([&](omp::LoopNestOp op) {
        if (!nest)
          nest = op;
      });
      if (!nest)
        return;
      int64_t ops = 0; // at least the terminator
      nest.getRegion().walk([&](Operation *) { ++ops; });
      int64_t minTrips = isHeavy(nest.getRegion())
                             ? 2
                             : (static_cast<int64_t>(minWork) + ops - 1) / ops;
      if (minTrips <= 1)
        return;
      // The bounds come from outside the parallel region (scf-to-openmp
      // keeps the scf.parallel's operands); anything else is left alone.
      for (Value v : nest.getOperands())
        if (parallel.getRegion().isAncestor(v.getParentRegion()))
          return;
      OpBuilder b(parallel);
      Location loc = parallel.getLoc();
      Value trips = arith::ConstantIndexOp::create(b, loc, 1);
      for (auto [lb, ub, step] :
           llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                     nest.getLoopSteps())) {
        Value span = b.createOrFold<arith::SubIOp>(loc, ub, lb);
        Value count = b.createOrFold<arith::CeilDivSIOp>(loc, span, step);
        trips = b.createOrFold<arith::MulIOp>(loc, trips, count);
      }
      Value enough = b.createOrFold<arith::CmpIOp>(
          loc, arith::CmpIPredicate::sge, trips,
          arith::ConstantIndexOp::create(b, loc, minTrips));
      // Statically enough: no clause at all.
      if (matchPattern(enough, m_One()))
        return;
      // num_threads(enough ? omp_get_max_threads() : 1) rather than an if
      // clause: Debian's libomp (LLVM 14) has no __kmpc_fork_call_if. A team
      // of one runs serialized in the calling thread.
      Value all =
          func::CallOp::create(b, loc, getMaxThreads(), ValueRange{})
              .getResult(0);
      Value one = arith::ConstantIntOp::create(b, loc, 1, 32);
      parallel.getNumThreadsMutable().assign(
          b.createOrFold<arith::SelectOp>(loc, enough, all, one));
    });
  }
};

} // namespace
