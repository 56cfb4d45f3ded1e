//===- SyncManagedAllocs.cpp - managed allocations leave the stream -------===//
//
// Part of kiln. Implements kiln-gpu-sync-managed-allocs (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_GPUSYNCMANAGEDALLOCS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct GpuSyncManagedAllocs
    : mlir::tfm::impl::GpuSyncManagedAllocsBase<GpuSyncManagedAllocs> {
  void runOnOperation() override {
    SmallVector<gpu::AllocOp> allocs;
    getOperation().walk([&](gpu::AllocOp op) {
      if (op.getHostShared() && op.getAsyncToken())
        allocs.push_back(op);
    });
    for (gpu::AllocOp op : allocs) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      gpu::WaitOp::create(b, loc, Type(), op.getAsyncDependencies());
      auto sync = gpu::AllocOp::create(
          b, loc, op.getMemref().getType(), Type(), ValueRange(),
          op.getDynamicSizes(), op.getSymbolOperands(), /*hostShared=*/true);
      auto token = gpu::WaitOp::create(
          b, loc, gpu::AsyncTokenType::get(&getContext()), ValueRange());
      op.getMemref().replaceAllUsesWith(sync.getMemref());
      op.getAsyncToken().replaceAllUsesWith(token.getAsyncToken());
      op.erase();
    }
  }
};

} // namespace
