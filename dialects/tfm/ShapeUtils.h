//===- ShapeUtils.h - shape arithmetic shared by tfm ops --------*- C++ -*-===//
//
// Part of kiln. Shape helpers for type inference and verification of `tfm`
// ops: NumPy broadcasting with dynamic dimensions, compatibility of an op's
// declared result types with the inferred ones, and reading constant shape
// operands.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_TFM_SHAPEUTILS_H
#define KILN_DIALECTS_TFM_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/TypeRange.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::tfm {

/// Broadcasts the shapes `a` and `b` with NumPy rules. A dynamic dimension
/// against 1 stays dynamic; against a static size `n > 1` it becomes `n`
/// (the program is assumed correct, as ONNX Runtime does). Returns
/// std::nullopt when two static sizes differ and neither is 1.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Infers the ranked tensor type that broadcasting all of `operandTypes`
/// gives. Its element type is `elementType`, or the operands' common element
/// type when null (they must then agree). Emits a diagnostic for op
/// `opName` at `loc` on failure.
llvm::LogicalResult inferBroadcastResult(std::optional<Location> loc,
                                         llvm::StringRef opName,
                                         TypeRange operandTypes,
                                         Type elementType,
                                         llvm::SmallVectorImpl<Type> &results);

/// Two ranked tensor types are compatible when element types and ranks
/// agree and every pair of dimensions is equal or has a dynamic member.
bool areCompatibleTensorTypes(Type a, Type b);

/// An op's declared result types are compatible with its inferred ones when
/// they match pairwise in the sense of areCompatibleTensorTypes: the
/// declared type may be more static (a refinement) but never contradict.
bool areCompatibleReturnTypes(TypeRange inferred, TypeRange declared);

/// When `value` is produced by a constant holding integers, returns them.
std::optional<llvm::SmallVector<int64_t>> getConstantIntValues(Value value);

/// Reads a shape operand: its static length is the result rank; entries are
/// the constant values when the operand is a constant, or a concatenation
/// with constant pieces (negative entries become dynamic), and dynamic
/// otherwise. Returns std::nullopt when the
/// operand's length is not static.
std::optional<llvm::SmallVector<int64_t>> getShapeOperandDims(Value shape);

/// One entry of a shape operand as far as it can be traced: a constant, or
/// dimension `dim` of tensor `of` read through shape/gather/slice/unsqueeze
/// and concatenation (how exporters build `view(b, t, h, -1)` shapes), or
/// neither (`of` null, no constant).
struct ShapeEntry {
  std::optional<int64_t> constant;
  Value of;
  int64_t dim = 0;
};

/// The entries of a rank-1 shape operand of static length, each traced as
/// ShapeEntry says; std::nullopt when the length is not static.
std::optional<llvm::SmallVector<ShapeEntry>> getShapeOperandEntries(Value shape);

/// The value of the single -1 entry of reshaping `input` to a shape with
/// `entries` (getShapeOperandEntries) when it follows from them alone
/// although `input` has dynamic dims: every dynamic dim of `input` is
/// copied by an entry (traced to it), so the -1 is the product of the
/// remaining static dims over the constant entries.
std::optional<int64_t> inferReshapeWildcard(Value input,
                                            llvm::ArrayRef<ShapeEntry> entries);

/// ONNX Slice on a dimension of static size `dim`: the first index taken
/// (negative `start` counts from the end, then clamps into the dimension).
int64_t sliceStart(int64_t dim, int64_t start, int64_t step);

/// ONNX Slice on a dimension of static size `dim`: how many elements
/// `[start, end)` with `step` (nonzero, negative goes backwards) selects.
int64_t sliceSize(int64_t dim, int64_t start, int64_t end, int64_t step);

/// ONNX Split into `pieces` without sizes: each piece is ceil(dim / pieces)
/// long and the last takes what remains. Returns the size of piece `index`.
int64_t equalSplitSize(int64_t dim, int64_t pieces, int64_t index);

/// Formats a shape as `2x?x768` for diagnostics.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Formats one dimension for diagnostics: its size, or `?` when dynamic.
std::string formatDim(int64_t dim);

/// Whether `axes` is strictly increasing with every entry in [0, rank).
bool isSortedUniqueAxes(llvm::ArrayRef<int64_t> axes, int64_t rank);

} // namespace mlir::tfm

#endif // KILN_DIALECTS_TFM_SHAPEUTILS_H
