//===- ChannelRescaling.h - moving scales between a matmul's inputs -*- C++ -*-===//
//
// Part of kiln. SmoothQuant and RepQuant both rewrite y = x W into the same
// y with a rescaled input, x' = x * mul + add per channel, and the weight
// (and bias) compensating for it. These are the two halves, shared: the
// input side folds into the producing norm when the matmuls are its only
// users, else becomes explicit tfm.mul / tfm.add.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_QUANTIZATION_CHANNELRESCALING_H
#define KILN_PASSES_QUANTIZATION_CHANNELRESCALING_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/MapVector.h"

#include <vector>

namespace mlir::tfm {

/// The quantizable matmuls (isQuantizableMatmul) of `module` grouped by
/// their input, in first-use order: the matmuls of a group must be
/// rescaled together.
llvm::MapVector<Value, llvm::SmallVector<MatmulOp, 3>>
groupMatmulsByInput(ModuleOp module);

/// Replaces the input x of every matmul in `group` (they share it) by
/// `x * mul + add` along the last dim (`add` may be empty: zero). Folded
/// into a layer_norm / rms_norm producing x when the group is all that
/// uses it (returns true then), else explicit ops.
bool rescaleInputChannels(llvm::ArrayRef<MatmulOp> group,
                          llvm::ArrayRef<float> mul, llvm::ArrayRef<float> add);

/// Gives `op` (isQuantizableMatmul) the weight diag(scale) W and, when
/// `shift` is not empty, the bias `bias + shift * diag(scale) W`, so that
/// `(x' + shift) diag(scale) W` = the old result for x = scale (x' + shift).
/// Fails (with an error on the op) on a computed bias.
LogicalResult scaleWeightRows(MatmulOp op, llvm::ArrayRef<float> scale,
                              llvm::ArrayRef<float> shift);

/// x W = (x / s) (diag(s) W) for every matmul of `group` (sharing x): the
/// two halves above, and their calibrated input range (`min`, `max`)
/// divided by `s`. Fails (with an error) as scaleWeightRows.
LogicalResult divideInputChannels(llvm::ArrayRef<MatmulOp> group,
                                  llvm::ArrayRef<float> min,
                                  llvm::ArrayRef<float> max,
                                  llvm::ArrayRef<float> s);

/// max over n of |W[k, n]| for each input channel k of `op`'s weight.
std::vector<float> weightRowAbsMax(MatmulOp op);

} // namespace mlir::tfm

#endif // KILN_PASSES_QUANTIZATION_CHANNELRESCALING_H
