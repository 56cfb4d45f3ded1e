//===- KernelChecks.h - run-time checks of kernel operands ------*- C++ -*-===//
//
// Part of kiln. What the backends' kernels assume of their operands and
// check at run time where sizes are only known then (tfm.runtime_check,
// naming the node).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_COMMON_KERNELCHECKS_H
#define KILN_BACKENDS_COMMON_KERNELCHECKS_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/Builders.h"

namespace kiln {

/// An attention kernel reads a mask dim of size 1 with stride 0
/// (broadcast) and any other as the scores' [B, H, Sq, Sk]: checks that
/// each dim of `mask4` (the mask at rank 4) is one or the other where
/// either size is dynamic.
void checkAttentionMaskSizes(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::tfm::AttentionOp op, mlir::Value mask4);

} // namespace kiln

#endif // KILN_BACKENDS_COMMON_KERNELCHECKS_H
