//===- DataMovement.cpp - lower tfm's data movement ops -------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/TfmToLinalg/Common.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm::lowering;
namespace tfm = mlir::tfm;
using utils::IteratorType;

namespace {

struct LowerReshape : TfmPattern<tfm::ReshapeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    auto xt = tensorTypeOf(x);
    // Resolve the shape at run time: a -1 entry takes what is left of the
    // element count.
    Value total = indexConst(rewriter, loc, 1);
    for (int64_t d = 0; d < xt.getRank(); ++d)
      total = arith::MulIOp::create(rewriter, loc, total,
                                    dimOf(rewriter, loc, x, d));
    SmallVector<Value> entries;
    Value known = indexConst(rewriter, loc, 1);
    Value minusOne = indexConst(rewriter, loc, -1);
    for (int64_t i = 0; i < type.getRank(); ++i) {
      Value e = type.isDynamicDim(i)
                    ? extractIndex(rewriter, loc, op.getShape(), i)
                    : indexConst(rewriter, loc, type.getDimSize(i));
      entries.push_back(e);
      Value isInferred = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, e, minusOne);
      known = arith::SelectOp::create(
          rewriter, loc, isInferred, known,
          arith::MulIOp::create(rewriter, loc, known, e).getResult());
    }
    // An empty tensor makes `known` 0; its -1 entry is then 0 too.
    Value one = indexConst(rewriter, loc, 1);
    Value safeKnown = arith::MaxSIOp::create(rewriter, loc, known, one);
    Value inferred = arith::DivSIOp::create(rewriter, loc, total, safeKnown);
    SmallVector<Value> dims;
    std::string label = nodeLabel(op);
    Value product = indexConst(rewriter, loc, 1);
    for (auto [i, e] : llvm::enumerate(entries)) {
      Value isInferred = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, e, minusOne);
      if (type.isDynamicDim(i)) // -1 is the inferred entry.
        checkAtLeast(rewriter, loc, e, -1,
                     label + ": entry " + Twine(i) +
                         " of the target shape is {0}, a negative size");
      dims.push_back(
          arith::SelectOp::create(rewriter, loc, isInferred, inferred, e));
      product = arith::MulIOp::create(rewriter, loc, product, dims.back());
    }
    // The element count is kept (and a -1 divided evenly).
    runtimeCheck(rewriter, loc,
                 arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                       product, total),
                 label + ": cannot reshape {0} elements into a shape of {1}",
                 ValueRange{total, product});
    auto shapeType =
        RankedTensorType::get({type.getRank()}, rewriter.getIndexType());
    Value shape = tensor::FromElementsOp::create(rewriter, loc, shapeType, dims);
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, type, x, shape);
    return success();
  }
};

struct LowerTranspose : TfmPattern<tfm::TransposeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> perm = op.getPermutation();
    Value init = emptyLike(rewriter, loc, op.getType(), [&](int64_t d) {
      return dimOf(rewriter, loc, op.getInput(), perm[d]);
    });
    auto transpose =
        linalg::TransposeOp::create(rewriter, loc, op.getInput(), init, perm);
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct LowerConcat : TfmPattern<tfm::ConcatOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConcatOp op,
                                PatternRewriter &rewriter) const override {
    // Inputs that are statically empty along the axis add nothing (and
    // tensor.concat's decomposition would slice past the end for them).
    SmallVector<Value> inputs;
    for (Value input : op.getInputs())
      if (tensorTypeOf(input).getDimSize(op.getAxis()) != 0)
        inputs.push_back(input);
    if (inputs.empty())
      inputs.push_back(op.getInputs().front());
    Value result =
        inputs.size() == 1
            ? inputs.front()
            : tensor::ConcatOp::create(rewriter, op.getLoc(), op.getAxis(),
                                       inputs)
                  .getResult();
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), result, op.getType()));
    return success();
  }
};

struct LowerSlice : TfmPattern<tfm::SliceOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SliceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xt = tensorTypeOf(x);
    ArrayRef<int64_t> axes = op.getAxes(), steps = op.getSteps();
    if (llvm::any_of(steps, [](int64_t s) { return s < 0; }))
      return rewriter.notifyMatchFailure(
          op, "negative slice steps are not supported by the lowering yet");
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < xt.getRank(); ++d) {
      offsets.push_back(rewriter.getIndexAttr(0));
      sizes.push_back(dimOfFold(rewriter, loc, x, d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value zero = indexConst(rewriter, loc, 0);
    for (auto [i, axis] : llvm::enumerate(axes)) {
      Value dim = dimOf(rewriter, loc, x, axis);
      // Bounds are i64 and may be huge (INT64_MAX means "to the end").
      auto bound = [&](Value tensor) {
        Value v = tensor::ExtractOp::create(
            rewriter, loc, tensor, ValueRange{indexConst(rewriter, loc, i)});
        Value dim64 = arith::IndexCastOp::create(rewriter, loc,
                                                 rewriter.getI64Type(), dim);
        Value zero64 = zeroOf(rewriter, loc, rewriter.getI64Type());
        Value neg = arith::CmpIOp::create(rewriter, loc,
                                          arith::CmpIPredicate::slt, v, zero64);
        Value wrapped = arith::SelectOp::create(
            rewriter, loc, neg,
            arith::AddIOp::create(rewriter, loc, v, dim64).getResult(), v);
        Value clamped = arith::MinSIOp::create(
            rewriter, loc,
            arith::MaxSIOp::create(rewriter, loc, wrapped, zero64).getResult(),
            dim64);
        return arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), clamped)
            .getResult();
      };
      Value start = bound(op.getStarts());
      Value end = bound(op.getEnds());
      Value step = indexConst(rewriter, loc, steps[i]);
      Value span = arith::MaxSIOp::create(
          rewriter, loc, arith::SubIOp::create(rewriter, loc, end, start).getResult(),
          zero);
      Value size = arith::CeilDivSIOp::create(rewriter, loc, span, step);
      offsets[axis] = start;
      sizes[axis] = size;
      strides[axis] = rewriter.getIndexAttr(steps[i]);
    }
    Value slice = tensor::ExtractSliceOp::create(rewriter, loc, x, offsets,
                                                 sizes, strides);
    rewriter.replaceOp(op, castTo(rewriter, loc, slice, op.getType()));
    return success();
  }
};

struct LowerSplit : TfmPattern<tfm::SplitOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SplitOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xt = tensorTypeOf(x);
    int64_t axis = op.getAxis(), pieces = op.getOutputs().size();
    Value dim = dimOf(rewriter, loc, x, axis);
    Value chunk = arith::CeilDivSIOp::create(
        rewriter, loc, dim, indexConst(rewriter, loc, pieces));
    Value offset = indexConst(rewriter, loc, 0);
    // Given sizes must add up to a dim only known at run time (the verifier
    // checks a static one): else the last pieces would read past it.
    if (std::optional<ArrayRef<int64_t>> given = op.getSizes();
        given && xt.isDynamicDim(axis)) {
      int64_t total = 0;
      for (int64_t s : *given)
        total += s;
      checkEqualTo(rewriter, loc, dim, total,
                   nodeLabel(op) + ": the split sizes add up to " +
                       Twine(total) + " but dimension " + Twine(axis) +
                       " is {0}");
    }
    SmallVector<Value> results;
    for (int64_t i = 0; i < pieces; ++i) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      Value size;
      if (std::optional<ArrayRef<int64_t>> given = op.getSizes())
        size = indexConst(rewriter, loc, (*given)[i]);
      else
        size = arith::MaxSIOp::create(
            rewriter, loc,
            arith::MinSIOp::create(
                rewriter, loc, chunk,
                arith::SubIOp::create(rewriter, loc, dim, offset).getResult())
                .getResult(),
            indexConst(rewriter, loc, 0));
      for (int64_t d = 0; d < xt.getRank(); ++d) {
        offsets.push_back(d == axis ? OpFoldResult(offset)
                                    : rewriter.getIndexAttr(0));
        sizes.push_back(d == axis ? OpFoldResult(size)
                                  : dimOfFold(rewriter, loc, x, d));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      Value piece = tensor::ExtractSliceOp::create(rewriter, loc, x, offsets,
                                                   sizes, strides);
      results.push_back(
          castTo(rewriter, loc, piece, op.getOutputs()[i].getType()));
      offset = arith::AddIOp::create(rewriter, loc, offset, size);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// gather(input, indices, axis): result[pre, idx..., post] =
/// input[pre, wrap(indices[idx...]), post].
/// Fails the run unless every one of `indices` is in [-size, size) for
/// dim `axis` of `input`: one pass over the indices for their least and
/// greatest (serial code, before the gather's parallel loops).
void checkIndices(OpBuilder &b, Location loc, Operation *op, Value input,
                  Value indices, int64_t axis) {
  MLIRContext *ctx = b.getContext();
  auto idxType = tensorTypeOf(indices);
  int64_t staticSize = tensorTypeOf(input).getDimSize(axis);
  DenseIntElementsAttr constant;
  if (!ShapedType::isDynamic(staticSize) &&
      matchPattern(indices, m_Constant(&constant)) &&
      llvm::all_of(constant.getValues<APInt>(), [&](const APInt &i) {
        return i.getSExtValue() >= -staticSize && i.getSExtValue() < staticSize;
      }))
    return; // Known in range.
  Type t = idxType.getElementType();
  int64_t rank = idxType.getRank();
  auto scalarType = RankedTensorType::get({}, t);
  unsigned width = t.getIntOrFloatBitWidth();
  auto extreme = [&](bool least) {
    APInt v = least ? APInt::getSignedMaxValue(width)
                    : APInt::getSignedMinValue(width);
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, t);
    return filled(b, loc, init,
                  arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v)));
  };
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, {}, ctx),
                                 AffineMap::get(rank, 0, {}, ctx)};
  SmallVector<IteratorType> iterators(rank, IteratorType::reduction);
  auto bounds = linalg::GenericOp::create(
      b, loc, TypeRange{scalarType, scalarType}, ValueRange{indices},
      ValueRange{extreme(true), extreme(false)}, maps, iterators,
      [](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::MinSIOp::create(nb, l, a[0], a[1]),
                       arith::MaxSIOp::create(nb, l, a[0], a[2])});
      });
  auto extract = [&](unsigned i) -> Value {
    Value v = tensor::ExtractOp::create(b, loc, bounds.getResult(i),
                                        ValueRange{});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  };
  Value least = extract(0), greatest = extract(1);
  Value size = dimOf(b, loc, input, axis);
  Value low = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::slt, least,
      arith::SubIOp::create(b, loc, indexConst(b, loc, 0), size));
  Value high =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, greatest, size);
  Value bad = arith::SelectOp::create(b, loc, low, least, greatest);
  Value ok = arith::XOrIOp::create(
      b, loc, arith::OrIOp::create(b, loc, low, high),
      arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  runtimeCheck(b, loc, ok,
               nodeLabel(op) + ": index {0} is out of range for dimension " +
                   Twine(axis) + " of size {1}",
               ValueRange{bad, size});
}

Value gather(OpBuilder &b, Location loc, Value input, Value indices,
             int64_t axis, RankedTensorType type) {
  MLIRContext *ctx = b.getContext();
  auto it = tensorTypeOf(input);
  auto idxType = tensorTypeOf(indices);
  int64_t rank = type.getRank(), ir = idxType.getRank();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = axis; d < axis + ir; ++d)
    idxExprs.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps{AffineMap::get(rank, 0, idxExprs, ctx),
                              AffineMap::getMultiDimIdentityMap(rank, ctx)};
  Value init = emptyLike(b, loc, type, [&](int64_t d) {
    if (d < axis)
      return dimOf(b, loc, input, d);
    if (d < axis + ir)
      return dimOf(b, loc, indices, d - axis);
    return dimOf(b, loc, input, d - ir + 1);
  });
  SmallVector<IteratorType> parallel(rank, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{indices}, ValueRange{init},
             maps, parallel,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value i = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                                    a[0]);
               Value size = dimOf(nb, l, input, axis);
               Value neg = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::slt, i, indexConst(nb, l, 0));
               i = arith::SelectOp::create(
                   nb, l, neg, arith::AddIOp::create(nb, l, i, size).getResult(),
                   i);
               SmallVector<Value> at;
               for (int64_t d = 0; d < axis; ++d)
                 at.push_back(linalg::IndexOp::create(nb, l, d));
               at.push_back(i);
               for (int64_t d = axis + 1; d < it.getRank(); ++d)
                 at.push_back(linalg::IndexOp::create(nb, l, d - 1 + ir));
               linalg::YieldOp::create(
                   nb, l, tensor::ExtractOp::create(nb, l, input, at).getResult());
             })
      .getResult(0);
}

struct LowerGather : TfmPattern<tfm::GatherOp> {
  LowerGather(MLIRContext *ctx, bool check) : TfmPattern(ctx), check(check) {}
  LogicalResult matchAndRewrite(tfm::GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (check)
      checkIndices(rewriter, op.getLoc(), op, op.getInput(), op.getIndices(),
                   op.getAxis());
    rewriter.replaceOp(op, gather(rewriter, op.getLoc(), op.getInput(),
                                  op.getIndices(), op.getAxis(),
                                  op.getType()));
    return success();
  }
  bool check;
};

struct LowerEmbedding : TfmPattern<tfm::EmbeddingOp> {
  LowerEmbedding(MLIRContext *ctx, bool check)
      : TfmPattern(ctx), check(check) {}
  LogicalResult matchAndRewrite(tfm::EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<quant::QuantizedType>(op.getTable().getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "quantized table");
    if (check)
      checkIndices(rewriter, op.getLoc(), op, op.getTable(), op.getIds(), 0);
    rewriter.replaceOp(op, gather(rewriter, op.getLoc(), op.getTable(),
                                  op.getIds(), 0, op.getType()));
    return success();
  }
  bool check;
};

struct LowerExpand : TfmPattern<tfm::ExpandOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ExpandOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    int64_t shapeOffset =
        type.getRank() - tensorTypeOf(op.getShape()).getDimSize(0);
    // ONNX Expand broadcasts both ways: the input against the target shape.
    SmallVector<Value> shapeSizes(type.getRank());
    for (int64_t d = shapeOffset; d < type.getRank(); ++d)
      shapeSizes[d] = extractIndex(rewriter, loc, op.getShape(), d - shapeOffset);
    ResolvedBroadcast r =
        resolveBroadcast(rewriter, loc, op, ValueRange{x}, type, shapeSizes);
    Value result = elementwiseSized(
        rewriter, loc, type, r.operands,
        [&](int64_t d) { return r.sizes[d]; },
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Squeeze and unsqueeze as collapse/expand of size-1 dims.
struct LowerSqueeze : TfmPattern<tfm::SqueezeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SqueezeOp op,
                                PatternRewriter &rewriter) const override {
    auto xt = tensorTypeOf(op.getInput());
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (int64_t d = 0; d < xt.getRank(); ++d) {
      pending.push_back(d);
      if (!llvm::is_contained(op.getAxes(), d)) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    if (!pending.empty() && !groups.empty())
      llvm::append_range(groups.back(), pending);
    // A squeezed dim that is dynamic in the type must be 1 at run time
    // (checked); make it static first so collapse_shape accepts it.
    Value input = op.getInput();
    for (int64_t a : op.getAxes())
      if (xt.isDynamicDim(a))
        checkEqualTo(rewriter, op.getLoc(),
                     dimOf(rewriter, op.getLoc(), input, a), 1,
                     nodeLabel(op) + ": squeezed dimension " + Twine(a) +
                         " is {0}, not 1");
    SmallVector<int64_t> shape(xt.getShape());
    for (int64_t a : op.getAxes())
      shape[a] = 1;
    input = castTo(rewriter, op.getLoc(), input, xt.clone(shape));
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, op.getType(),
                                                         input, groups);
    return success();
  }
};

struct LowerUnsqueeze : TfmPattern<tfm::UnsqueezeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::UnsqueezeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    SmallVector<OpFoldResult> outShape;
    int64_t src = 0;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      pending.push_back(d);
      if (llvm::is_contained(op.getAxes(), d)) {
        outShape.push_back(rewriter.getIndexAttr(1));
        continue;
      }
      outShape.push_back(dimOfFold(rewriter, loc, x, src++));
      groups.push_back(pending);
      pending.clear();
    }
    if (!pending.empty() && !groups.empty())
      llvm::append_range(groups.back(), pending);
    if (tensorTypeOf(x).getRank() == 0)
      groups.clear();
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, x, groups,
                                                       outShape);
    return success();
  }
};

struct LowerShape : TfmPattern<tfm::ShapeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ShapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> dims;
    for (int64_t d = op.getStart(); d < op.getEndDim(); ++d)
      dims.push_back(arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI64Type(),
          dimOf(rewriter, loc, op.getInput(), d)));
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, op.getType(),
                                                        dims);
    return success();
  }
};

struct LowerConstantOfShape : TfmPattern<tfm::ConstantOfShapeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConstantOfShapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::string label = nodeLabel(op);
    Value empty = emptyLike(rewriter, loc, op.getType(), [&](int64_t d) {
      Value size = extractIndex(rewriter, loc, op.getShape(), d);
      checkAtLeast(rewriter, loc, size, 0,
                   label + ": dimension " + Twine(d) +
                       " of the shape is {0}, a negative size");
      return size;
    });
    Value value = arith::ConstantOp::create(rewriter, loc, op.getValue());
    rewriter.replaceOp(op, filled(rewriter, loc, empty, value));
    return success();
  }
};

struct LowerRange : TfmPattern<tfm::RangeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::RangeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type t = op.getType().getElementType();
    auto scalar = [&](Value v) {
      return tensor::ExtractOp::create(rewriter, loc, v, ValueRange{})
          .getResult();
    };
    Value start = scalar(op.getStart()), limit = scalar(op.getLimit()),
          delta = scalar(op.getDelta());
    Value length;
    if (isFloat(t)) {
      Value n = math::CeilOp::create(
          rewriter, loc,
          arith::DivFOp::create(rewriter, loc,
                                arith::SubFOp::create(rewriter, loc, limit, start)
                                    .getResult(),
                                delta)
              .getResult());
      length = arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), n);
      length = arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), length);
    } else {
      // A zero delta is invalid ONNX; divide by 1 then rather than trap.
      Value zeroD = zeroOf(rewriter, loc, t);
      Value isZero = arith::CmpIOp::create(rewriter, loc,
                                           arith::CmpIPredicate::eq, delta,
                                           zeroD);
      Value safeDelta = arith::SelectOp::create(
          rewriter, loc, isZero,
          arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(t, 1)),
          delta);
      Value n = arith::CeilDivSIOp::create(
          rewriter, loc, arith::SubIOp::create(rewriter, loc, limit, start),
          safeDelta);
      length = arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), n);
    }
    length = arith::MaxSIOp::create(rewriter, loc, length,
                                    indexConst(rewriter, loc, 0));
    RankedTensorType type = op.getType();
    Value empty = emptyLike(rewriter, loc, type, [&](int64_t) { return length; });
    MLIRContext *ctx = rewriter.getContext();
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
            {AffineMap::getMultiDimIdentityMap(1, ctx)},
            {IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange) {
              Value i = linalg::IndexOp::create(b, l, 0);
              Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
              Value iv = convertScalar(b, l, i64, t);
              linalg::YieldOp::create(b, l,
                                      add(b, l, start, mul(b, l, iv, delta)));
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(rewriter, loc, result, op.getType()));
    return success();
  }
};

struct LowerTrilu : TfmPattern<tfm::TriluOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::TriluOp op,
                                PatternRewriter &rewriter) const override {
    int64_t rank = op.getType().getRank();
    int64_t k = static_cast<int64_t>(op.getK());
    bool upper = op.getUpper();
    Type t = op.getType().getElementType();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value row = linalg::IndexOp::create(b, l, rank - 2);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value diff = arith::SubIOp::create(b, l, col, row);
          Value keep = arith::CmpIOp::create(
              b, l,
              upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, indexConst(b, l, k));
          return arith::SelectOp::create(b, l, keep, a[0], zeroOf(b, l, t));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// scatter_nd with scalar loops over the index tuples and slice elements.
struct LowerScatterND : TfmPattern<tfm::ScatterNDOp> {
  LowerScatterND(MLIRContext *ctx, bool check)
      : TfmPattern(ctx), check(check) {}
  LogicalResult matchAndRewrite(tfm::ScatterNDOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = op.getData(), indices = op.getIndices(),
          updates = op.getUpdates();
    auto dt = tensorTypeOf(data), it = tensorTypeOf(indices);
    int64_t k = it.getShape().back();
    int64_t tupleRank = it.getRank() - 1, sliceRank = dt.getRank() - k;
    // Component j of every index tuple must be in range for data's dim j,
    // else the insert below writes out of bounds: checked like gather's,
    // one slice of the indices per component, before the loops.
    for (int64_t j = 0; check && j < k; ++j) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d <= tupleRank; ++d) {
        offsets.push_back(rewriter.getIndexAttr(d == tupleRank ? j : 0));
        sizes.push_back(d == tupleRank ? rewriter.getIndexAttr(1)
                                       : dimOfFold(rewriter, loc, indices, d));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      Value component = tensor::ExtractSliceOp::create(
          rewriter, loc, indices, offsets, sizes, strides);
      checkIndices(rewriter, loc, op, data, component, j);
    }
    // Loop bounds: the tuple dims, then the slice dims.
    SmallVector<Value> ubs;
    for (int64_t d = 0; d < tupleRank; ++d)
      ubs.push_back(dimOf(rewriter, loc, indices, d));
    for (int64_t d = k; d < dt.getRank(); ++d)
      ubs.push_back(dimOf(rewriter, loc, data, d));
    Value zero = indexConst(rewriter, loc, 0), one = indexConst(rewriter, loc, 1);
    SmallVector<Value> lbs(ubs.size(), zero), stepsV(ubs.size(), one);
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, stepsV, ValueRange{data},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange iter) {
          SmallVector<Value> at;
          for (int64_t j = 0; j < k; ++j) {
            SmallVector<Value> idx(ivs.take_front(tupleRank));
            idx.push_back(indexConst(b, l, j));
            Value v = tensor::ExtractOp::create(b, l, indices, idx);
            Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), v);
            Value size = dimOf(b, l, data, j);
            Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              i, indexConst(b, l, 0));
            at.push_back(arith::SelectOp::create(
                b, l, neg, arith::AddIOp::create(b, l, i, size).getResult(),
                i));
          }
          llvm::append_range(at, ivs.drop_front(tupleRank));
          Value u = tensor::ExtractOp::create(b, l, updates, ivs);
          Value inserted = tensor::InsertOp::create(b, l, u, iter[0], at);
          return SmallVector<Value>{inserted};
        });
    (void)sliceRank;
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }
  bool check;
};

} // namespace

void mlir::tfm::lowering::populateDataMovementPatterns(
    RewritePatternSet &patterns, const TfmToLinalgChecks &checks) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LowerReshape, LowerTranspose, LowerConcat, LowerSlice,
               LowerSplit, LowerExpand, LowerSqueeze, LowerUnsqueeze,
               LowerShape, LowerConstantOfShape, LowerRange, LowerTrilu>(ctx);
  patterns.add<LowerGather, LowerEmbedding, LowerScatterND>(ctx,
                                                            checks.indices);
}
