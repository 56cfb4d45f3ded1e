//===- Common.h - what the tfm-to-linalg lowerings share --------*- C++ -*-===//
//
// Part of kiln. The lowering of tfm to linalg, tensor, arith and math on
// tensors is split by op family, one file each (as onnx-mlir splits its
// per-op lowerings), each with a populate...Patterns function; this header
// holds what they share: building blocks for shapes, elementwise
// linalg.generic ops with NumPy broadcasting (resolved at run time where
// dynamic dims meet), run-time checks naming the node, scalar math and
// reductions.
//
// Broadcasting where dynamic dims meet (Add, Where, Expand, ...) is resolved
// at run time: each dynamic size must be the result's or 1, checked by a
// tfm.runtime_check naming the node, and an operand that is 1 at run time is
// repeated to the result's size (resolveBroadcast). Internal elementwise
// steps of other lowerings have consistent shapes and use plain maps.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_LOWERING_TFMTOLINALG_COMMON_H
#define KILN_PASSES_LOWERING_TFMTOLINALG_COMMON_H

#include "dialects/tfm/TfmOps.h"
#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir::tfm::lowering {

/// The base of every tfm-to-linalg pattern.
template <typename OpTy> struct TfmPattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
};

//===--- The op families (one file each) ----------------------------------===//

/// Constants, unary and binary math, comparisons, select, casts, clip,
/// GELU and SiLU.
void populateElementwisePatterns(RewritePatternSet &patterns);
/// Reductions, arg-max, cumulative sums and softmax.
void populateReductionPatterns(RewritePatternSet &patterns);
/// Reshapes, transposes, concat/slice/split, gather, embedding and scatter
/// (indices checked when `checks.indices`), expand, squeeze/unsqueeze,
/// shape, constant-of-shape, range, trilu.
void populateDataMovementPatterns(RewritePatternSet &patterns,
                                  const TfmToLinalgChecks &checks);
/// tfm.matmul with its epilogues (bias, activation, residual).
void populateMatmulPatterns(RewritePatternSet &patterns);
/// Layer norm and RMS norm.
void populateNormPatterns(RewritePatternSet &patterns);
/// Attention, flash-style over key blocks.
void populateAttentionPatterns(RewritePatternSet &patterns);
/// Convolution.
void populateConvPatterns(RewritePatternSet &patterns);
/// Rotary position embedding.
void populateRopePatterns(RewritePatternSet &patterns);

//===--- Shared building blocks
//--------------------------------------------===//

inline RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value indexConst(OpBuilder &b, Location loc, int64_t v);

/// Dimension `d` of `v` as an index value (a constant when static).
Value dimOf(OpBuilder &b, Location loc, Value v, int64_t d);

OpFoldResult dimOfFold(OpBuilder &b, Location loc, Value v, int64_t d);

/// An empty tensor of `type` whose dynamic dims are given by `dimValue`.
Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type,
                function_ref<Value(int64_t)> dimValue);

Value zeroOf(OpBuilder &b, Location loc, Type type);

Value floatConst(OpBuilder &b, Location loc, Type type, double v);

Value filled(OpBuilder &b, Location loc, Value empty, Value scalar);

/// Casts `v` to `type` with tensor.cast when the static info differs.
Value castTo(OpBuilder &b, Location loc, Value v, Type type);

/// The map that reads an operand of shape `shape` in a loop nest of `rank`
/// dims with NumPy broadcasting (aligned right; static 1s read index 0).
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape, int64_t rank,
                       ArrayRef<int64_t> loopShape);

/// The value of result dim `d` of a broadcast of `operands` to `type`.
Value broadcastDim(OpBuilder &b, Location loc, ValueRange operands,
                   RankedTensorType type, int64_t d);

/// An elementwise linalg.generic over `operands` broadcast to `type`, whose
/// dynamic dims are `resultDim(d)`.
Value elementwiseSized(
    OpBuilder &b, Location loc, RankedTensorType type, ValueRange operands,
    function_ref<Value(int64_t)> resultDim,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// An elementwise linalg.generic over `operands` broadcast to `type`.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange operands,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// How run-time check messages name an op (the dialect's, TfmOps.h).
using tfm::nodeLabel;

/// Fails the run with `message` (placeholders {0}, {1}) unless `ok`.
void runtimeCheck(OpBuilder &b, Location loc, Value ok, const Twine &message,
                  ValueRange values);

/// Fails the run with `message` (placeholder {0}: `size`) unless `size` is
/// at least `least`: the sizes shapes computed at run time give.
void checkAtLeast(OpBuilder &b, Location loc, Value size, int64_t least,
                  const Twine &message);

/// Fails the run with `message` (placeholder {0}: `size`) unless `size` is
/// `expected`.
void checkEqualTo(OpBuilder &b, Location loc, Value size, int64_t expected,
                  const Twine &message);

/// `v` with its dim `dim` (1 at run time) repeated `size` times.
Value repeatUnitDim(OpBuilder &b, Location loc, Value v, int64_t dim,
                    Value size);

/// Operands and result sizes of a broadcast resolved at run time.
struct ResolvedBroadcast {
  SmallVector<Value> operands;
  SmallVector<Value> sizes; // One per result dim.
};

/// NumPy broadcasting of `operands` to `type`, resolved at run time where
/// dynamic dims meet. At each result dim the sizes taking part are the
/// operands' (aligned right) and `shapeSizes[d]` when given (Expand's target
/// shape); a static 1 takes none. The result's size is the static one if
/// any, else the largest; every dynamic size must be it or 1, else the run
/// fails naming `op` and both sizes. An operand whose dynamic dim is 1 at run
/// time while the result's is larger is repeated to the result's size (only
/// then: an scf.if), so that the elementwise maps, the identity on dynamic
/// dims, read it right.
///
/// With `coreDims`, the last `coreDims` dims of the result and of every
/// operand take no part (a matmul's rows and columns): only the leading
/// dims broadcast, and `sizes` holds those. `shapeName` names the sizes of
/// `shapeSizes` in messages (possessive: "the target shape's"), which are
/// also checked non-negative.
ResolvedBroadcast resolveBroadcast(OpBuilder &b, Location loc, Operation *op,
                                   ValueRange operands, RankedTensorType type,
                                   ArrayRef<Value> shapeSizes = {},
                                   int64_t coreDims = 0,
                                   StringRef shapeName = "the target shape's");

/// An elementwise op over operands with NumPy broadcasting, checked and
/// resolved at run time (resolveBroadcast).
Value broadcastElementwise(
    OpBuilder &b, Location loc, Operation *op, RankedTensorType type,
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body);

inline bool isFloat(Type t) { return isa<FloatType>(t); }

Value add(OpBuilder &b, Location loc, Value x, Value y);

Value sub(OpBuilder &b, Location loc, Value x, Value y);

Value mul(OpBuilder &b, Location loc, Value x, Value y);

Value div(OpBuilder &b, Location loc, Value x, Value y);

Value maxOf(OpBuilder &b, Location loc, Value x, Value y);

Value minOf(OpBuilder &b, Location loc, Value x, Value y);

/// Converts a scalar between element types with ONNX Cast semantics.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to);

/// Reads element `i` of a 1-D integer tensor as an index.
Value extractIndex(OpBuilder &b, Location loc, Value tensor, int64_t i);

/// Scalar gelu in the erf or tanh form.
Value geluScalar(OpBuilder &b, Location loc, Value x, bool tanhForm);

Value sigmoidScalar(OpBuilder &b, Location loc, Value x);

Value activationScalar(OpBuilder &b, Location loc, Value x,
                       tfm::Activation activation);

/// Reduction identity for a combiner.
Value reduceInit(OpBuilder &b, Location loc, Type t, tfm::ReduceKind kind);

/// Reduces `input` over the sorted `axes`, dropping them. `combine` folds
/// one element into the accumulator.
Value reduceDims(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// The product of dims `axes` of `v` as a scalar of float type `t`.
Value countOf(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes,
              Type t);

/// Re-inserts size-1 dims at `axes` into a reduced tensor (keepdims).
Value keepDims(OpBuilder &b, Location loc, Value reduced, RankedTensorType type,
               ArrayRef<int64_t> axes);

/// A map from a loop nest of `rank` dims to the dims not in `axes`.
AffineMap dropDimsMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes);

/// Softmax of `input` over `axis` (log-softmax with `log`); a slice whose
/// elements are all -inf gives zeros.
Value softmax(OpBuilder &b, Location loc, Value input, int64_t axis, bool log);

} // namespace mlir::tfm::lowering

#endif // KILN_PASSES_LOWERING_TFMTOLINALG_COMMON_H
