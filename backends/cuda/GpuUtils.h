//===- GpuUtils.h - helpers shared by the CUDA passes -----------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_CUDA_GPUUTILS_H
#define KILN_BACKENDS_CUDA_GPUUTILS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln::cuda {

/// Whether `op` runs inside a kernel rather than on the host.
inline bool inKernel(mlir::Operation *op) {
  return op->getParentOfType<mlir::gpu::LaunchOp>() ||
         op->getParentOfType<mlir::gpu::GPUFuncOp>();
}

/// The buffer `value` views (through view ops and
/// extract_strided_metadata), or `value` itself.
inline mlir::Value viewedBuffer(mlir::Value value) {
  while (true) {
    if (auto view = value.getDefiningOp<mlir::ViewLikeOpInterface>())
      value = view.getViewSource();
    else if (auto meta = value.getDefiningOp<
                         mlir::memref::ExtractStridedMetadataOp>())
      value = meta.getSource();
    else
      return value;
  }
}

} // namespace kiln::cuda

#endif // KILN_BACKENDS_CUDA_GPUUTILS_H
