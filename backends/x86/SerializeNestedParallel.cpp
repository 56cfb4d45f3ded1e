//===- SerializeNestedParallel.cpp - one level of parallel loops ----------===//
//
// Part of kiln. Implements kiln-serialize-nested-parallel (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/LoopUtils.h"
#include "backends/x86/Passes.h"


namespace mlir::tfm {
#define GEN_PASS_DEF_X86SERIALIZENESTEDPARALLEL
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct X86SerializeNestedParallel
    : mlir::tfm::impl::X86SerializeNestedParallelBase<
          X86SerializeNestedParallel> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> nested;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>() &&
          loop.getNumReductions() == 0)
        nested.push_back(loop);
    });
    // Each loop is moved into its new nest as a whole, so the order does not
    // matter.
    for (scf::ParallelOp loop : llvm::reverse(nested))
      kiln::serializeParallelLoop(loop);
  }
};

} // namespace
