//===- EmulateOnHost.cpp - GPU launches as CPU loops ----------------------===//
//
// Part of kiln. Implements kiln-gpu-emulate-on-host (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_GPUEMULATEONHOST
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

LogicalResult emulate(gpu::LaunchOp launch) {
  WalkResult unsupported = launch.getBody().walk([](Operation *op) {
    if (isa<NVVM::NVVMDialect>(op->getDialect()) ||
        (isa<gpu::GPUDialect>(op->getDialect()) &&
         !isa<gpu::TerminatorOp>(op)))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (unsupported.wasInterrupted())
    return launch.emitError("this kernel cannot be emulated on the host");
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  SmallVector<Value> upper{grid.x, grid.y, grid.z, block.x, block.y, block.z};
  SmallVector<Value> lower(6, zero), steps(6, one);
  auto loop = scf::ParallelOp::create(b, loc, lower, upper, steps);
  SmallVector<Value> ivs(loop.getBody()->getArguments());

  Block &body = launch.getBody().front();
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  gpu::KernelDim3 threadIds = launch.getThreadIds();
  gpu::KernelDim3 gridArgs = launch.getGridSize();
  gpu::KernelDim3 blockArgs = launch.getBlockSize();
  auto replace = [](gpu::KernelDim3 from, Value x, Value y, Value z) {
    from.x.replaceAllUsesWith(x);
    from.y.replaceAllUsesWith(y);
    from.z.replaceAllUsesWith(z);
  };
  replace(blockIds, ivs[0], ivs[1], ivs[2]);
  replace(threadIds, ivs[3], ivs[4], ivs[5]);
  replace(gridArgs, grid.x, grid.y, grid.z);
  replace(blockArgs, block.x, block.y, block.z);
  body.getTerminator()->erase();
  Block *inner = loop.getBody();
  inner->getOperations().splice(inner->getTerminator()->getIterator(),
                                body.getOperations());
  launch.erase();
  return success();
}

struct GpuEmulateOnHost
    : mlir::tfm::impl::GpuEmulateOnHostBase<GpuEmulateOnHost> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<gpu::LaunchOp, gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto launch = dyn_cast<gpu::LaunchOp>(op)) {
        if (failed(emulate(launch)))
          return signalPassFailure();
      } else if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
        if (alloc.getAsyncToken())
          return alloc.emitError("async GPU ops cannot be emulated"),
                 signalPassFailure();
        auto host = memref::AllocOp::create(
            b, loc, alloc.getMemref().getType(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands());
        alloc.getMemref().replaceAllUsesWith(host.getResult());
        alloc.erase();
      } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
        memref::DeallocOp::create(b, loc, dealloc.getMemref());
        dealloc.erase();
      } else {
        auto copy = cast<gpu::MemcpyOp>(op);
        memref::CopyOp::create(b, loc, copy.getSrc(), copy.getDst());
        copy.erase();
      }
    }
  }
};

} // namespace
