//===- LaunchParallelLoops.cpp - loop nests become kernels ----------------===//
//
// Part of kiln. Implements kiln-gpu-launch-parallel-loops (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/LoopUtils.h"
#include "backends/cuda/GpuUtils.h"
#include "backends/cuda/Passes.h"


namespace mlir::tfm {
#define GEN_PASS_DEF_GPULAUNCHPARALLELLOOPS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

Value ceilDiv(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::CeilDivSIOp::create(b, loc, x, y);
}

/// Replaces `loop` by a 1-D launch over its linearized iteration space.
void launch(scf::ParallelOp loop, int64_t blockSize) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  // Trip counts, and their product.
  SmallVector<Value> trips;
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (auto [lb, ub, step] : llvm::zip(
           loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    Value span = arith::SubIOp::create(b, loc, ub, lb);
    trips.push_back(ceilDiv(b, loc, span, step));
    total = arith::MulIOp::create(b, loc, total, trips.back());
  }
  // CUDA rejects an empty grid: an empty iteration space launches nothing.
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                         total, zero);
  auto ifOp = scf::IfOp::create(b, loc, nonEmpty, /*withElse=*/false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value block = arith::ConstantIndexOp::create(b, loc, blockSize);
  // Small iteration spaces get one block of just enough threads.
  Value threads = arith::MinSIOp::create(b, loc, total, block);
  Value grid = ceilDiv(b, loc, total, threads);
  auto launchOp = gpu::LaunchOp::create(b, loc, grid, one, one, threads, one,
                                        one);
  b.setInsertionPointToStart(&launchOp.getBody().front());
  gpu::KernelDim3 blockIds = launchOp.getBlockIds();
  gpu::KernelDim3 threadIds = launchOp.getThreadIds();
  gpu::KernelDim3 blockDims = launchOp.getBlockSize();
  Value linear = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, blockIds.x, blockDims.x),
      threadIds.x);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                        linear, total);
  auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
  gpu::TerminatorOp::create(b, loc);

  // Delinearize, last dim fastest, and move the body in.
  b.setInsertionPointToStart(guard.thenBlock());
  Block &body = loop.getRegion().front();
  SmallVector<Value> ivs(trips.size());
  Value rest = linear;
  for (size_t d = trips.size(); d-- > 0;) {
    Value index = d ? arith::RemSIOp::create(b, loc, rest, trips[d])
                    : rest;
    if (d)
      rest = arith::DivSIOp::create(b, loc, rest, trips[d]);
    Value offset = arith::MulIOp::create(b, loc, index, loop.getStep()[d]);
    ivs[d] = arith::AddIOp::create(b, loc, loop.getLowerBound()[d], offset);
  }
  body.getTerminator()->erase();
  for (auto [arg, iv] : llvm::zip(body.getArguments(), ivs))
    arg.replaceAllUsesWith(iv);
  Block *then = guard.thenBlock();
  then->getOperations().splice(then->getTerminator()->getIterator(),
                               body.getOperations());
  loop.erase();
}

/// Whether the host may read and write `buffer`: host stack memory, or
/// managed memory (gpu.alloc host_shared), possibly through views.
bool isHostReachable(Value buffer) {
  buffer = kiln::cuda::viewedBuffer(buffer);
  if (buffer.getDefiningOp<memref::AllocaOp>())
    return true;
  auto alloc = buffer.getDefiningOp<gpu::AllocOp>();
  return alloc && alloc.getHostShared();
}

/// Whether host op `op` reads or writes a buffer in device memory.
bool touchesDeviceMemory(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects || isa<gpu::GPUDialect>(op->getDialect()))
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [](MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect()) &&
           e.getValue() && isa<BaseMemRefType>(e.getValue().getType()) &&
           !isHostReachable(e.getValue());
  });
}

/// Runs the host loop nest `loop` as a single-thread kernel.
void launchSerially(scf::ForOp loop) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto launchOp = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
  b.setInsertionPointToStart(&launchOp.getBody().front());
  auto terminator = gpu::TerminatorOp::create(b, loc);
  loop->moveBefore(terminator);
}

struct GpuLaunchParallelLoops
    : mlir::tfm::impl::GpuLaunchParallelLoopsBase<GpuLaunchParallelLoops> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<scf::ParallelOp> outermost, nested;
    func.walk([&](scf::ParallelOp loop) {
      (loop->getParentOfType<scf::ParallelOp>() ? nested : outermost)
          .push_back(loop);
    });
    for (scf::ParallelOp loop : outermost)
      if (loop.getNumReductions() != 0) {
        loop.emitError("a parallel loop with reductions cannot run as a "
                       "GPU kernel yet");
        return signalPassFailure();
      }
    // Parallel loops inside a kernel run sequentially in their thread.
    for (scf::ParallelOp loop : llvm::reverse(nested))
      kiln::serializeParallelLoop(loop);
    for (scf::ParallelOp loop : outermost)
      launch(loop, blockSize);
    // Serial loop nests left on the host that touch device memory.
    SmallVector<scf::ForOp> serial;
    func.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop)
        return WalkResult::advance();
      bool hasKernels = false, touchesDevice = false;
      loop.walk([&](Operation *inner) {
        hasKernels |= isa<gpu::LaunchOp, scf::ParallelOp>(inner);
        touchesDevice |= touchesDeviceMemory(inner);
      });
      // (A loop yielding values, such as buffers it updates, cannot move
      // into a kernel.)
      if (hasKernels || !touchesDevice || loop.getNumResults() != 0)
        return WalkResult::advance();
      serial.push_back(loop);
      return WalkResult::skip();
    });
    for (scf::ForOp loop : serial)
      launchSerially(loop);

    // What remains on the host must not touch device memory.
    WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (!touchesDeviceMemory(op))
        return WalkResult::advance();
      op->emitError("'") << op->getName()
                         << "' would access device memory from the host; "
                            "the CUDA backend cannot run it";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
