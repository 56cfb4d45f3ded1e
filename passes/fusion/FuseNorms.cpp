//===- FuseNorms.cpp - layer norm and RMS norm recomposition --------------===//
//
// Part of kiln. Implements tfm-fuse-norms.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/fusion/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSENORMS
#include "passes/fusion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::fusion;

namespace {

/// mean(v) over trailing axes with kept dims: returns v and the first axis.
std::optional<std::pair<Value, int64_t>> trailingMean(Value m) {
  auto reduce = m.getDefiningOp<ReduceOp>();
  if (!reduce || reduce.getKind() != ReduceKind::mean || !reduce.getKeepdims())
    return std::nullopt;
  int64_t rank = reduce.getInput().getType().getRank();
  ArrayRef<int64_t> axes = reduce.getAxes();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != rank - static_cast<int64_t>(axes.size() - i))
      return std::nullopt;
  return std::make_pair(reduce.getInput(), axes.front());
}

/// v^2 as pow(v, 2) or v * v: returns v.
Value squared(Value s) {
  if (auto pow = s.getDefiningOp<PowOp>())
    return isSplat(pow.getRhs(), 2.0) ? pow.getLhs() : Value();
  if (auto mul = s.getDefiningOp<MulOp>())
    return mul.getLhs() == mul.getRhs() ? mul.getLhs() : Value();
  return {};
}

/// sqrt(mean(v^2) + eps) over trailing axes: returns v, axis and eps.
struct RootMeanSquare {
  Value input;
  int64_t axis;
  double epsilon;
};
std::optional<RootMeanSquare> rootMeanSquare(Value s) {
  auto sqrt = s.getDefiningOp<SqrtOp>();
  auto add = sqrt ? sqrt.getInput().getDefiningOp<AddOp>() : AddOp();
  if (!add)
    return std::nullopt;
  for (auto [m, e] : {std::pair{add.getLhs(), add.getRhs()},
                      {add.getRhs(), add.getLhs()}}) {
    std::optional<double> eps = splatValue(e);
    std::optional<std::pair<Value, int64_t>> mean = trailingMean(m);
    if (!eps || !mean)
      continue;
    if (Value v = squared(mean->first))
      return RootMeanSquare{v, mean->second, *eps};
  }
  return std::nullopt;
}

/// A constant of ones shaped like the normalized dims of `x` from `axis`;
/// null when one of them is dynamic (the norms' scale is a static constant,
/// so such a norm stays unfused).
Value ones(PatternRewriter &rewriter, Location loc, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  auto shape = type.getShape().drop_front(axis);
  if (ShapedType::isDynamicShape(shape))
    return {};
  auto paramType = RankedTensorType::get(shape, type.getElementType());
  return ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(paramType,
                             rewriter.getFloatAttr(type.getElementType(), 1.0)));
}

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) -> layer_norm(x, 1).
struct FuseLayerNorm : OpRewritePattern<DivOp> {
  // Above FuseRmsNormDiv: the RMS norm of x - mean(x) is a layer norm.
  FuseLayerNorm(MLIRContext *context)
      : OpRewritePattern(context, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    auto sub = op.getLhs().getDefiningOp<SubOp>();
    std::optional<RootMeanSquare> rms = rootMeanSquare(op.getRhs());
    if (!sub || !rms || rms->input != sub.getResult())
      return rewriter.notifyMatchFailure(op, "not (x - m) / rms(x - m)");
    std::optional<std::pair<Value, int64_t>> mean = trailingMean(sub.getRhs());
    Value x = sub.getLhs();
    if (!mean || mean->first != x || mean->second != rms->axis ||
        x.getType() != op.getType() ||
        !isa<FloatType>(op.getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "mean over other axes");
    Value scale = ones(rewriter, op.getLoc(), x, rms->axis);
    if (!scale)
      return rewriter.notifyMatchFailure(op, "dynamic normalized dims");
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        op, op.getType(), x, scale, Value(), rms->axis,
        APFloat(static_cast<float>(rms->epsilon)));
    return success();
  }
};

/// x * 1/sqrt(mean(x^2) + eps) (reciprocal, 1 / s, rsqrt, or x / s) ->
/// rms_norm(x, 1).
struct FuseRmsNorm : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [x, r] : {std::pair{op.getLhs(), op.getRhs()},
                        {op.getRhs(), op.getLhs()}}) {
      Value s;
      if (auto rec = r.getDefiningOp<ReciprocalOp>())
        s = rec.getInput();
      else if (auto div = r.getDefiningOp<DivOp>();
               div && isSplat(div.getLhs(), 1.0))
        s = div.getRhs();
      std::optional<RootMeanSquare> rms = s ? rootMeanSquare(s) : std::nullopt;
      if (!rms || rms->input != x || x.getType() != op.getType())
        continue;
      Value scale = ones(rewriter, op.getLoc(), x, rms->axis);
      if (!scale)
        return rewriter.notifyMatchFailure(op, "dynamic normalized dims");
      rewriter.replaceOpWithNewOp<RmsNormOp>(
          op, op.getType(), x, scale, rms->axis,
          APFloat(static_cast<float>(rms->epsilon)));
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not x * rsqrt(mean(x^2) + eps)");
  }
};

/// The RMS norm written x / sqrt(mean(x^2) + eps).
struct FuseRmsNormDiv : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<RootMeanSquare> rms = rootMeanSquare(op.getRhs());
    Value x = op.getLhs();
    if (!rms || rms->input != x || x.getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "not x / rms(x)");
    Value scale = ones(rewriter, op.getLoc(), x, rms->axis);
    if (!scale)
      return rewriter.notifyMatchFailure(op, "dynamic normalized dims");
    rewriter.replaceOpWithNewOp<RmsNormOp>(
        op, op.getType(), x, scale, rms->axis,
        APFloat(static_cast<float>(rms->epsilon)));
    return success();
  }
};

/// Whether `v` has exactly the normalized shape of a norm from `axis`.
bool isParamFor(Value v, Value x, int64_t axis) {
  auto t = cast<RankedTensorType>(v.getType());
  auto xt = cast<RankedTensorType>(x.getType());
  return t.getElementType() == xt.getElementType() &&
         t.getShape() == xt.getShape().drop_front(axis) &&
         t.hasStaticShape();
}

/// norm(x, 1) * gamma -> norm(x, gamma); layer_norm(x, s) + beta ->
/// layer_norm(x, s, beta).
template <typename NormOp>
struct FoldNormScale : OpRewritePattern<MulOp> {
  using OpRewritePattern<MulOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [n, g] : {std::pair{op.getLhs(), op.getRhs()},
                        {op.getRhs(), op.getLhs()}}) {
      auto norm = n.template getDefiningOp<NormOp>();
      if (!norm || !norm->hasOneUse() || !isSplat(norm.getScale(), 1.0) ||
          !isParamFor(g, norm.getInput(), norm.getAxis()) ||
          norm.getType() != op.getType())
        continue;
      if constexpr (std::is_same_v<NormOp, LayerNormOp>)
        if (norm.getBias())
          continue; // (x' + b) * g is not x' * g + b.
      Value scale = g; // C++17 lambdas cannot capture structured bindings.
      rewriter.modifyOpInPlace(norm,
                               [&] { norm.getScaleMutable().assign(scale); });
      rewriter.replaceOp(op, norm.getResult());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not norm * gamma");
  }
};

struct FoldLayerNormBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [n, b] : {std::pair{op.getLhs(), op.getRhs()},
                        {op.getRhs(), op.getLhs()}}) {
      auto norm = n.getDefiningOp<LayerNormOp>();
      if (!norm || !norm->hasOneUse() || norm.getBias() ||
          !isParamFor(b, norm.getInput(), norm.getAxis()) ||
          norm.getType() != op.getType())
        continue;
      Value bias = b; // C++17 lambdas cannot capture structured bindings.
      rewriter.modifyOpInPlace(norm,
                               [&] { norm.getBiasMutable().assign(bias); });
      rewriter.replaceOp(op, norm.getResult());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not layer_norm + beta");
  }
};

} // namespace

void mlir::tfm::populateFuseNormsPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLayerNorm, FuseRmsNorm, FuseRmsNormDiv,
               FoldNormScale<LayerNormOp>, FoldNormScale<RmsNormOp>,
               FoldLayerNormBias>(patterns.getContext());
}

namespace {
struct TfmFuseNorms
    : PatternPass<mlir::tfm::impl::TfmFuseNormsBase<TfmFuseNorms>,
                  populateFuseNormsPatterns> {};
} // namespace
