//===- MatmulKernels.h - matmuls handed to a backend's GEMM kernel -*- C++ -*-===//
//
// Part of kiln. What the x86 and CUDA GEMM passes share: a matmul whose
// right operand is a 2-D f32 weight is replaced by a call of a GEMM kernel
// function (written in MLIR by the backend) on its left operand flattened
// to [M, K], with the epilogue left as tfm elementwise ops.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_COMMON_MATMULKERNELS_H
#define KILN_BACKENDS_COMMON_MATMULKERNELS_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinOps.h"

namespace kiln {

/// Whether `op` is f32, untransposed on the left, with a 2-D f32 constant
/// weight on the right.
bool isWeightMatmul(mlir::tfm::MatmulOp op);

/// The matmuls of `module` that isWeightMatmul accepts.
llvm::SmallVector<mlir::tfm::MatmulOp> collectWeightMatmuls(mlir::ModuleOp module);

/// The weight's K and N (after `transpose_rhs`).
std::pair<int64_t, int64_t> weightMatmulSizes(mlir::tfm::MatmulOp op);

/// Moves everything `source` defines into `module`, with its module
/// attributes (such as gpu.container_module for a GPU kernel's gpu.module).
void moveModuleContents(mlir::ModuleOp source, mlir::ModuleOp module);

/// Unless `module` has a symbol `name`: parses `source` (which defines
/// `name`) and moves all it defines into `module`, with its module
/// attributes; symbols `module` already has (declarations of runtime
/// functions several kernels call) are not moved again.
mlir::LogicalResult addKernelFunction(mlir::ModuleOp module,
                                      llvm::StringRef name,
                                      llvm::StringRef source);

/// `x` as `type` (a tensor.cast where the types differ): kernel functions
/// take dynamic sizes.
mlir::Value castTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                   mlir::Type type);

/// The per-head log decays of `op` as a tensor<?xf32> constant, one zero
/// when it has none: the linear-attention kernels' `log_decay` operand.
mlir::Value linearAttentionLogDecays(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::tfm::LinearAttentionOp op);

/// A 1-D i64 tfm.constant: a shape operand.
mlir::Value shapeConstant(mlir::OpBuilder &b, mlir::Location loc,
                          llvm::ArrayRef<int64_t> values);

/// `x` [..., C] as tensor<?x?xf32> [rows, C] (a tfm.reshape and a cast).
mlir::Value flattenToRows(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value x);

/// The [rows, C] type `type` [..., C] flattens to, rows static when every
/// leading dim is.
mlir::Type flattenedType(mlir::RankedTensorType type);

/// The kernel's C [M, N] (tensor<?x?xf32>) back to op's result shape: A's
/// leading dims plus N.
mlir::Value unflattenResult(mlir::OpBuilder &b, mlir::tfm::MatmulOp op,
                            mlir::Value c);

/// The same for any matmul-like op: C [M, N] to `type`, `lhs`'s leading
/// dims plus N.
mlir::Value unflattenRows(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value lhs, mlir::RankedTensorType type,
                          mlir::Value c);

/// The product of x's leading dims (its rows flattened to [rows, C]), as
/// an index.
mlir::Value rowCount(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// The parts of a matmul's epilogue a kernel applied itself.
struct FusedEpilogue {
  bool bias = false, activation = false, residual = false;
};

/// A matmul-like op's epilogue: `activation(x + bias) + residual`.
struct Epilogue {
  mlir::Value bias;
  std::optional<mlir::tfm::Activation> activation;
  mlir::Value residual;
};

/// Applies the parts of op's epilogue (bias, activation, residual) that
/// `fused` does not name to `result`, as tfm elementwise ops.
mlir::Value applyEpilogue(mlir::OpBuilder &b, mlir::tfm::MatmulOp op,
                          mlir::Value result, const FusedEpilogue &fused);

/// The same for any matmul-like op with result type `type`.
mlir::Value applyEpilogue(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::RankedTensorType type,
                          const Epilogue &epilogue, mlir::Value result,
                          const FusedEpilogue &fused);

/// Calls the row kernel `kernel` on (lhs flattened to [rows, K] f32,
/// `operands`..., the bias as tensor<?xf32> when `fused.bias`, the residual
/// flattened to rows when `fused.residual`), which returns
/// tensor<?x?xf32> [rows, N]; returns that as `type` (lhs's leading dims
/// plus N) with the epilogue parts `fused` does not name applied.
mlir::Value callRowKernel(mlir::OpBuilder &b, mlir::Location loc,
                          llvm::StringRef kernel, mlir::Value lhs,
                          mlir::ValueRange operands,
                          mlir::RankedTensorType type,
                          const Epilogue &epilogue,
                          const FusedEpilogue &fused);

/// A KILN_UK_ACT_* code (runtime/ukernels/ukernels.h) for `act`; 0 for
/// none.
int64_t activationCode(std::optional<mlir::tfm::Activation> act);

/// Replaces `op` by `kernel(A as tensor<?x?xf32> [M, K], extraOperands...)`
/// returning tensor<?x?xf32> [M, N]; the result is reshaped back to A's
/// leading dims plus N, then bias, activation and residual are applied as
/// tfm ops.
void replaceWithKernelCall(mlir::tfm::MatmulOp op, llvm::StringRef kernel,
                           mlir::ValueRange extraOperands);

} // namespace kiln

#endif // KILN_BACKENDS_COMMON_MATMULKERNELS_H
