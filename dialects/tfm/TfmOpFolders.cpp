//===- TfmOpFolders.cpp - constant folding of tfm ops ---------------------===//
//
// Part of kiln. Folders evaluate ops on constant operands (what makes the
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of exported models
// vanish once shapes are static) and remove identities (x + 0, a transpose
// by the identity permutation, a reshape to the same type).
//
// A folder must return an attribute of the op's exact result type, so ops
// whose result type is still dynamic fold only after tfm-infer-shapes has
// refined it. Constants larger than kMaxFoldElements are never folded:
// rewriting weights belongs to dedicated passes, not to every canonicalize.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APSInt.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

static constexpr int64_t kMaxFoldElements = 1 << 16;

//===----------------------------------------------------------------------===//
// Element-level helpers
//===----------------------------------------------------------------------===//

/// A dense constant of static shape small enough to fold, or null.
static DenseElementsAttr getFoldable(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return {};
  return dense;
}

/// The static result type of `op` if it can hold a folded constant.
static RankedTensorType getFoldableResultType(Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldElements ||
      !type.getElementType().isIntOrFloat())
    return {};
  return type;
}

static void delinearize(int64_t linear, ArrayRef<int64_t> shape,
                        SmallVectorImpl<int64_t> &index) {
  index.assign(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
}

static int64_t linearize(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t linear = 0;
  for (auto [i, s] : llvm::zip(index, shape))
    linear = linear * s + i;
  return linear;
}

/// The linear index into `shape` that NumPy broadcasting reads for the
/// result position `index` (shape is right-aligned against the result).
static int64_t broadcastIndex(ArrayRef<int64_t> index,
                              ArrayRef<int64_t> shape) {
  size_t offset = index.size() - shape.size();
  int64_t linear = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    linear = linear * shape[d] + (shape[d] == 1 ? 0 : index[d + offset]);
  return linear;
}

/// Builds a constant of `type` element by element: `compute` receives the
/// result index and returns the element attribute, or null to give up.
static Attribute
buildElements(RankedTensorType type,
              function_ref<Attribute(ArrayRef<int64_t>)> compute) {
  SmallVector<Attribute> values;
  values.reserve(type.getNumElements());
  SmallVector<int64_t> index;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    delinearize(i, type.getShape(), index);
    Attribute value = compute(index);
    if (!value)
      return {};
    values.push_back(value);
  }
  return DenseElementsAttr::get(type, values);
}

/// Evaluates an elementwise op with NumPy broadcasting on constant operands.
/// `compute` maps the operands' elements at one position to the result's.
static Attribute
foldElementwise(Operation *op, ArrayRef<Attribute> operands,
                function_ref<Attribute(ArrayRef<Attribute>)> compute) {
  RankedTensorType type = getFoldableResultType(op);
  if (!type)
    return {};
  SmallVector<DenseElementsAttr> dense;
  for (Attribute a : operands) {
    DenseElementsAttr d = getFoldable(a);
    if (!d)
      return {};
    dense.push_back(d);
  }
  if (llvm::all_of(dense, [](DenseElementsAttr d) { return d.isSplat(); })) {
    SmallVector<Attribute> splats;
    for (DenseElementsAttr d : dense)
      splats.push_back(d.getSplatValue<Attribute>());
    Attribute value = compute(splats);
    return value ? DenseElementsAttr::get(type, value) : Attribute();
  }
  SmallVector<SmallVector<Attribute>> values;
  for (DenseElementsAttr d : dense)
    values.emplace_back(d.getValues<Attribute>());
  SmallVector<Attribute> at(dense.size());
  return buildElements(type, [&](ArrayRef<int64_t> index) {
    for (size_t i = 0; i < dense.size(); ++i)
      at[i] = values[i][broadcastIndex(
          index, cast<RankedTensorType>(dense[i].getType()).getShape())];
    return compute(at);
  });
}

static APFloat toSemantics(double value, const llvm::fltSemantics &sem) {
  APFloat result(value);
  bool losesInfo;
  result.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
  return result;
}

/// Applies a double -> double function to a float element.
static Attribute mapFloat(Attribute element, double (*fn)(double)) {
  auto f = dyn_cast<FloatAttr>(element);
  if (!f)
    return {};
  return FloatAttr::get(
      f.getType(), toSemantics(fn(f.getValueAsDouble()),
                               cast<FloatType>(f.getType()).getFloatSemantics()));
}

/// Combines two elements of one type with the float or the integer function.
template <typename FloatFn, typename IntFn>
static Attribute combine(ArrayRef<Attribute> e, FloatFn onFloat, IntFn onInt) {
  if (auto a = dyn_cast<FloatAttr>(e[0])) {
    std::optional<APFloat> r =
        onFloat(a.getValue(), cast<FloatAttr>(e[1]).getValue());
    return r ? FloatAttr::get(a.getType(), *r) : Attribute();
  }
  auto a = cast<IntegerAttr>(e[0]);
  std::optional<APInt> r = onInt(a.getValue(), cast<IntegerAttr>(e[1]).getValue());
  return r ? IntegerAttr::get(a.getType(), *r) : Attribute();
}

/// Whether `attr` is a splat constant equal to `value` in its element type.
static bool isSplatOf(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble() == value;
  return dense.getSplatValue<APInt>().getSExtValue() ==
         static_cast<int64_t>(value);
}

/// Folds `x op c` to `x` when `c` is the identity and nothing broadcasts.
static OpFoldResult foldRightIdentity(Operation *op, Attribute rhs,
                                      double identity) {
  Value lhs = op->getOperand(0);
  if (lhs.getType() == op->getResult(0).getType() && isSplatOf(rhs, identity))
    return lhs;
  return {};
}

//===----------------------------------------------------------------------===//
// Constants and shapes
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> dims = getInput().getType().getShape().slice(
      getStart(), getEndDim() - getStart());
  if (ShapedType::isDynamicShape(dims))
    return {};
  return DenseElementsAttr::get(getOutput().getType(), dims);
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  // Even a splat is not folded past the limit: a constant becomes a weight,
  // written out element by element (a ConstantOfShape of [2^40] would
  // otherwise spin at compile time); the op allocates at run time instead.
  auto type = getOutput().getType();
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  return DenseElementsAttr::get(type, getValue());
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getFoldableResultType(*this);
  auto start = getFoldable(adaptor.getStart());
  auto delta = getFoldable(adaptor.getDelta());
  if (!type || !start || !delta || !adaptor.getLimit())
    return {};
  Type element = type.getElementType();
  if (auto ft = dyn_cast<FloatType>(element)) {
    double s = start.getSplatValue<APFloat>().convertToDouble();
    double d = delta.getSplatValue<APFloat>().convertToDouble();
    return buildElements(type, [&](ArrayRef<int64_t> i) -> Attribute {
      return FloatAttr::get(ft, toSemantics(s + d * i[0], ft.getFloatSemantics()));
    });
  }
  int64_t s = start.getSplatValue<APInt>().getSExtValue();
  int64_t d = delta.getSplatValue<APInt>().getSExtValue();
  return buildElements(type, [&](ArrayRef<int64_t> i) -> Attribute {
    return IntegerAttr::get(element, s + d * i[0]);
  });
}

//===----------------------------------------------------------------------===//
// Unary elementwise
//===----------------------------------------------------------------------===//

#define TFM_FOLD_UNARY_FLOAT(Op, expr)                                         \
  OpFoldResult Op::fold(FoldAdaptor adaptor) {                                 \
    return foldElementwise(*this, {adaptor.getInput()},                        \
                           [](ArrayRef<Attribute> e) {                         \
                             return mapFloat(e[0], [](double x) -> double {    \
                               return expr;                                    \
                             });                                               \
                           });                                                 \
  }

TFM_FOLD_UNARY_FLOAT(ExpOp, std::exp(x))
TFM_FOLD_UNARY_FLOAT(LogOp, std::log(x))
TFM_FOLD_UNARY_FLOAT(SqrtOp, std::sqrt(x))
TFM_FOLD_UNARY_FLOAT(RsqrtOp, 1.0 / std::sqrt(x))
TFM_FOLD_UNARY_FLOAT(ReciprocalOp, 1.0 / x)
TFM_FOLD_UNARY_FLOAT(TanhOp, std::tanh(x))
TFM_FOLD_UNARY_FLOAT(ErfOp, std::erf(x))
TFM_FOLD_UNARY_FLOAT(SigmoidOp, 1.0 / (1.0 + std::exp(-x)))
TFM_FOLD_UNARY_FLOAT(SinOp, std::sin(x))
TFM_FOLD_UNARY_FLOAT(CosOp, std::cos(x))
TFM_FOLD_UNARY_FLOAT(FloorOp, std::floor(x))
TFM_FOLD_UNARY_FLOAT(CeilOp, std::ceil(x))
#undef TFM_FOLD_UNARY_FLOAT

/// Folds a unary op defined on both floats and integers.
template <typename FloatFn, typename IntFn>
static OpFoldResult foldUnaryNumeric(Operation *op, Attribute input,
                                     FloatFn onFloat, IntFn onInt) {
  return foldElementwise(op, {input}, [&](ArrayRef<Attribute> e) -> Attribute {
    if (auto f = dyn_cast<FloatAttr>(e[0]))
      return FloatAttr::get(f.getType(), onFloat(f.getValue()));
    auto i = cast<IntegerAttr>(e[0]);
    return IntegerAttr::get(i.getType(), onInt(i.getValue()));
  });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldUnaryNumeric(
      *this, adaptor.getInput(), [](APFloat x) { return neg(x); },
      [](APInt x) { return -x; });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldUnaryNumeric(
      *this, adaptor.getInput(), [](APFloat x) { return abs(x); },
      [](APInt x) { return x.abs(); });
}

OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  return foldUnaryNumeric(
      *this, adaptor.getInput(),
      [](APFloat x) { return x.isNegative() ? APFloat::getZero(x.getSemantics()) : x; },
      [](APInt x) { return x.isNegative() ? APInt(x.getBitWidth(), 0) : x; });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldUnaryNumeric(
      *this, adaptor.getInput(), [](APFloat x) { return x; },
      [](APInt x) { return ~x; });
}

//===----------------------------------------------------------------------===//
// Binary elementwise
//===----------------------------------------------------------------------===//

using OptFloat = std::optional<APFloat>;
using OptInt = std::optional<APInt>;

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = foldRightIdentity(*this, adaptor.getRhs(), 0))
    return same;
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat a, APFloat b) -> OptFloat { return a + b; },
            [](APInt a, APInt b) -> OptInt { return a + b; });
      });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = foldRightIdentity(*this, adaptor.getRhs(), 0))
    return same;
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat a, APFloat b) -> OptFloat { return a - b; },
            [](APInt a, APInt b) -> OptInt { return a - b; });
      });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = foldRightIdentity(*this, adaptor.getRhs(), 1))
    return same;
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat a, APFloat b) -> OptFloat { return a * b; },
            [](APInt a, APInt b) -> OptInt { return a * b; });
      });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = foldRightIdentity(*this, adaptor.getRhs(), 1))
    return same;
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat a, APFloat b) -> OptFloat { return a / b; },
            [](APInt a, APInt b) -> OptInt {
              if (b.isZero())
                return std::nullopt; // Leave division by zero to run time.
              return a.sdiv(b);
            });
      });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = foldRightIdentity(*this, adaptor.getRhs(), 1))
    return same;
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e,
            [](APFloat a, APFloat b) -> OptFloat {
              return toSemantics(
                  std::pow(a.convertToDouble(), b.convertToDouble()),
                  a.getSemantics());
            },
            [](APInt a, APInt b) -> OptInt {
              if (b.isNegative())
                return std::nullopt;
              APInt result(a.getBitWidth(), 1);
              for (uint64_t i = 0, e = b.getZExtValue(); i < e && i < 64; ++i)
                result *= a;
              return result;
            });
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat a, APFloat b) -> OptFloat { return maximum(a, b); },
            [](APInt a, APInt b) -> OptInt { return a.sge(b) ? a : b; });
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat a, APFloat b) -> OptFloat { return minimum(a, b); },
            [](APInt a, APInt b) -> OptInt { return a.sle(b) ? a : b; });
      });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat, APFloat) -> OptFloat { return std::nullopt; },
            [](APInt a, APInt b) -> OptInt { return a & b; });
      });
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()}, [](ArrayRef<Attribute> e) {
        return combine(
            e, [](APFloat, APFloat) -> OptFloat { return std::nullopt; },
            [](APInt a, APInt b) -> OptInt { return a | b; });
      });
}

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  ComparePredicate predicate = getPredicate();
  Type i1 = getOutput().getType().getElementType();
  return foldElementwise(
      *this, {adaptor.getLhs(), adaptor.getRhs()},
      [&](ArrayRef<Attribute> e) -> Attribute {
        int order; // -1, 0 or 1; 2 when unordered (NaN).
        if (auto fa = dyn_cast<FloatAttr>(e[0])) {
          APFloat::cmpResult c =
              fa.getValue().compare(cast<FloatAttr>(e[1]).getValue());
          order = c == APFloat::cmpLessThan    ? -1
                  : c == APFloat::cmpEqual     ? 0
                  : c == APFloat::cmpGreaterThan ? 1
                                               : 2;
        } else {
          APInt a = cast<IntegerAttr>(e[0]).getValue();
          APInt b = cast<IntegerAttr>(e[1]).getValue();
          order = a.slt(b) ? -1 : a == b ? 0 : 1;
        }
        bool result = false;
        switch (predicate) {
        case ComparePredicate::eq:
          result = order == 0;
          break;
        case ComparePredicate::ne:
          result = order != 0;
          break;
        case ComparePredicate::lt:
          result = order == -1;
          break;
        case ComparePredicate::le:
          result = order == -1 || order == 0;
          break;
        case ComparePredicate::gt:
          result = order == 1;
          break;
        case ComparePredicate::ge:
          result = order == 1 || order == 0;
          break;
        }
        return IntegerAttr::get(i1, result);
      });
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  auto condition = dyn_cast_or_null<DenseElementsAttr>(adaptor.getCondition());
  if (condition && condition.isSplat()) {
    Value chosen =
        condition.getSplatValue<bool>() ? getOnTrue() : getOnFalse();
    if (chosen.getType() == getType())
      return chosen;
  }
  return foldElementwise(
      *this,
      {adaptor.getCondition(), adaptor.getOnTrue(), adaptor.getOnFalse()},
      [](ArrayRef<Attribute> e) {
        return cast<IntegerAttr>(e[0]).getValue().getBoolValue() ? e[1] : e[2];
      });
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  Type to = getType().getElementType();
  return foldElementwise(
      *this, {adaptor.getInput()}, [&](ArrayRef<Attribute> e) -> Attribute {
        if (auto f = dyn_cast<FloatAttr>(e[0])) {
          APFloat value = f.getValue();
          if (auto ft = dyn_cast<FloatType>(to)) {
            bool losesInfo;
            value.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                          &losesInfo);
            return FloatAttr::get(ft, value);
          }
          if (to.isInteger(1))
            return IntegerAttr::get(to, !value.isZero());
          APSInt result(to.getIntOrFloatBitWidth(), to.isUnsignedInteger());
          bool exact;
          value.convertToInteger(result, APFloat::rmTowardZero, &exact);
          return IntegerAttr::get(to, result);
        }
        auto i = cast<IntegerAttr>(e[0]);
        APInt value = i.getValue();
        bool isSigned = !i.getType().isUnsignedInteger() &&
                        !i.getType().isInteger(1);
        if (auto ft = dyn_cast<FloatType>(to)) {
          APFloat result(ft.getFloatSemantics());
          result.convertFromAPInt(value, isSigned,
                                  APFloat::rmNearestTiesToEven);
          return FloatAttr::get(ft, result);
        }
        if (to.isInteger(1))
          return IntegerAttr::get(to, !value.isZero());
        unsigned width = to.getIntOrFloatBitWidth();
        return IntegerAttr::get(to, isSigned ? value.sextOrTrunc(width)
                                             : value.zextOrTrunc(width));
      });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

OpFoldResult ReduceOp::fold(FoldAdaptor adaptor) {
  ReduceKind kind = getKind();
  // Reducing only size-1 dimensions and keeping them is the identity for
  // every combiner but sum_square and l2.
  bool unitOnly = llvm::all_of(getAxes(), [&](int64_t axis) {
    return getInput().getType().getDimSize(axis) == 1;
  });
  if (unitOnly && kind != ReduceKind::sum_square && kind != ReduceKind::l2 &&
      getInput().getType() == getType())
    return getInput();
  // Constant inputs (shape computations: the product of some dims).
  RankedTensorType type = getFoldableResultType(*this);
  DenseElementsAttr dense = getFoldable(adaptor.getInput());
  if (!type || !dense)
    return {};
  RankedTensorType inType = getInput().getType();
  bool isFloat = isa<FloatType>(type.getElementType());
  int64_t count = type.getNumElements();
  std::vector<double> fAcc(count);
  std::vector<int64_t> iAcc(count);
  std::vector<bool> seen(count, false);
  ArrayRef<int64_t> axes = getAxes();
  SmallVector<int64_t> index, outIndex;
  SmallVector<Attribute> values(dense.getValues<Attribute>());
  for (int64_t i = 0, e = inType.getNumElements(); i < e; ++i) {
    delinearize(i, inType.getShape(), index);
    outIndex.clear();
    for (int64_t d = 0; d < inType.getRank(); ++d) {
      if (!llvm::is_contained(axes, d))
        outIndex.push_back(index[d]);
      else if (getKeepdims())
        outIndex.push_back(0);
    }
    int64_t o = linearize(outIndex, type.getShape());
    Attribute v = dense.isSplat() ? values.front() : values[i];
    double f = isFloat ? cast<FloatAttr>(v).getValueAsDouble() : 0;
    int64_t n = isFloat ? 0 : cast<IntegerAttr>(v).getValue().getSExtValue();
    bool first = !seen[o];
    seen[o] = true;
    switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::mean:
      fAcc[o] += f, iAcc[o] += n;
      break;
    case ReduceKind::sum_square:
    case ReduceKind::l2:
      fAcc[o] += f * f, iAcc[o] += n * n;
      break;
    case ReduceKind::prod:
      fAcc[o] = first ? f : fAcc[o] * f;
      iAcc[o] = first ? n : iAcc[o] * n;
      break;
    case ReduceKind::max:
      fAcc[o] = first ? f : std::max(fAcc[o], f);
      iAcc[o] = first ? n : std::max(iAcc[o], n);
      break;
    case ReduceKind::min:
      fAcc[o] = first ? f : std::min(fAcc[o], f);
      iAcc[o] = first ? n : std::min(iAcc[o], n);
      break;
    }
  }
  int64_t reduced = inType.getNumElements() / std::max<int64_t>(count, 1);
  return buildElements(type, [&](ArrayRef<int64_t> at) -> Attribute {
    int64_t o = linearize(at, type.getShape());
    if (isFloat) {
      double f = fAcc[o];
      if (kind == ReduceKind::mean)
        f /= reduced;
      if (kind == ReduceKind::l2)
        f = std::sqrt(f);
      return FloatAttr::get(
          type.getElementType(),
          toSemantics(f, cast<FloatType>(type.getElementType())
                             .getFloatSemantics()));
    }
    int64_t n = iAcc[o];
    if (kind == ReduceKind::mean)
      n /= std::max<int64_t>(reduced, 1);
    if (kind == ReduceKind::l2)
      return Attribute(); // Not an integer.
    return IntegerAttr::get(type.getElementType(), n);
  });
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Reinterprets a dense constant with a new static shape.
static OpFoldResult reshapeConstant(Operation *op, Attribute input) {
  RankedTensorType type = getFoldableResultType(op);
  DenseElementsAttr dense = getFoldable(input);
  if (!type || !dense)
    return {};
  return dense.reshape(type);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  return reshapeConstant(*this, adaptor.getInput());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  if (getAxes().empty() && getInput().getType() == getType())
    return getInput();
  return reshapeConstant(*this, adaptor.getInput());
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return reshapeConstant(*this, adaptor.getInput());
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity && getInput().getType() == getType())
    return getInput();
  RankedTensorType type = getFoldableResultType(*this);
  DenseElementsAttr dense = getFoldable(adaptor.getInput());
  if (!type || !dense)
    return {};
  if (dense.isSplat())
    return dense.resizeSplat(type);
  SmallVector<Attribute> values(dense.getValues<Attribute>());
  ArrayRef<int64_t> inShape = getInput().getType().getShape();
  SmallVector<int64_t> source(perm.size());
  return buildElements(type, [&](ArrayRef<int64_t> index) {
    for (size_t i = 0; i < perm.size(); ++i)
      source[perm[i]] = index[i];
    return values[linearize(source, inShape)];
  });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  RankedTensorType type = getFoldableResultType(*this);
  if (!type)
    return {};
  SmallVector<SmallVector<Attribute>> values;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (auto [operand, attr] : llvm::zip(getInputs(), adaptor.getInputs())) {
    DenseElementsAttr dense = getFoldable(attr);
    if (!dense)
      return {};
    values.emplace_back(dense.getValues<Attribute>());
    shapes.push_back(cast<RankedTensorType>(operand.getType()).getShape());
  }
  int64_t axis = getAxis();
  SmallVector<int64_t> source;
  return buildElements(type, [&](ArrayRef<int64_t> index) {
    source.assign(index.begin(), index.end());
    size_t input = 0;
    while (source[axis] >= shapes[input][axis])
      source[axis] -= shapes[input++][axis];
    return values[input][linearize(source, shapes[input])];
  });
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  RankedTensorType inType = getInput().getType();
  std::optional<SmallVector<int64_t>> starts =
      getConstantIntValues(getStarts());
  std::optional<SmallVector<int64_t>> ends = getConstantIntValues(getEnds());
  if (!starts || !ends || !inType.hasStaticShape())
    return {};
  ArrayRef<int64_t> axes = getAxes(), steps = getSteps();
  // A slice that takes every element in order is the identity.
  bool whole = inType == getType();
  for (size_t i = 0; whole && i < axes.size(); ++i)
    whole = steps[i] == 1 &&
            sliceStart(inType.getDimSize(axes[i]), (*starts)[i], 1) == 0;
  if (whole)
    return getInput();
  RankedTensorType type = getFoldableResultType(*this);
  // Slicing the shape of a tensor needs only the dimensions read.
  if (auto shape = getInput().getDefiningOp<ShapeOp>(); shape && type) {
    ArrayRef<int64_t> dims = shape.getInput().getType().getShape().slice(
        shape.getStart(), shape.getEndDim() - shape.getStart());
    int64_t first =
        sliceStart(inType.getDimSize(0), (*starts)[0], steps[0]);
    SmallVector<int64_t> picked;
    for (int64_t i = 0; i < type.getDimSize(0); ++i) {
      int64_t d = dims[first + i * steps[0]];
      if (ShapedType::isDynamic(d))
        return {};
      picked.push_back(d);
    }
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(picked));
  }
  DenseElementsAttr dense = getFoldable(adaptor.getInput());
  if (!type || !dense)
    return {};
  if (dense.isSplat())
    return dense.resizeSplat(type);
  SmallVector<Attribute> values(dense.getValues<Attribute>());
  SmallVector<int64_t> first(inType.getRank(), 0), stride(inType.getRank(), 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    first[axes[i]] =
        sliceStart(inType.getDimSize(axes[i]), (*starts)[i], steps[i]);
    stride[axes[i]] = steps[i];
  }
  SmallVector<int64_t> source(inType.getRank());
  return buildElements(type, [&](ArrayRef<int64_t> index) {
    for (int64_t d = 0; d < inType.getRank(); ++d)
      source[d] = first[d] + index[d] * stride[d];
    return values[linearize(source, inType.getShape())];
  });
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getFoldableResultType(*this);
  std::optional<SmallVector<int64_t>> indices =
      getConstantIntValues(getIndices());
  if (!type || !indices)
    return {};
  RankedTensorType inType = getInput().getType();
  int64_t axis = getAxis();
  int64_t axisSize = inType.getDimSize(axis);
  // Gathering from the shape of a tensor needs only the dimensions read.
  if (auto shape = getInput().getDefiningOp<ShapeOp>()) {
    ArrayRef<int64_t> dims = shape.getInput().getType().getShape().slice(
        shape.getStart(), shape.getEndDim() - shape.getStart());
    SmallVector<int64_t> picked;
    for (int64_t i : *indices) {
      if (i < 0)
        i += axisSize;
      if (i < 0 || i >= axisSize || ShapedType::isDynamic(dims[i]))
        return {};
      picked.push_back(dims[i]);
    }
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(picked));
  }
  DenseElementsAttr dense = getFoldable(adaptor.getInput());
  if (!dense || !inType.hasStaticShape())
    return {};
  for (int64_t i : *indices)
    if (i < -axisSize || i >= axisSize)
      return {}; // Out of range: leave the error to run time.
  SmallVector<Attribute> values(dense.getValues<Attribute>());
  ArrayRef<int64_t> idxShape = getIndices().getType().getShape();
  int64_t idxRank = idxShape.size();
  SmallVector<int64_t> source(inType.getRank());
  return buildElements(type, [&](ArrayRef<int64_t> index) {
    for (int64_t d = 0; d < axis; ++d)
      source[d] = index[d];
    int64_t i = (*indices)[linearize(index.slice(axis, idxRank), idxShape)];
    source[axis] = i < 0 ? i + axisSize : i;
    for (int64_t d = axis + 1; d < inType.getRank(); ++d)
      source[d] = index[d - 1 + idxRank];
    return values[linearize(source, inType.getShape())];
  });
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  RankedTensorType type = getFoldableResultType(*this);
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (type && dense && dense.isSplat())
    return dense.resizeSplat(type);
  return {};
}
