//===- Elementwise.cpp - lower tfm's elementwise ops ----------------------===//
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

struct LowerConstant : TfmPattern<tfm::ConstantOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConstantOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<quant::QuantizedType>(op.getType().getElementType()))
      return rewriter.notifyMatchFailure(
          op, "tfm-fuse-integer-matmuls folds quantized constants");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getType(),
                                                   op.getValue());
    return success();
  }
};

/// Unary elementwise ops: `compute` maps one scalar.
template <typename OpTy>
struct LowerUnary : TfmPattern<OpTy> {
  using Compute = Value (*)(OpBuilder &, Location, Value);
  LowerUnary(MLIRContext *ctx, Compute compute)
      : TfmPattern<OpTy>(ctx), compute(compute) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return compute(b, loc, a[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
  Compute compute;
};

/// Binary broadcast ops: `compute` maps two scalars of the operand type.
template <typename OpTy>
struct LowerBinary : TfmPattern<OpTy> {
  using Compute = Value (*)(OpBuilder &, Location, Value, Value);
  LowerBinary(MLIRContext *ctx, Compute compute)
      : TfmPattern<OpTy>(ctx), compute(compute) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value result = broadcastElementwise(
        rewriter, op.getLoc(), op, op.getType(),
        ValueRange{op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return compute(b, loc, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
  Compute compute;
};

struct LowerCompare : TfmPattern<tfm::CompareOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::CompareOp op,
                                PatternRewriter &rewriter) const override {
    Type t = op.getLhs().getType().getElementType();
    bool unsignedInt = t.isUnsignedInteger() || t.isInteger(1);
    tfm::ComparePredicate p = op.getPredicate();
    Value result = broadcastElementwise(
        rewriter, op.getLoc(), op, op.getType(),
        ValueRange{op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          if (isFloat(t)) {
            arith::CmpFPredicate fp[] = {
                arith::CmpFPredicate::OEQ, arith::CmpFPredicate::UNE,
                arith::CmpFPredicate::OLT, arith::CmpFPredicate::OLE,
                arith::CmpFPredicate::OGT, arith::CmpFPredicate::OGE};
            return arith::CmpFOp::create(b, loc, fp[static_cast<int>(p)], a[0],
                                         a[1]);
          }
          arith::CmpIPredicate sp[] = {
              arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
              arith::CmpIPredicate::slt, arith::CmpIPredicate::sle,
              arith::CmpIPredicate::sgt, arith::CmpIPredicate::sge};
          arith::CmpIPredicate up[] = {
              arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
              arith::CmpIPredicate::ult, arith::CmpIPredicate::ule,
              arith::CmpIPredicate::ugt, arith::CmpIPredicate::uge};
          Value x = a[0], y = a[1];
          if (!t.isSignlessInteger()) {
            Type s = b.getIntegerType(t.getIntOrFloatBitWidth());
            x = arith::BitcastOp::create(b, loc, s, x);
            y = arith::BitcastOp::create(b, loc, s, y);
          }
          return arith::CmpIOp::create(
              b, loc, (unsignedInt ? up : sp)[static_cast<int>(p)], x, y);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerSelect : TfmPattern<tfm::SelectOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SelectOp op,
                                PatternRewriter &rewriter) const override {
    Value result = broadcastElementwise(
        rewriter, op.getLoc(), op, op.getType(),
        ValueRange{op.getCondition(), op.getOnTrue(), op.getOnFalse()},
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerCast : TfmPattern<tfm::CastOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::CastOp op,
                                PatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return convertScalar(b, loc, a[0], to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerClip : TfmPattern<tfm::ClipOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ClipOp op,
                                PatternRewriter &rewriter) const override {
    Type t = op.getType().getElementType();
    auto bound = [&](OpBuilder &b, Location loc, double v) -> Value {
      if (isFloat(t))
        return floatConst(b, loc, t, v);
      return arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(t, static_cast<int64_t>(v)));
    };
    std::optional<APFloat> lo = op.getMin(), hi = op.getMax();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          Value x = a[0];
          if (lo)
            x = maxOf(b, loc, x, bound(b, loc, lo->convertToDouble()));
          if (hi)
            x = minOf(b, loc, x, bound(b, loc, hi->convertToDouble()));
          return x;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerGelu : TfmPattern<tfm::GeluOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::GeluOp op,
                                PatternRewriter &rewriter) const override {
    bool tanhForm = op.getApproximate() == tfm::GeluApproximation::tanh;
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return geluScalar(b, loc, a[0], tanhForm);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerSilu : TfmPattern<tfm::SiluOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SiluOp op,
                                PatternRewriter &rewriter) const override {
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::MulFOp::create(b, loc, a[0],
                                       sigmoidScalar(b, loc, a[0]));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The value of each probability's code (TfmOps.td gives the formulas).
struct LowerQuantizeProbabilities
    : TfmPattern<tfm::QuantizeProbabilitiesOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::QuantizeProbabilitiesOp op,
                                PatternRewriter &rewriter) const override {
    bool log2 = op.getScheme() == tfm::ProbabilityQuantization::log2;
    double top = static_cast<double>((int64_t{1} << op.getBits()) - 1);
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value p = a[0];
          Type t = p.getType();
          auto c = [&](double v) { return floatConst(b, loc, t, v); };
          if (!log2) {
            Value q = math::RoundEvenOp::create(
                b, loc, arith::MulFOp::create(b, loc, p, c(top)));
            q = minOf(b, loc, maxOf(b, loc, q, c(0)), c(top));
            return arith::DivFOp::create(b, loc, q, c(top));
          }
          // q = round(-2 log2 p); p = 0 gives +inf, past every code.
          Value q = math::RoundEvenOp::create(
              b, loc,
              arith::MulFOp::create(b, loc, math::LogOp::create(b, loc, p),
                                    c(-2.0 / M_LN2)));
          q = maxOf(b, loc, q, c(0));
          Value kept = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE,
                                             q, c(top));
          Value value = math::ExpOp::create(
              b, loc, arith::MulFOp::create(b, loc, q, c(-0.5 * M_LN2)));
          return arith::SelectOp::create(b, loc, kept, value, c(0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// tfm.dequantize of a per-tensor tfm.quantize (a QDQ pair of static
/// quantization; tfm-fuse-integer-matmuls folds those of constants): both
/// become one
/// elementwise round trip of the quantize's input,
/// `(clamp(round_half_even(x / s) + z, lo, hi) - z) * s`, as ONNX Runtime
/// computes QuantizeLinear then DequantizeLinear.
struct LowerDequantize : TfmPattern<tfm::DequantizeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto quantize = op.getInput().getDefiningOp<tfm::QuantizeOp>();
    auto q = dyn_cast<quant::UniformQuantizedType>(
        op.getInput().getType().getElementType());
    if (!quantize || !q)
      return rewriter.notifyMatchFailure(
          op, "dequantizes something else than a per-tensor tfm.quantize");
    Value result = elementwise(
        rewriter, loc, op.getType(), ValueRange{quantize.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Type t = a[0].getType();
          auto c = [&](double v) { return floatConst(b, loc, t, v); };
          Value code = math::RoundEvenOp::create(
              b, loc, arith::DivFOp::create(b, loc, a[0], c(q.getScale())));
          code = arith::AddFOp::create(b, loc, code, c(q.getZeroPoint()));
          code = minOf(b, loc, maxOf(b, loc, code, c(q.getStorageTypeMin())),
                       c(q.getStorageTypeMax()));
          return arith::MulFOp::create(
              b, loc, arith::SubFOp::create(b, loc, code, c(q.getZeroPoint())),
              c(q.getScale()));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Only its tfm.dequantize users lower a tfm.quantize (erasing it then).
struct LowerQuantize : TfmPattern<tfm::QuantizeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    return rewriter.notifyMatchFailure(
        op, "kiln runs a quantized tensor only through tfm.dequantize (a "
            "QDQ pair) or an integer matmul");
  }
};

} // namespace

void mlir::tfm::lowering::populateElementwisePatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  using U = Value (*)(OpBuilder &, Location, Value);
  using B = Value (*)(OpBuilder &, Location, Value, Value);
  patterns.add<LowerConstant, LowerCompare, LowerSelect, LowerCast,
               LowerClip, LowerGelu, LowerSilu, LowerQuantizeProbabilities,
               LowerDequantize, LowerQuantize>(
      ctx);
  #define UNARY(Op, expr)                                                        \
  patterns.add<LowerUnary<tfm::Op>>(                                           \
      ctx, static_cast<U>([](OpBuilder &b, Location l, Value x) -> Value {     \
        return expr;                                                           \
      }))
  UNARY(NegOp, isFloat(x.getType())
                   ? arith::NegFOp::create(b, l, x).getResult()
                   : arith::SubIOp::create(b, l, zeroOf(b, l, x.getType()), x)
                         .getResult());
  UNARY(AbsOp, isFloat(x.getType())
                   ? math::AbsFOp::create(b, l, x).getResult()
                   : math::AbsIOp::create(b, l, x).getResult());
  UNARY(ExpOp, math::ExpOp::create(b, l, x));
  UNARY(LogOp, math::LogOp::create(b, l, x));
  UNARY(SqrtOp, math::SqrtOp::create(b, l, x));
  UNARY(RsqrtOp, math::RsqrtOp::create(b, l, x));
  UNARY(ReciprocalOp,
        arith::DivFOp::create(b, l, floatConst(b, l, x.getType(), 1.0), x));
  UNARY(TanhOp, math::TanhOp::create(b, l, x));
  UNARY(ErfOp, math::ErfOp::create(b, l, x));
  UNARY(SigmoidOp, sigmoidScalar(b, l, x));
  UNARY(ReluOp, maxOf(b, l, x, zeroOf(b, l, x.getType())));
  UNARY(SinOp, math::SinOp::create(b, l, x));
  UNARY(CosOp, math::CosOp::create(b, l, x));
  UNARY(FloorOp, math::FloorOp::create(b, l, x));
  UNARY(CeilOp, math::CeilOp::create(b, l, x));
  UNARY(NotOp, arith::XOrIOp::create(
                   b, l, x,
                   arith::ConstantOp::create(b, l, b.getBoolAttr(true))));
#undef UNARY
#define BINARY(Op, expr)                                                       \
  patterns.add<LowerBinary<tfm::Op>>(                                          \
      ctx, static_cast<B>(                                                     \
               [](OpBuilder &b, Location l, Value x, Value y) -> Value {       \
                 return expr;                                                  \
               }))
  BINARY(AddOp, add(b, l, x, y));
  BINARY(SubOp, sub(b, l, x, y));
  BINARY(MulOp, mul(b, l, x, y));
  BINARY(DivOp, div(b, l, x, y));
  BINARY(PowOp, isFloat(x.getType())
                    ? math::PowFOp::create(b, l, x, y).getResult()
                    : math::IPowIOp::create(b, l, x, y).getResult());
  BINARY(MaxOp, maxOf(b, l, x, y));
  BINARY(MinOp, minOf(b, l, x, y));
  BINARY(AndOp, arith::AndIOp::create(b, l, x, y));
  BINARY(OrOp, arith::OrIOp::create(b, l, x, y));
#undef BINARY
}
