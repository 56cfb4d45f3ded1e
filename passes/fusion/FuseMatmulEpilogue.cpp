//===- FuseMatmulEpilogue.cpp - bias, activation, residual into matmul ----===//
//
// Part of kiln. Implements tfm-fuse-matmul-epilogue.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/fusion/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEMATMULEPILOGUE
#include "passes/fusion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::fusion;

namespace {

/// A matmul (tfm.matmul or tfm.quantized_matmul: MatmulLike) whose
/// epilogue can still grow: used once, same type as `as`.
template <typename MatmulLike>
MatmulLike openMatmul(Value v, Type as) {
  auto mm = v.getDefiningOp<MatmulLike>();
  if (!mm || !mm->hasOneUse() || mm.getType() != as || mm.getResidual())
    return {};
  return mm;
}

/// Whether `v` broadcasts into `shape` without growing it.
bool fitsInto(Value v, RankedTensorType type) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getElementType() != type.getElementType())
    return false;
  std::optional<SmallVector<int64_t>> merged =
      broadcastShapes(type.getShape(), t.getShape());
  if (!merged || merged->size() != type.getShape().size())
    return false;
  for (auto [m, d] : llvm::zip(*merged, type.getShape()))
    if (m != d)
      return false;
  return true;
}

/// matmul + b: the bias when b is [N] and the matmul has no bias or
/// activation yet, else the residual.
template <typename MatmulLike>
struct FoldAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [m, other] : {std::pair{op.getLhs(), op.getRhs()},
                            {op.getRhs(), op.getLhs()}}) {
      MatmulLike mm = openMatmul<MatmulLike>(m, op.getType());
      if (!mm || !fitsInto(other, op.getType()))
        continue;
      auto t = cast<RankedTensorType>(other.getType());
      int64_t n = op.getType().getShape().back();
      bool isBias = t.getRank() == 1 && t.getDimSize(0) == n &&
                    !ShapedType::isDynamic(n) && !mm.getBias() &&
                    !mm.getActivation();
      // (C++17 lambdas cannot capture structured bindings: copy it.)
      Value epilogue = other;
      rewriter.modifyOpInPlace(mm, [&] {
        (isBias ? mm.getBiasMutable() : mm.getResidualMutable())
            .assign(epilogue);
        // Keep the operand segment sizes in step with the operands.
      });
      rewriter.replaceOp(op, mm.getResult());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not matmul + tensor");
  }
};

/// activation(matmul) -> matmul with that activation; also through a
/// reshape of the matmul (GPT-2's Conv1D flattens to 2-D around the
/// matmul), which an elementwise activation commutes with.
template <typename MatmulLike, typename ActOp>
struct FoldActivation : OpRewritePattern<ActOp> {
  FoldActivation(MLIRContext *context, Activation (*kind)(ActOp))
      : OpRewritePattern<ActOp>(context), kind(kind) {}
  LogicalResult matchAndRewrite(ActOp op,
                                PatternRewriter &rewriter) const override {
    Value result = op.getInput();
    MatmulLike mm = openMatmul<MatmulLike>(result, op.getType());
    if (auto reshape = result.getDefiningOp<ReshapeOp>();
        !mm && reshape && reshape->hasOneUse())
      mm = openMatmul<MatmulLike>(reshape.getInput(),
                                  reshape.getInput().getType());
    if (!mm || mm.getActivation())
      return rewriter.notifyMatchFailure(op, "no open matmul");
    rewriter.modifyOpInPlace(mm, [&] {
      mm.setActivationAttr(
          ActivationAttr::get(rewriter.getContext(), kind(op)));
    });
    rewriter.replaceOp(op, result);
    return success();
  }
  Activation (*kind)(ActOp);
};

} // namespace

namespace {
/// The patterns for one matmul-like op.
template <typename MatmulLike>
void addEpiloguePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<FoldAdd<MatmulLike>>(ctx);
  patterns.add<FoldActivation<MatmulLike, GeluOp>>(ctx, [](GeluOp op) {
    return op.getApproximate() == GeluApproximation::tanh
               ? Activation::gelu_tanh
               : Activation::gelu;
  });
  patterns.add<FoldActivation<MatmulLike, SiluOp>>(
      ctx, [](SiluOp) { return Activation::silu; });
  patterns.add<FoldActivation<MatmulLike, ReluOp>>(
      ctx, [](ReluOp) { return Activation::relu; });
  patterns.add<FoldActivation<MatmulLike, SigmoidOp>>(
      ctx, [](SigmoidOp) { return Activation::sigmoid; });
  patterns.add<FoldActivation<MatmulLike, TanhOp>>(
      ctx, [](TanhOp) { return Activation::tanh; });
}
} // namespace

void mlir::tfm::populateFuseMatmulEpiloguePatterns(
    RewritePatternSet &patterns) {
  // Imported quantized matmuls (MatMulNBits) get the same epilogues.
  addEpiloguePatterns<MatmulOp>(patterns);
  addEpiloguePatterns<QuantizedMatmulOp>(patterns);
}

namespace {
struct TfmFuseMatmulEpilogue
    : PatternPass<
          mlir::tfm::impl::TfmFuseMatmulEpilogueBase<TfmFuseMatmulEpilogue>,
          populateFuseMatmulEpiloguePatterns> {};
} // namespace
