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
/// memref.reshape), and 0-d linalg ops (scalar shape arithmetic, which
/// stays host code). Other linalg ops (copies included) become kernels.
bool isHostAccessed(Value value) {
  for (Operation *user : value.getUsers()) {
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user)) {
      if (linalgOp.getNumLoops() == 0 && !inKernel(user))
        return true;
      continue;
    }
    if (inKernel(user))
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

/// Host code reads `arg` (a shape input): it gets a managed copy.
void copyToManagedMemory(BlockArgument arg) {
  auto type = cast<MemRefType>(arg.getType());
  OpBuilder b = OpBuilder::atBlockBegin(arg.getOwner());
  Location loc = arg.getLoc();
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, arg, d));
  auto copy = gpu::AllocOp::create(b, loc, type, Type(), ValueRange(), sizes,
                                   ValueRange(), /*hostShared=*/true);
  arg.replaceUsesWithIf(copy.getMemref(), [&](OpOperand &use) {
    return !isa<memref::DimOp>(use.getOwner());
  });
  gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), copy.getMemref(),
                        arg);
}

struct GpuDeviceMemory
    : mlir::tfm::impl::GpuDeviceMemoryBase<GpuDeviceMemory> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Copies first: a 0-d copy is host code, which decides where the
    // buffers it touches live.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp op) {
      if (!inKernel(op))
        copies.push_back(op);
    });
    for (memref::CopyOp op : copies)
      replaceCopy(op);
    SmallVector<Operation *> buffers;
    func.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::GetGlobalOp>(op) && !inKernel(op))
        buffers.push_back(op);
    });
    for (BlockArgument arg : func.getArguments())
      if (isa<MemRefType>(arg.getType()) && isHostAccessed(arg))
        copyToManagedMemory(arg);
    for (Operation *op : buffers) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        replaceAlloc(alloc);
      else if (failed(replaceGetGlobal(cast<memref::GetGlobalOp>(op))))
        return signalPassFailure();
    }
  }
};

} // namespace
