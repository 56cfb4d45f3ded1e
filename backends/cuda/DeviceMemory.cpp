//===- DeviceMemory.cpp - host-created buffers live on the device ---------===//
//
// Part of kiln. Implements kiln-gpu-device-memory (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/GpuUtils.h"
#include "backends/cuda/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_GPUDEVICEMEMORY
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using kiln::cuda::inKernel;

namespace {

/// Whether host code reads or writes the buffer `value` (or a view of it)
/// directly: shape tensors built and read element by element (also by
/// memref.reshape), and 0-d
/// linalg ops (scalar shape arithmetic, which stays host code). Other
/// linalg ops and copies do not count; they become kernels.
bool isHostAccessed(Value value) {
  for (Operation *user : value.getUsers()) {
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user)) {
      if (linalgOp.getNumLoops() == 0 && !inKernel(user))
        return true;
      continue;
    }
    if (inKernel(user) || isa<memref::CopyOp>(user))
      continue;
    // memref.reshape reads its shape operand on the host.
    if (auto reshape = dyn_cast<memref::ReshapeOp>(user))
      if (reshape.getShape() == value)
        return true;
    if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
      if (view.getViewSource() == value &&
          isHostAccessed(user->getResult(0)))
        return true;
      continue;
    }
    if (isa<memref::LoadOp, memref::StoreOp>(user))
      return true;
  }
  return false;
}

void replaceAlloc(memref::AllocOp alloc) {
  OpBuilder b(alloc);
  // Buffers the host touches are managed memory, which both sides reach.
  auto device = gpu::AllocOp::create(
      b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
      /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
      alloc.getSymbolOperands(), /*hostShared=*/isHostAccessed(alloc));
  alloc.replaceAllUsesWith(device.getMemref());
  alloc.erase();
}

/// A copy becomes a linalg.copy, which becomes a kernel.
void replaceCopy(memref::CopyOp copy) {
  OpBuilder b(copy);
  linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                         copy.getTarget());
  copy.erase();
}

/// Copies a host constant into a fresh device buffer (managed if the host
/// reads it too); buffer deallocation frees it like any allocation.
LogicalResult replaceGetGlobal(memref::GetGlobalOp global) {
  auto type = cast<MemRefType>(global.getType());
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return global.emitError("constant of type ")
           << type << " cannot be copied to the GPU";
  OpBuilder b(global);
  b.setInsertionPointAfter(global);
  Location loc = global.getLoc();
  auto device =
      gpu::AllocOp::create(b, loc, type, Type(), ValueRange(), ValueRange(),
                           ValueRange(), isHostAccessed(global.getResult()));
  // Uses are rewired first so that the copy keeps reading the global.
  global.getResult().replaceAllUsesWith(device.getMemref());
  gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), device.getMemref(),
                        global.getResult());
  return success();
}

struct GpuDeviceMemory
    : mlir::tfm::impl::GpuDeviceMemoryBase<GpuDeviceMemory> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Operation *> hostOps;
    func.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::CopyOp, memref::GetGlobalOp>(op) &&
          !inKernel(op))
        hostOps.push_back(op);
    });
    for (Operation *op : hostOps) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        replaceAlloc(alloc);
      else if (auto copy = dyn_cast<memref::CopyOp>(op))
        replaceCopy(copy);
      else if (failed(replaceGetGlobal(cast<memref::GetGlobalOp>(op))))
        return signalPassFailure();
    }
  }
};

} // namespace
