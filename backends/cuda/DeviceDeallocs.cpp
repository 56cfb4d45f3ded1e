//===- DeviceDeallocs.cpp - free device buffers on the device -------------===//
//
// Part of kiln. Implements kiln-gpu-device-deallocs (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/GpuUtils.h"
#include "backends/cuda/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_GPUDEVICEDEALLOCS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using kiln::cuda::inKernel;
using kiln::cuda::viewedBuffer;

namespace {

struct GpuDeviceDeallocs
    : mlir::tfm::impl::GpuDeviceDeallocsBase<GpuDeviceDeallocs> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) {
      if (!inKernel(op) &&
          !viewedBuffer(op.getMemref()).getDefiningOp<memref::AllocOp>())
        deallocs.push_back(op);
    });
    for (memref::DeallocOp op : deallocs) {
      OpBuilder b(op);
      gpu::DeallocOp::create(b, op.getLoc(), /*asyncToken=*/Type(),
                             /*asyncDependencies=*/ValueRange(),
                             op.getMemref());
      op.erase();
    }
  }
};

} // namespace
