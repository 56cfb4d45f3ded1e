//===- FuseAttention.cpp - MatMul -> Softmax -> MatMul into attention -----===//
//
// Part of kiln. Implements tfm-fuse-attention (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/fusion/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEATTENTION
#include "passes/fusion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::fusion;

namespace {

/// Whether `v` is a value large and negative enough to mask a score.
bool isMaskingValue(Value v) {
  std::optional<double> value = splatValue(v);
  return value && *value <= -1e4;
}

/// Whether the scores chain below `v` reaches a q k^T product through
/// scale and mask ops.
bool leadsToScores(Value v, int depth = 0) {
  if (depth > 8 || !v)
    return false;
  if (fusion::plainRank4Product(v))
    return true;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isa<AddOp, DivOp, MulOp, SelectOp>(op))
    return llvm::any_of(op->getOperands(), [&](Value operand) {
      return leadsToScores(operand, depth + 1);
    });
  return false;
}

/// k repeated for grouped-query attention (HF repeat_kv):
/// reshape(expand(unsqueeze(k, [2]), [B, Hkv, g, S, D]), [B, Hkv*g, S, D]).
/// Returns k and g, or null.
std::pair<Value, int64_t> unrepeat(Value v) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  auto expand = reshape ? reshape.getInput().getDefiningOp<ExpandOp>()
                        : ExpandOp();
  auto unsq = expand ? expand.getInput().getDefiningOp<UnsqueezeOp>()
                     : UnsqueezeOp();
  if (!unsq || unsq.getAxes() != ArrayRef<int64_t>{2} ||
      unsq.getInput().getType().getRank() != 4)
    return {Value(), 0};
  int64_t groups = expand.getType().getDimSize(2);
  auto kt = unsq.getInput().getType();
  auto rt = reshape.getType();
  int64_t kvHeads = kt.getDimSize(1), heads = rt.getDimSize(1);
  if (ShapedType::isDynamic(kvHeads) || ShapedType::isDynamic(heads) ||
      kvHeads <= 0)
    return {Value(), 0};
  // Exports with a dynamic past compute the expand's shape (a Where on -1
  // entries), so its group dim is not inferred; the reshape to
  // [B, Hkv * g, S, D] still fixes g.
  if (ShapedType::isDynamic(groups) && heads % kvHeads == 0)
    groups = heads / kvHeads;
  if (ShapedType::isDynamic(groups) || heads != kvHeads * groups)
    return {Value(), 0};
  return {unsq.getInput(), groups};
}

struct FuseAttention : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || softmax.getLog() || !fusion::plainRank4Product(op) ||
        static_cast<int64_t>(softmax.getAxis()) !=
            softmax.getType().getRank() - 1)
      return rewriter.notifyMatchFailure(op, "not softmax(..., -1) x v");
    Location loc = op.getLoc();
    // Peel masks, then scales, from the softmax input down to q k^T.
    Value cur = softmax.getInput();
    Value additive, keep;
    bool invertKeep = false; // masked_fill: the condition marks masked keys.
    double scale = 1.0;
    bool sawScale = false;
    MatmulOp product;
    while (!(product = fusion::plainRank4Product(cur))) {
      Operation *def = cur.getDefiningOp();
      if (!def || !def->hasOneUse())
        return rewriter.notifyMatchFailure(op, "scores used elsewhere");
      if (auto add = dyn_cast<AddOp>(def)) {
        bool lhsChain = leadsToScores(add.getLhs());
        Value mask = lhsChain ? add.getRhs() : add.getLhs();
        if (sawScale || additive || !leadsToScores(lhsChain ? add.getLhs()
                                                           : add.getRhs()))
          return rewriter.notifyMatchFailure(op, "unsupported mask order");
        additive = mask;
        cur = lhsChain ? add.getLhs() : add.getRhs();
      } else if (auto select = dyn_cast<SelectOp>(def)) {
        if (sawScale || keep)
          return rewriter.notifyMatchFailure(op, "unsupported mask order");
        if (isMaskingValue(select.getOnFalse())) {
          keep = select.getCondition(); // Where(keep, scores, min).
          cur = select.getOnTrue();
        } else if (isMaskingValue(select.getOnTrue())) {
          keep = select.getCondition(); // masked_fill(masked, min).
          invertKeep = true;
          cur = select.getOnFalse();
        } else {
          return rewriter.notifyMatchFailure(op, "select is not a mask");
        }
      } else if (auto div = dyn_cast<DivOp>(def)) {
        std::optional<double> c = splatValue(div.getRhs());
        if (!c || *c == 0)
          return rewriter.notifyMatchFailure(op, "scale is not a constant");
        scale /= *c;
        sawScale = true;
        cur = div.getLhs();
      } else if (auto mul = dyn_cast<MulOp>(def)) {
        std::optional<double> c = splatValue(mul.getRhs());
        Value other = mul.getLhs();
        if (!c) {
          c = splatValue(mul.getLhs());
          other = mul.getRhs();
        }
        if (!c)
          return rewriter.notifyMatchFailure(op, "scale is not a constant");
        scale *= *c;
        sawScale = true;
        cur = other;
      } else {
        return rewriter.notifyMatchFailure(op, "not a mask or scale");
      }
    }
    // q may be scaled before the product (DistilBERT).
    Value q = product.getLhs();
    if (auto div = q.getDefiningOp<DivOp>()) {
      if (std::optional<double> c = splatValue(div.getRhs());
          c && *c != 0 && div.getType() == div.getLhs().getType()) {
        scale /= *c;
        q = div.getLhs();
      }
    } else if (auto mul = q.getDefiningOp<MulOp>()) {
      if (std::optional<double> c = splatValue(mul.getRhs());
          c && mul.getType() == mul.getLhs().getType()) {
        scale *= *c;
        q = mul.getLhs();
      }
    }
    // The match is complete: from here on the pattern only builds.
    if (invertKeep)
      keep = NotOp::create(rewriter, loc, keep);
    // K from k^T; grouped-query K/V from their repeats.
    Value kT = product.getRhs();
    Value k;
    if (auto t = kT.getDefiningOp<TransposeOp>();
        t && t.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2})
      k = t.getInput();
    else
      k = TransposeOp::create(rewriter, loc, kT,
                              rewriter.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value v = op.getRhs();
    auto [k0, kGroups] = unrepeat(k);
    auto [v0, vGroups] = unrepeat(v);
    if (k0 && v0 && kGroups == vGroups) {
      k = k0;
      v = v0;
    }
    // One mask: a boolean keep mask and an additive one combine into an
    // additive mask that is very negative where keep is false.
    Value mask = additive ? additive : keep;
    if (additive && keep) {
      Type element = cast<RankedTensorType>(additive.getType()).getElementType();
      auto scalar = RankedTensorType::get({}, element);
      Value lowest = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              scalar, rewriter.getFloatAttr(element,
                                            APFloat::getLargest(
                                                cast<FloatType>(element)
                                                    .getFloatSemantics(),
                                                /*Negative=*/true))));
      SmallVector<Type> types;
      if (failed(inferBroadcastResult(loc, "tfm.select",
                                      {keep.getType(), additive.getType(),
                                       lowest.getType()},
                                      element, types)))
        return failure();
      mask = SelectOp::create(rewriter, loc, types.front(), keep, additive,
                              lowest);
    }
    auto attention = AttentionOp::create(
        rewriter, loc, op.getType(), q, k, v, mask, /*causal=*/false,
        rewriter.getF32FloatAttr(static_cast<float>(scale)));
    rewriter.replaceOp(op, attention.getResult());
    return success();
  }
};

} // namespace

void mlir::tfm::populateFuseAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAttention>(patterns.getContext());
}

namespace {
struct TfmFuseAttention
    : PatternPass<mlir::tfm::impl::TfmFuseAttentionBase<TfmFuseAttention>,
                  populateFuseAttentionPatterns> {};
} // namespace
