//===- FuseActivations.cpp - GELU and SiLU recomposition ------------------===//
//
// Part of kiln. Implements tfm-fuse-gelu and tfm-fuse-silu.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEGELU
#define GEN_PASS_DEF_TFMFUSESILU
#include "passes/fusion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::fusion;

namespace {

/// Whether the product `factors` is exactly {x, x, x} or {pow(x, 3)}.
bool isCube(ArrayRef<Value> factors, Value x) {
  if (factors.size() == 3)
    return llvm::all_of(factors, [&](Value f) { return f == x; });
  if (factors.size() != 1)
    return false;
  auto pow = factors.front().getDefiningOp<PowOp>();
  return pow && pow.getLhs() == x && isSplat(pow.getRhs(), 3.0);
}

/// The argument of erf in 1 + erf(x / sqrt(2)), or null.
Value erfArgument(Value onePlus, Value x) {
  Value inner = addendOf(onePlus, 1.0);
  auto erf = inner ? inner.getDefiningOp<ErfOp>() : ErfOp();
  if (!erf)
    return {};
  Value arg = erf.getInput();
  if (auto div = arg.getDefiningOp<DivOp>())
    return div.getLhs() == x && isSplat(div.getRhs(), std::sqrt(2.0)) ? x
                                                                        : Value();
  SmallVector<Value> factors;
  collectFactors(arg, factors);
  if (factors.size() == 2)
    for (int i = 0; i < 2; ++i)
      if (factors[i] == x && isSplat(factors[1 - i], 1.0 / std::sqrt(2.0)))
        return x;
  return {};
}

/// Whether `onePlus` is 1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)).
bool isTanhForm(Value onePlus, Value x) {
  Value inner = addendOf(onePlus, 1.0);
  auto tanh = inner ? inner.getDefiningOp<TanhOp>() : TanhOp();
  if (!tanh)
    return false;
  SmallVector<Value> outer;
  collectFactors(tanh.getInput(), outer);
  if (outer.size() != 2)
    return false;
  for (int i = 0; i < 2; ++i) {
    if (!isSplat(outer[i], std::sqrt(2.0 / M_PI)))
      continue;
    auto sum = outer[1 - i].getDefiningOp<AddOp>();
    if (!sum)
      return false;
    for (auto [lin, cubic] : {std::pair{sum.getLhs(), sum.getRhs()},
                              {sum.getRhs(), sum.getLhs()}}) {
      if (lin != x)
        continue;
      SmallVector<Value> terms;
      collectFactors(cubic, terms);
      for (size_t c = 0; c < terms.size(); ++c) {
        if (!isSplat(terms[c], 0.044715))
          continue;
        SmallVector<Value> rest(terms);
        rest.erase(rest.begin() + c);
        if (isCube(rest, x))
          return true;
      }
    }
  }
  return false;
}

/// x * 0.5 * (1 + erf(x / sqrt 2)) or the tanh form, as a product of three
/// factors in any association.
struct FuseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> factors;
    collectFactors(op.getResult(), factors);
    if (factors.size() != 3)
      return rewriter.notifyMatchFailure(op, "not a product of three");
    for (int half = 0; half < 3; ++half) {
      if (!isSplat(factors[half], 0.5))
        continue;
      for (int xi = 0; xi < 3; ++xi) {
        if (xi == half)
          continue;
        Value x = factors[xi], onePlus = factors[3 - half - xi];
        if (x.getType() != op.getType())
          continue;
        if (erfArgument(onePlus, x)) {
          rewriter.replaceOpWithNewOp<GeluOp>(op, GeluApproximation::erf, x);
          return success();
        }
        if (isTanhForm(onePlus, x)) {
          rewriter.replaceOpWithNewOp<GeluOp>(op, GeluApproximation::tanh, x);
          return success();
        }
      }
    }
    return rewriter.notifyMatchFailure(op, "not a GELU");
  }
};

/// x * sigmoid(x).
struct FuseSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [x, s] : {std::pair{op.getLhs(), op.getRhs()},
                        {op.getRhs(), op.getLhs()}}) {
      auto sigmoid = s.getDefiningOp<SigmoidOp>();
      if (sigmoid && sigmoid.getInput() == x && x.getType() == op.getType()) {
        rewriter.replaceOpWithNewOp<SiluOp>(op, x);
        return success();
      }
    }
    return rewriter.notifyMatchFailure(op, "not x * sigmoid(x)");
  }
};

} // namespace

void mlir::tfm::populateFuseGeluPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseGelu>(patterns.getContext());
}

void mlir::tfm::populateFuseSiluPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseSilu>(patterns.getContext());
}

namespace {
struct TfmFuseGelu
    : PatternPass<mlir::tfm::impl::TfmFuseGeluBase<TfmFuseGelu>,
                  populateFuseGeluPatterns> {};
struct TfmFuseSilu
    : PatternPass<mlir::tfm::impl::TfmFuseSiluBase<TfmFuseSilu>,
                  populateFuseSiluPatterns> {};
} // namespace
