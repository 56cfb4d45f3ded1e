//===- TfmOps.cpp - tfm op type inference and verifiers -------------------===//
//
// Part of kiln. Result type inference and verification of the `tfm` ops.
// Ops with inferred result types diagnose invalid operands in
// inferReturnTypes (run by the verifier through InferTypeOpInterface), so
// each invariant is checked in exactly one place.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// The float type a weight operand computes in: its element type, or the
/// expressed type of a quantized element type.
static Type computeElementType(Type elementType) {
  if (auto q = dyn_cast<quant::QuantizedType>(elementType))
    return q.getExpressedType();
  return elementType;
}

static bool isDynamicOrEqual(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Merges two compatible dimensions, preferring the static one.
static int64_t mergeDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

/// Checks that `operand` broadcasts into `shape` without growing it, as an
/// epilogue operand (bias, residual, mask) must.
static LogicalResult checkBroadcastsInto(std::optional<Location> loc,
                                         StringRef opName, StringRef what,
                                         RankedTensorType operand,
                                         ArrayRef<int64_t> shape) {
  std::optional<SmallVector<int64_t>> merged =
      broadcastShapes(shape, operand.getShape());
  bool fits = merged && merged->size() == shape.size();
  for (size_t i = 0; fits && i < shape.size(); ++i)
    fits = isDynamicOrEqual((*merged)[i], shape[i]);
  if (!fits)
    return emitOptionalError(loc, "'", opName, "' op ", what, " of shape ",
                             formatShape(operand.getShape()),
                             " does not broadcast to ", formatShape(shape));
  return success();
}

/// Checks a matmul's epilogue operands: a bias and a residual (either may
/// be null) of the result's element type that broadcast into its shape.
static LogicalResult checkEpilogueOperands(std::optional<Location> loc,
                                           StringRef opName, Value bias,
                                           Value residual, Type element,
                                           ArrayRef<int64_t> shape) {
  for (auto [what, operand] :
       {std::pair<StringRef, Value>{"bias", bias}, {"residual", residual}}) {
    if (!operand)
      continue;
    RankedTensorType type = tensorType(operand);
    if (type.getElementType() != element)
      return emitOptionalError(loc, "'", opName, "' op ", what,
                               " element type ", type.getElementType(),
                               " differs from ", element);
    if (failed(checkBroadcastsInto(loc, opName, what, type, shape)))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult RuntimeCheckOp::verify() {
  size_t n = getValues().size();
  if (n > 2)
    return emitOpError("takes at most 2 values, got ") << n;
  // Each value's placeholder once, in order; no other placeholder.
  StringRef message = getMessage();
  size_t from = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string placeholder = "{" + std::to_string(i) + "}";
    size_t at = message.find(placeholder, from);
    if (at == StringRef::npos)
      return emitOpError("message must contain ")
             << placeholder << " (once, after the previous value's)";
    from = at + placeholder.size();
  }
  for (size_t at = message.find('{'); at != StringRef::npos;
       at = message.find('{', at + 1)) {
    StringRef rest = message.drop_front(at + 1);
    unsigned index;
    if (!rest.consumeInteger(10, index) && rest.starts_with("}") &&
        (index >= n || message.find(("{" + std::to_string(index) + "}"),
                                    at + 1) != StringRef::npos))
      return emitOpError("message has a placeholder {")
             << index << "} for " << n << " value(s)";
  }
  return success();
}

LogicalResult ConstantOp::verify() {
  if (!cast<RankedTensorType>(getValue().getType()).hasStaticShape())
    return emitOpError("value must have a static shape");
  return success();
}

void ConstantOp::getAsmResultNames(
    function_ref<void(Value, StringRef)> setNameFn) {
  setNameFn(getResult(), "cst");
}

//===----------------------------------------------------------------------===//
// Shape computations
//===----------------------------------------------------------------------===//

int64_t ShapeOp::getEndDim() {
  return getEnd() ? static_cast<int64_t>(*getEnd())
                  : tensorType(getInput()).getRank();
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  int64_t rank = tensorType(adaptor.getInput()).getRank();
  int64_t start = adaptor.getStart();
  int64_t end = adaptor.getEnd() ? static_cast<int64_t>(*adaptor.getEnd())
                                 : rank;
  if (start < 0 || end > rank || start > end)
    return emitOptionalError(loc, "'tfm.shape' op range [", start, ", ", end,
                             ") is not within the input rank ", rank);
  types.push_back(
      RankedTensorType::get({end - start}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult ConstantOfShapeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  std::optional<SmallVector<int64_t>> dims =
      getShapeOperandDims(adaptor.getShape());
  if (!dims)
    return emitOptionalError(
        loc, "'tfm.constant_of_shape' op shape operand must have a static "
             "length");
  Attribute value = adaptor.getValue();
  if (!isa<IntegerAttr, FloatAttr>(value))
    return emitOptionalError(
        loc, "'tfm.constant_of_shape' op value must be an integer or float "
             "scalar");
  types.push_back(
      RankedTensorType::get(*dims, cast<TypedAttr>(value).getType()));
  return success();
}

/// The number of elements of `Range(start, limit, delta)`.
static std::optional<int64_t> rangeLength(Attribute start, Attribute limit,
                                          Attribute delta) {
  auto toDouble = [](Attribute a) -> std::optional<double> {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!dense)
      return std::nullopt;
    if (isa<FloatType>(dense.getElementType()))
      return (*dense.getValues<APFloat>().begin()).convertToDouble();
    return static_cast<double>((*dense.getValues<APInt>().begin()).getSExtValue());
  };
  std::optional<double> s = toDouble(start), l = toDouble(limit),
                        d = toDouble(delta);
  if (!s || !l || !d || *d == 0)
    return std::nullopt;
  double length = std::ceil((*l - *s) / *d);
  // NaN or an astronomically long range: leave the length dynamic rather
  // than convert an unrepresentable double.
  if (!(length < static_cast<double>(int64_t{1} << 53)))
    return std::nullopt;
  return std::max<int64_t>(0, static_cast<int64_t>(length));
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type element = tensorType(adaptor.getStart()).getElementType();
  if (tensorType(adaptor.getLimit()).getElementType() != element ||
      tensorType(adaptor.getDelta()).getElementType() != element)
    return emitOptionalError(
        loc, "'tfm.range' op start, limit and delta must share an element "
             "type");
  Attribute start, limit, delta;
  matchPattern(adaptor.getStart(), m_Constant(&start));
  matchPattern(adaptor.getLimit(), m_Constant(&limit));
  matchPattern(adaptor.getDelta(), m_Constant(&delta));
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(delta)) {
    bool zero = isa<FloatType>(element)
                    ? (*dense.getValues<APFloat>().begin()).isZero()
                    : (*dense.getValues<APInt>().begin()).isZero();
    if (zero)
      return emitOptionalError(loc, "'tfm.range' op delta must not be zero");
  }
  std::optional<int64_t> length = rangeLength(start, limit, delta);
  types.push_back(
      RankedTensorType::get({length ? *length : ShapedType::kDynamic}, element));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() && getMin()->convertToDouble() >
                                  getMax()->convertToDouble())
    return emitOpError("min ") << getMin()->convertToDouble()
                               << " is greater than max "
                               << getMax()->convertToDouble();
  return success();
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Type lhs = tensorType(adaptor.getLhs()).getElementType();
  Type rhs = tensorType(adaptor.getRhs()).getElementType();
  if (lhs != rhs)
    return emitOptionalError(loc, "'tfm.compare' op operands have different "
                                  "element types (",
                             lhs, " vs ", rhs, ")");
  return inferBroadcastResult(
      loc, getOperationName(), {adaptor.getLhs().getType(), adaptor.getRhs().getType()},
      IntegerType::get(context, 1), types);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Type onTrue = tensorType(adaptor.getOnTrue()).getElementType();
  Type onFalse = tensorType(adaptor.getOnFalse()).getElementType();
  if (onTrue != onFalse)
    return emitOptionalError(loc, "'tfm.select' op branches have different "
                                  "element types (",
                             onTrue, " vs ", onFalse, ")");
  return inferBroadcastResult(loc, getOperationName(),
                              {adaptor.getCondition().getType(),
                               adaptor.getOnTrue().getType(),
                               adaptor.getOnFalse().getType()},
                              onTrue, types);
}

LogicalResult CastOp::verify() {
  RankedTensorType in = getInput().getType(), out = getOutput().getType();
  if (!areCompatibleTensorTypes(in.clone(out.getElementType()), out))
    return emitOpError("result shape ")
           << formatShape(out.getShape()) << " differs from input shape "
           << formatShape(in.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// Checks that a per-axis quantized tensor type has one scale per element of
/// its quantized dimension. Other element types pass.
static LogicalResult checkPerAxisQuantization(std::optional<Location> loc,
                                              StringRef opName,
                                              RankedTensorType type) {
  auto perAxis =
      dyn_cast<quant::UniformQuantizedPerAxisType>(type.getElementType());
  if (!perAxis)
    return success();
  int64_t axis = perAxis.getQuantizedDimension();
  if (axis >= type.getRank())
    return emitOptionalError(loc, "'", opName, "' op quantized dimension ",
                             axis, " is out of range for rank ",
                             type.getRank());
  int64_t dim = type.getDimSize(axis);
  int64_t scales = perAxis.getScales().size();
  if (!ShapedType::isDynamic(dim) && dim != scales)
    return emitOptionalError(loc, "'", opName, "' op has ", scales,
                             " scales for quantized dimension ", axis,
                             " of size ", dim);
  return success();
}

/// Checks a float/quantized tensor pair of a quantize or dequantize op.
static LogicalResult verifyQuantPair(Operation *op, RankedTensorType floatType,
                                     RankedTensorType quantType) {
  auto q = cast<quant::QuantizedType>(quantType.getElementType());
  if (q.getExpressedType() != floatType.getElementType())
    return op->emitOpError("quantized type expresses ")
           << q.getExpressedType() << " but the float tensor holds "
           << floatType.getElementType();
  if (!areCompatibleTensorTypes(floatType,
                                quantType.clone(floatType.getElementType())))
    return op->emitOpError("shapes differ: ")
           << formatShape(floatType.getShape()) << " vs "
           << formatShape(quantType.getShape());
  return checkPerAxisQuantization(op->getLoc(), op->getName().getStringRef(),
                                  quantType);
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantPair(*this, getInput().getType(), getOutput().getType());
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantPair(*this, getOutput().getType(), getInput().getType());
}

LogicalResult DynamicQuantizeOp::verify() {
  if (getOutput().getType().getShape() != getInput().getType().getShape())
    return emitOpError("output shape ")
           << formatShape(getOutput().getType().getShape())
           << " differs from input shape "
           << formatShape(getInput().getType().getShape());
  return success();
}

LogicalResult MatmulIntegerOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.matmul_integer' op ", args...);
  };
  RankedTensorType lhs = tensorType(adaptor.getLhs());
  RankedTensorType rhs = tensorType(adaptor.getRhs());
  if (lhs.getRank() < 1 || rhs.getRank() != 2)
    return fail("needs lhs of rank >= 1 and a 2-D rhs [K, N], got ranks ",
                lhs.getRank(), " and ", rhs.getRank());
  int64_t k = rhs.getDimSize(0), n = rhs.getDimSize(1);
  if (!isDynamicOrEqual(lhs.getShape().back(), k))
    return fail("lhs has ", lhs.getShape().back(),
                " columns but rhs [K, N] has K = ", k);
  auto checkZeroPoint = [&](Value zero, RankedTensorType of, StringRef what,
                            bool perColumn) -> LogicalResult {
    if (!zero)
      return success();
    RankedTensorType type = tensorType(zero);
    if (type.getElementType() != of.getElementType())
      return fail(what, " zero point element type ", type.getElementType(),
                  " differs from ", of.getElementType());
    if (type.getRank() == 0 ||
        (perColumn && type.getRank() == 1 &&
         isDynamicOrEqual(type.getDimSize(0), n)))
      return success();
    return fail(what, " zero point must be 0-D", perColumn ? " or [N]" : "",
                ", got ", formatShape(type.getShape()));
  };
  if (failed(checkZeroPoint(adaptor.getLhsZeroPoint(), lhs, "lhs", false)) ||
      failed(checkZeroPoint(adaptor.getRhsZeroPoint(), rhs, "rhs", true)))
    return failure();
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  shape.push_back(n);
  types.push_back(RankedTensorType::get(shape, IntegerType::get(context, 32)));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and scans
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  if (axes.empty() || !isSortedUniqueAxes(axes, input.getRank()))
    return emitOptionalError(
        loc, "'tfm.reduce' op axes must be non-empty, sorted, unique and in "
             "[0, ",
        input.getRank(), ")");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < input.getRank(); ++i) {
    if (!llvm::is_contained(axes, i))
      shape.push_back(input.getDimSize(i));
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOptionalError(loc, "'tfm.argmax' op axis ", axis,
                             " is out of range for rank ", input.getRank());
  SmallVector<int64_t> shape(input.getShape());
  if (adaptor.getKeepdims())
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  types.push_back(RankedTensorType::get(shape, IntegerType::get(context, 64)));
  return success();
}

/// Checks that `axis` indexes a dimension of `type`.
static LogicalResult verifyAxis(Operation *op, int64_t axis,
                                RankedTensorType type) {
  if (axis < 0 || axis >= type.getRank())
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << type.getRank();
  return success();
}

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType());
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  std::optional<SmallVector<int64_t>> dims =
      getShapeOperandDims(adaptor.getShape());
  if (!dims)
    return emitOptionalError(
        loc, "'tfm.reshape' op shape operand must have a static length");
  // Resolve a single -1 entry when everything else is known.
  std::optional<SmallVector<int64_t>> values =
      getConstantIntValues(adaptor.getShape());
  if (values && input.hasStaticShape() &&
      llvm::count(*values, -1) == 1 &&
      llvm::all_of(*values, [](int64_t v) { return v >= -1; })) {
    int64_t known = 1;
    for (int64_t v : *values)
      if (v != -1)
        known *= v;
    if (known > 0 && input.getNumElements() % known == 0)
      (*dims)[llvm::find(*values, -1) - values->begin()] =
          input.getNumElements() / known;
  }
  // Entries read from a static dim of some tensor are static; with dynamic
  // input dims the -1 is still known when the shape copies every dynamic
  // dim (view(b, t, h, -1) with b, t read from the input).
  if (std::optional<SmallVector<ShapeEntry>> entries =
          input.hasStaticShape() ? std::nullopt
                                 : getShapeOperandEntries(adaptor.getShape())) {
    std::optional<int64_t> wildcard =
        inferReshapeWildcard(adaptor.getInput(), *entries);
    for (auto [i, e] : llvm::enumerate(*entries)) {
      auto of = e.of ? dyn_cast<RankedTensorType>(e.of.getType()) : nullptr;
      if (e.constant == -1 && wildcard)
        (*dims)[i] = *wildcard;
      else if (of && e.dim >= 0 && e.dim < of.getRank() &&
               !of.isDynamicDim(e.dim) && i < dims->size())
        (*dims)[i] = of.getDimSize(e.dim);
    }
  }
  types.push_back(input.clone(*dims));
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getOutput().getType();
  if (std::optional<SmallVector<int64_t>> values =
          getConstantIntValues(getShape())) {
    if (llvm::count(*values, -1) > 1)
      return emitOpError("shape has more than one -1 entry");
    int64_t known = 1;
    for (int64_t v : *values) {
      if (v < -1)
        return emitOpError("shape entry ") << v << " is negative";
      if (v != -1)
        known *= v;
    }
    if (in.hasStaticShape()) {
      int64_t count = in.getNumElements();
      bool inferred = llvm::is_contained(*values, -1);
      if (inferred ? (known == 0 || count % known != 0) : known != count)
        return emitOpError("cannot reshape ")
               << count << " elements into shape "
               << formatShape(*values);
    }
  }
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << in.getNumElements() << " elements into "
           << formatShape(out.getShape());
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  bool isPermutation = static_cast<int64_t>(perm.size()) == input.getRank();
  for (size_t i = 0; isPermutation && i < sorted.size(); ++i)
    isPermutation = sorted[i] == static_cast<int64_t>(i);
  if (!isPermutation)
    return emitOptionalError(loc, "'tfm.transpose' op permutation is not a "
                                  "permutation of [0, ",
                             input.getRank(), ")");
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(input.getDimSize(p));
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "'tfm.concat' op needs at least one input");
  RankedTensorType first = tensorType(adaptor.getInputs().front());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return emitOptionalError(loc, "'tfm.concat' op axis ", axis,
                             " is out of range for rank ", first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : adaptor.getInputs().drop_front()) {
    RankedTensorType t = tensorType(v);
    if (t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "'tfm.concat' op inputs differ in rank or "
                                    "element type: ",
                               first, " vs ", t);
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) || t.isDynamicDim(d)
                       ? ShapedType::kDynamic
                       : shape[d] + t.getDimSize(d);
        continue;
      }
      if (!isDynamicOrEqual(shape[d], t.getDimSize(d)))
        return emitOptionalError(loc, "'tfm.concat' op inputs differ in "
                                      "dimension ",
                                 d, " (", shape[d], " vs ", t.getDimSize(d),
                                 ")");
      shape[d] = mergeDims(shape[d], t.getDimSize(d));
    }
  }
  types.push_back(first.clone(shape));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes(), steps = adaptor.getSteps();
  if (axes.size() != steps.size())
    return emitOptionalError(loc, "'tfm.slice' op has ", axes.size(),
                             " axes but ", steps.size(), " steps");
  for (Value bound : {adaptor.getStarts(), adaptor.getEnds()}) {
    int64_t len = tensorType(bound).getDimSize(0);
    if (!ShapedType::isDynamic(len) && len != static_cast<int64_t>(axes.size()))
      return emitOptionalError(loc, "'tfm.slice' op has ", axes.size(),
                               " axes but a bound operand of length ", len);
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= input.getRank())
      return emitOptionalError(loc, "'tfm.slice' op axis ", axes[i],
                               " is out of range for rank ", input.getRank());
    if (llvm::count(axes, axes[i]) > 1)
      return emitOptionalError(loc, "'tfm.slice' op axis ", axes[i],
                               " appears twice");
    if (steps[i] == 0)
      return emitOptionalError(loc, "'tfm.slice' op step for axis ", axes[i],
                               " is zero");
  }
  std::optional<SmallVector<int64_t>> starts =
      getConstantIntValues(adaptor.getStarts());
  std::optional<SmallVector<int64_t>> ends =
      getConstantIntValues(adaptor.getEnds());
  SmallVector<int64_t> shape(input.getShape());
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t dim = input.getDimSize(axes[i]);
    shape[axes[i]] = starts && ends && !ShapedType::isDynamic(dim)
                         ? sliceSize(dim, (*starts)[i], (*ends)[i], steps[i])
                         : ShapedType::kDynamic;
  }
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult SplitOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxis(*this, getAxis(), input)))
    return failure();
  int64_t axis = getAxis();
  size_t pieces = getOutputs().size();
  if (pieces == 0)
    return emitOpError("needs at least one result");
  int64_t dim = input.getDimSize(axis);
  if (std::optional<ArrayRef<int64_t>> sizes = getSizes()) {
    if (sizes->size() != pieces)
      return emitOpError("has ") << sizes->size() << " sizes but " << pieces
                                 << " results";
    int64_t total = 0;
    for (int64_t s : *sizes) {
      if (s < 0)
        return emitOpError("split size ") << s << " is negative";
      total += s;
    }
    if (!ShapedType::isDynamic(dim) && total != dim)
      return emitOpError("split sizes add up to ")
             << total << " but dimension " << axis << " is " << dim;
  }
  for (auto [i, piece] : llvm::enumerate(getPieceTypes())) {
    Type type = getOutputs()[i].getType();
    if (!areCompatibleTensorTypes(piece, type))
      return emitOpError("result ")
             << i << " has type " << type << " but the split gives " << piece;
  }
  return success();
}

SmallVector<Type> SplitOp::getPieceTypes() {
  RankedTensorType input = getInput().getType();
  int64_t axis = getAxis(), pieces = getOutputs().size();
  int64_t dim = input.getDimSize(axis);
  SmallVector<Type> types;
  for (int64_t i = 0; i < pieces; ++i) {
    SmallVector<int64_t> shape(input.getShape());
    if (std::optional<ArrayRef<int64_t>> sizes = getSizes())
      shape[axis] = (*sizes)[i];
    else if (!ShapedType::isDynamic(dim))
      shape[axis] = equalSplitSize(dim, pieces, i);
    else
      shape[axis] = ShapedType::kDynamic;
    types.push_back(input.clone(shape));
  }
  return types;
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  RankedTensorType indices = tensorType(adaptor.getIndices());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOptionalError(loc, "'tfm.gather' op axis ", axis,
                             " is out of range for rank ", input.getRank());
  SmallVector<int64_t> shape(input.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, input.getShape().drop_front(axis + 1));
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType data = tensorType(adaptor.getData());
  RankedTensorType indices = tensorType(adaptor.getIndices());
  RankedTensorType updates = tensorType(adaptor.getUpdates());
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.scatter_nd' op ", args...);
  };
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return fail("indices need a static last dimension (the index length)");
  int64_t k = indices.getShape().back();
  if (k < 1 || k > data.getRank())
    return fail("index length ", k, " is not in [1, ", data.getRank(), "]");
  if (updates.getElementType() != data.getElementType())
    return fail("updates element type ", updates.getElementType(),
                " differs from data element type ", data.getElementType());
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (!areCompatibleTensorTypes(updates, updates.clone(expected)))
    return fail("updates have shape ", formatShape(updates.getShape()),
                " but the indices select ", formatShape(expected));
  types.push_back(data);
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  std::optional<SmallVector<int64_t>> dims =
      getShapeOperandDims(adaptor.getShape());
  if (!dims)
    return emitOptionalError(
        loc, "'tfm.expand' op shape operand must have a static length");
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(input.getShape(), *dims);
  if (!shape)
    return emitOptionalError(loc, "'tfm.expand' op input shape ",
                             formatShape(input.getShape()),
                             " does not broadcast to ", formatShape(*dims));
  types.push_back(input.clone(*shape));
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  if (!isSortedUniqueAxes(axes, input.getRank()))
    return emitOptionalError(loc, "'tfm.squeeze' op axes must be sorted, "
                                  "unique and in [0, ",
                             input.getRank(), ")");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < input.getRank(); ++i) {
    int64_t dim = input.getDimSize(i);
    if (!llvm::is_contained(axes, i)) {
      shape.push_back(dim);
      continue;
    }
    if (!ShapedType::isDynamic(dim) && dim != 1)
      return emitOptionalError(loc, "'tfm.squeeze' op dimension ", i,
                               " has size ", dim, ", not 1");
  }
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  int64_t rank = input.getRank() + axes.size();
  if (axes.empty() || !isSortedUniqueAxes(axes, rank))
    return emitOptionalError(loc, "'tfm.unsqueeze' op axes must be non-empty, "
                                  "sorted, unique and in [0, ",
                             rank, ")");
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> rest = input.getShape();
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(axes, i)) {
      shape.push_back(1);
    } else {
      shape.push_back(rest.front());
      rest = rest.drop_front();
    }
  }
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("needs a tensor of rank >= 2, got rank ")
           << getInput().getType().getRank();
  return success();
}

//===----------------------------------------------------------------------===//
// Transformer ops
//===----------------------------------------------------------------------===//

LogicalResult QuantizeProbabilitiesOp::verify() {
  if (getBits() != 4 && getBits() != 8)
    return emitOpError("bits must be 4 or 8, got ") << getBits();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType());
}

/// Checks the affine parameters (scale, bias) of a norm over [axis, rank).
static LogicalResult verifyNormParams(Operation *op, RankedTensorType input,
                                      int64_t axis, ArrayRef<Value> params,
                                      RankedTensorType result) {
  if (failed(verifyAxis(op, axis, input)))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (Value param : params) {
    auto type = cast<RankedTensorType>(param.getType());
    if (type.getElementType() != input.getElementType())
      return op->emitOpError("parameter element type ")
             << type.getElementType() << " differs from input element type "
             << input.getElementType();
    if (!areCompatibleTensorTypes(type, input.clone(normalized)))
      return op->emitOpError("parameter shape ")
             << formatShape(type.getShape())
             << " differs from the normalized shape "
             << formatShape(normalized);
  }
  if (!areCompatibleTensorTypes(input, result))
    return op->emitOpError("result type ")
           << result << " differs from input type " << input;
  return success();
}

LogicalResult LayerNormOp::verify() {
  SmallVector<Value> params{getScale()};
  if (getBias())
    params.push_back(getBias());
  return verifyNormParams(*this, getInput().getType(), getAxis(), params,
                          getOutput().getType());
}

LogicalResult RmsNormOp::verify() {
  return verifyNormParams(*this, getInput().getType(), getAxis(), {getScale()},
                          getOutput().getType());
}

LogicalResult RopeOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() < 2)
    return emitOpError("input must have rank >= 2 ([..., seq, dim]), got ")
           << input.getRank();
  if (!areCompatibleTensorTypes(input, getOutput().getType()))
    return emitOpError("result type ")
           << getOutput().getType() << " differs from input type " << input;
  RankedTensorType cos = getCos().getType(), sin = getSin().getType();
  if (!areCompatibleTensorTypes(cos, sin))
    return emitOpError("cos and sin types differ: ") << cos << " vs " << sin;
  if (cos.getElementType() != input.getElementType())
    return emitOpError("cos/sin element type ")
           << cos.getElementType() << " differs from input element type "
           << input.getElementType();
  if (cos.getRank() < 2 || cos.getRank() > input.getRank())
    return emitOpError("cos/sin must have rank in [2, ")
           << input.getRank() << "], got " << cos.getRank();
  int64_t rotary = cos.getShape().back();
  int64_t dim = input.getShape().back();
  if (!ShapedType::isDynamic(rotary)) {
    if (rotary % 2 != 0)
      return emitOpError("rotary dimension ") << rotary << " is odd";
    if (!ShapedType::isDynamic(dim) && rotary > dim)
      return emitOpError("rotary dimension ")
             << rotary << " exceeds the feature dimension " << dim;
  }
  // cos/sin broadcast against the input's [..., seq] dimensions.
  SmallVector<int64_t> leading(input.getShape().drop_back());
  leading.push_back(rotary);
  return checkBroadcastsInto(getLoc(), getOperationName(), "cos/sin", cos,
                             leading);
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType table = tensorType(adaptor.getTable());
  if (table.getRank() != 2)
    return emitOptionalError(loc, "'tfm.embedding' op table must have rank 2 "
                                  "([vocab, hidden]), got rank ",
                             table.getRank());
  if (failed(checkPerAxisQuantization(loc, "tfm.embedding", table)))
    return failure();
  SmallVector<int64_t> shape(tensorType(adaptor.getIds()).getShape());
  shape.push_back(table.getDimSize(1));
  types.push_back(
      RankedTensorType::get(shape, computeElementType(table.getElementType())));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType lhs = tensorType(adaptor.getLhs());
  RankedTensorType rhs = tensorType(adaptor.getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(loc, "'tfm.matmul' op operands must have rank "
                                  ">= 2, got ",
                             lhs.getRank(), " and ", rhs.getRank());
  Type element = lhs.getElementType();
  if (computeElementType(rhs.getElementType()) != element)
    return emitOptionalError(loc, "'tfm.matmul' op rhs element type ",
                             rhs.getElementType(),
                             " does not compute in the lhs element type ",
                             element);
  if (failed(checkPerAxisQuantization(loc, "tfm.matmul", rhs)))
    return failure();
  ArrayRef<int64_t> ls = lhs.getShape(), rs = rhs.getShape();
  int64_t m = ls[ls.size() - 2], kl = ls.back();
  if (adaptor.getTransposeLhs())
    std::swap(m, kl);
  int64_t kr = rs[rs.size() - 2], n = rs.back();
  if (adaptor.getTransposeRhs())
    std::swap(kr, n);
  if (!isDynamicOrEqual(kl, kr))
    return emitOptionalError(loc, "'tfm.matmul' op contraction dimensions "
                                  "differ: ",
                             kl, " vs ", kr);
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(ls.drop_back(2), rs.drop_back(2));
  if (!shape)
    return emitOptionalError(loc, "'tfm.matmul' op batch dimensions ",
                             formatShape(ls.drop_back(2)), " and ",
                             formatShape(rs.drop_back(2)),
                             " do not broadcast");
  shape->append({m, n});
  if (failed(checkEpilogueOperands(loc, "tfm.matmul", adaptor.getBias(),
                                   adaptor.getResidual(), element, *shape)))
    return failure();
  types.push_back(RankedTensorType::get(*shape, element));
  return success();
}

LogicalResult QuantizedMatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.quantized_matmul' op ", args...);
  };
  RankedTensorType lhs = tensorType(adaptor.getLhs());
  RankedTensorType weight = tensorType(adaptor.getWeight());
  RankedTensorType scale = tensorType(adaptor.getScale());
  int64_t bits = adaptor.getBits();
  int64_t group = adaptor.getGroupSize();
  if (bits != 4 && bits != 8)
    return fail("bits must be 4 or 8, got ", bits);
  if (group < 0 || group % 16)
    return fail("group_size must be 0 or a positive multiple of 16, got ",
                group);
  if (lhs.getRank() < 1 || weight.getRank() != 2)
    return fail("needs lhs of rank >= 1 and a weight [N, K], got ranks ",
                lhs.getRank(), " and ", weight.getRank());
  Type element = lhs.getElementType();
  int64_t n = weight.getDimSize(0), k = weight.getDimSize(1);
  if (!isDynamicOrEqual(lhs.getShape().back(), k))
    return fail("lhs has ", lhs.getShape().back(),
                " columns but the weight [N, K] has K = ", k);
  int64_t groups = ShapedType::isDynamic(k)
                       ? ShapedType::kDynamic
                       : QuantizedMatmulOp::groupCount(k, group);
  SmallVector<int64_t, 2> groupShape{n, groups};
  auto checkGroupShape = [&](StringRef what, RankedTensorType type) {
    if (type.getRank() == 2 && isDynamicOrEqual(type.getDimSize(0), n) &&
        isDynamicOrEqual(type.getDimSize(1), groups))
      return success();
    return fail(what, " must be [N, groups] = ", formatShape(groupShape),
                ", got ", formatShape(type.getShape()));
  };
  if (scale.getElementType() != element)
    return fail("scale element type ", scale.getElementType(),
                " differs from ", element);
  if (failed(checkGroupShape("scale", scale)))
    return failure();
  Value zeroPoint = adaptor.getZeroPoint();
  if (zeroPoint && failed(checkGroupShape("zero_point",
                                          tensorType(zeroPoint))))
    return failure();
  LhsQuantization lhsQuantization = adaptor.getLhsQuantization();
  if (Value offset = adaptor.getOffset()) {
    if (zeroPoint || lhsQuantization != LhsQuantization::none)
      return fail("offset goes with weight-only quantization (lhs none) "
                  "and instead of a zero_point");
    if (tensorType(offset).getElementType() != element)
      return fail("offset element type ", tensorType(offset).getElementType(),
                  " differs from ", element);
    if (failed(checkGroupShape("offset", tensorType(offset))))
      return failure();
  }
  bool perToken = lhsQuantization == LhsQuantization::per_token;
  if (perToken && (bits != 8 || group != 0 || zeroPoint))
    return fail("per_token lhs quantization needs symmetric per-channel "
                "weights (bits = 8, group_size = 0, no zero_point)");
  if (lhsQuantization != LhsQuantization::none && (bits != 8 || group != 0))
    return fail(stringifyLhsQuantization(lhsQuantization),
                " lhs quantization needs per-channel int8 weights (bits = 8, "
                "group_size = 0)");
  bool isStatic = lhsQuantization == LhsQuantization::per_tensor_static;
  std::optional<APFloat> lhsScale = adaptor.getLhsScale();
  std::optional<uint64_t> lhsZero = adaptor.getLhsZeroPoint();
  if (isStatic != (lhsScale && lhsZero) || (!isStatic && (lhsScale || lhsZero)))
    return fail("lhs_scale and lhs_zero_point go with (and only with) "
                "per_tensor_static lhs quantization");
  if (isStatic && (!(lhsScale->convertToFloat() > 0) ||
                   !std::isfinite(lhsScale->convertToFloat()) ||
                   static_cast<int64_t>(*lhsZero) < 0 || *lhsZero > 255))
    return fail("per_tensor_static needs a positive finite lhs_scale and an "
                "lhs_zero_point in [0, 255]");
  if (Value channelScale = adaptor.getChannelScale()) {
    RankedTensorType type = tensorType(channelScale);
    if (!perToken || adaptor.getOutlierThreshold())
      return fail("channel_scale needs per_token lhs quantization without "
                  "outlier_threshold");
    if (type.getElementType() != element || type.getRank() != 1 ||
        !isDynamicOrEqual(type.getDimSize(0), k))
      return fail("channel_scale must be [K] = [", k, "] of ", element,
                  ", got ", type);
  }
  if (std::optional<APFloat> threshold = adaptor.getOutlierThreshold()) {
    if (!perToken)
      return fail("outlier_threshold needs per_token lhs quantization");
    if (!(threshold->convertToFloat() > 0))
      return fail("outlier_threshold must be positive");
  }
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  shape.push_back(n);
  if (failed(checkEpilogueOperands(loc, "tfm.quantized_matmul",
                                   adaptor.getBias(), adaptor.getResidual(),
                                   element, shape)))
    return failure();
  types.push_back(RankedTensorType::get(shape, element));
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType q = tensorType(adaptor.getQuery());
  RankedTensorType k = tensorType(adaptor.getKey());
  RankedTensorType v = tensorType(adaptor.getValue());
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.attention' op ", args...);
  };
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return fail("query, key and value must have rank 4 ([batch, heads, seq, "
                "dim]), got ",
                q.getRank(), ", ", k.getRank(), " and ", v.getRank());
  if (k.getElementType() != q.getElementType() ||
      v.getElementType() != q.getElementType())
    return fail("query, key and value element types differ");
  ArrayRef<int64_t> qs = q.getShape(), ks = k.getShape(), vs = v.getShape();
  if (!isDynamicOrEqual(qs[0], ks[0]) || !isDynamicOrEqual(qs[0], vs[0]) ||
      !isDynamicOrEqual(ks[0], vs[0]))
    return fail("batch sizes differ: ", formatDim(qs[0]), ", ",
                formatDim(ks[0]), ", ", formatDim(vs[0]));
  if (!isDynamicOrEqual(ks[1], vs[1]))
    return fail("key and value head counts differ: ", ks[1], " vs ", vs[1]);
  int64_t kvHeads = mergeDims(ks[1], vs[1]);
  if (!ShapedType::isDynamic(qs[1]) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || qs[1] % kvHeads != 0))
    return fail("query heads (", qs[1],
                ") are not a multiple of key/value heads (", kvHeads, ")");
  if (!isDynamicOrEqual(qs[3], ks[3]))
    return fail("query and key head dims differ: ", qs[3], " vs ", ks[3]);
  if (!isDynamicOrEqual(ks[2], vs[2]))
    return fail("key and value sequence lengths differ: ", ks[2], " vs ",
                vs[2]);
  if (std::optional<APFloat> scale = adaptor.getScale())
    if (!(scale->convertToDouble() > 0) || scale->isInfinity())
      return fail("scale must be positive and finite, got ",
                  scale->convertToDouble());
  int64_t batch = mergeDims(mergeDims(qs[0], ks[0]), vs[0]);
  if (Value mask = adaptor.getMask()) {
    RankedTensorType m = tensorType(mask);
    if (!m.getElementType().isInteger(1) &&
        m.getElementType() != q.getElementType())
      return fail("mask element type ", m.getElementType(),
                  " is neither i1 nor the query element type");
    SmallVector<int64_t> scores{batch, qs[1], qs[2], mergeDims(ks[2], vs[2])};
    if (failed(checkBroadcastsInto(loc, "tfm.attention", "mask", m, scores)))
      return failure();
  }
  types.push_back(q.clone({batch, qs[1], qs[2], vs[3]}));
  return success();
}

LogicalResult CachedAttentionOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType q = tensorType(adaptor.getQuery());
  RankedTensorType k = tensorType(adaptor.getKey());
  RankedTensorType v = tensorType(adaptor.getValue());
  RankedTensorType kc = tensorType(adaptor.getKeyCache());
  RankedTensorType vc = tensorType(adaptor.getValueCache());
  RankedTensorType len = tensorType(adaptor.getLengths());
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.cached_attention' op ", args...);
  };
  for (RankedTensorType t : {q, k, v, kc, vc})
    if (t.getRank() != 4)
      return fail("query, key, value and the caches must have rank 4 "
                  "([batch, heads, seq, dim]), got ",
                  t);
  if (len.getRank() != 1)
    return fail("lengths must have rank 1 ([batch]), got ", len);
  Type element = q.getElementType();
  for (RankedTensorType t : {k, v, kc, vc})
    if (t.getElementType() != element)
      return fail("query, key, value and cache element types differ");
  ArrayRef<int64_t> qs = q.getShape(), ks = k.getShape(), vs = v.getShape(),
                    kcs = kc.getShape(), vcs = vc.getShape();
  int64_t batch = len.getDimSize(0);
  for (ArrayRef<int64_t> s : {qs, ks, vs, kcs, vcs}) {
    if (!isDynamicOrEqual(batch, s[0]))
      return fail("batch sizes differ: ", formatDim(batch), " vs ",
                  formatDim(s[0]));
    batch = mergeDims(batch, s[0]);
  }
  int64_t kvHeads = ks[1];
  for (ArrayRef<int64_t> s : {vs, kcs, vcs}) {
    if (!isDynamicOrEqual(kvHeads, s[1]))
      return fail("key/value head counts differ: ", formatDim(kvHeads),
                  " vs ", formatDim(s[1]));
    kvHeads = mergeDims(kvHeads, s[1]);
  }
  if (!ShapedType::isDynamic(qs[1]) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || qs[1] % kvHeads != 0))
    return fail("query heads (", qs[1],
                ") are not a multiple of key/value heads (", kvHeads, ")");
  if (!isDynamicOrEqual(qs[2], ks[2]) || !isDynamicOrEqual(qs[2], vs[2]) ||
      !isDynamicOrEqual(ks[2], vs[2]))
    return fail("new-token counts differ: ", formatDim(qs[2]), ", ",
                formatDim(ks[2]), ", ", formatDim(vs[2]));
  if (!isDynamicOrEqual(kcs[2], vcs[2]))
    return fail("key and value cache capacities differ: ", formatDim(kcs[2]),
                " vs ", formatDim(vcs[2]));
  if (!isDynamicOrEqual(qs[3], ks[3]) || !isDynamicOrEqual(ks[3], kcs[3]))
    return fail("query, key and key cache head dims differ: ",
                formatDim(qs[3]), ", ", formatDim(ks[3]), ", ",
                formatDim(kcs[3]));
  if (!isDynamicOrEqual(vs[3], vcs[3]))
    return fail("value and value cache head dims differ: ", formatDim(vs[3]),
                " vs ", formatDim(vcs[3]));
  if (std::optional<APFloat> scale = adaptor.getScale())
    if (!(scale->convertToDouble() > 0) || scale->isInfinity())
      return fail("scale must be positive and finite, got ",
                  scale->convertToDouble());
  types.push_back(
      q.clone({batch, qs[1], mergeDims(mergeDims(qs[2], ks[2]), vs[2]),
               mergeDims(vs[3], vcs[3])}));
  return success();
}

LogicalResult LinearAttentionOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType q = tensorType(adaptor.getQuery());
  RankedTensorType k = tensorType(adaptor.getKey());
  RankedTensorType v = tensorType(adaptor.getValue());
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.linear_attention' op ", args...);
  };
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return fail("query, key and value must have rank 4 ([batch, heads, seq, "
                "dim]), got ",
                q.getRank(), ", ", k.getRank(), " and ", v.getRank());
  Type element = q.getElementType();
  if (k.getElementType() != element || v.getElementType() != element)
    return fail("query, key and value element types differ");
  ArrayRef<int64_t> qs = q.getShape(), ks = k.getShape(), vs = v.getShape();
  // Batch, heads and sequence agree across q, k and v; the head dims of q
  // and k agree.
  SmallVector<int64_t> merged(qs.begin(), qs.end());
  const char *dimNames[] = {"batch sizes", "head counts", "sequence lengths"};
  for (int d = 0; d < 3; ++d) {
    if (!isDynamicOrEqual(qs[d], ks[d]) || !isDynamicOrEqual(qs[d], vs[d]) ||
        !isDynamicOrEqual(ks[d], vs[d]))
      return fail(dimNames[d], " differ: ", formatDim(qs[d]), ", ",
                  formatDim(ks[d]), ", ", formatDim(vs[d]));
    merged[d] = mergeDims(mergeDims(qs[d], ks[d]), vs[d]);
  }
  if (!isDynamicOrEqual(qs[3], ks[3]))
    return fail("query and key head dims differ: ", qs[3], " vs ", ks[3]);
  int64_t batch = merged[0], heads = merged[1], seq = merged[2];
  int64_t dk = mergeDims(qs[3], ks[3]), dv = vs[3];

  LinearDecay decay = adaptor.getDecay();
  LinearNormalization norm = adaptor.getNormalization();
  bool causal = adaptor.getCausal();
  if (!causal && decay != LinearDecay::none)
    return fail("decay '", stringifyLinearDecay(decay), "' needs 'causal'");
  if (norm == LinearNormalization::retnet && decay != LinearDecay::constant)
    return fail("normalization 'retnet' needs decay 'constant'");
  std::optional<ArrayRef<float>> logDecay = adaptor.getLogDecay();
  if ((decay == LinearDecay::constant) != logDecay.has_value())
    return fail("'log_decay' must be given exactly when decay is 'constant'");
  if (logDecay) {
    if (!ShapedType::isDynamic(heads) &&
        static_cast<int64_t>(logDecay->size()) != heads)
      return fail("'log_decay' has ", logDecay->size(),
                  " values for ", heads, " heads");
    for (float g : *logDecay)
      if (!(g <= 0.0f) || std::isinf(g))
        return fail("'log_decay' values must be finite and <= 0, got ", g);
  }
  Value gate = adaptor.getGate();
  bool wantsGate =
      decay == LinearDecay::scalar_gate || decay == LinearDecay::vector_gate;
  if (wantsGate != static_cast<bool>(gate))
    return fail("a 'gate' operand must be given exactly when decay is "
                "'scalar_gate' or 'vector_gate'");
  if (gate) {
    RankedTensorType g = tensorType(gate);
    SmallVector<int64_t> expected{batch, heads, seq};
    if (decay == LinearDecay::vector_gate)
      expected.push_back(dk);
    bool fits = g.getElementType() == element &&
                g.getRank() == static_cast<int64_t>(expected.size());
    for (int64_t d = 0; fits && d < g.getRank(); ++d)
      fits = isDynamicOrEqual(g.getDimSize(d), expected[d]);
    if (!fits)
      return fail("gate ", g, " does not match ",
                  decay == LinearDecay::vector_gate ? "[B, H, T, Dk]"
                                                    : "[B, H, T]",
                  " of the query's element type");
  }
  auto plusOne = [](int64_t d) {
    return ShapedType::isDynamic(d) ? d : d + 1;
  };
  Value state = adaptor.getState();
  RankedTensorType stateType;
  if (state) {
    if (!causal)
      return fail("a 'state' needs 'causal'");
    stateType = tensorType(state);
    SmallVector<int64_t> expected{batch, heads, plusOne(dk), plusOne(dv)};
    bool fits = stateType.getElementType() == element &&
                stateType.getRank() == 4;
    for (int64_t d = 0; fits && d < 4; ++d)
      fits = isDynamicOrEqual(stateType.getDimSize(d), expected[d]);
    if (!fits)
      return fail("state ", stateType,
                  " does not match [B, H, Dk + 1, Dv + 1] of the query's "
                  "element type");
  }
  APFloat scale = adaptor.getScale();
  if (!(scale.convertToDouble() > 0) || scale.isInfinity())
    return fail("scale must be positive and finite, got ",
                scale.convertToDouble());
  APFloat epsilon = adaptor.getEpsilon();
  if (!(epsilon.convertToDouble() >= 0) || epsilon.isInfinity())
    return fail("epsilon must be finite and >= 0, got ",
                epsilon.convertToDouble());
  if (adaptor.getChunkSize() < 1)
    return fail("chunk_size must be positive, got ", adaptor.getChunkSize());

  types.push_back(q.clone({batch, heads, seq, dv}));
  if (state)
    types.push_back(q.clone({batch, heads, plusOne(dk), plusOne(dv)}));
  return success();
}

/// An attention's softmax scale: `scale`, or 1/sqrt of the query's (static)
/// head dim.
static std::optional<double> effectiveScale(std::optional<APFloat> scale,
                                            Value query) {
  if (scale)
    return scale->convertToDouble();
  int64_t dim = cast<RankedTensorType>(query.getType()).getDimSize(3);
  if (ShapedType::isDynamic(dim))
    return std::nullopt;
  return 1.0 / std::sqrt(static_cast<double>(dim));
}

std::optional<double> AttentionOp::getEffectiveScale() {
  return effectiveScale(getScale(), getQuery());
}

std::optional<double> CachedAttentionOp::getEffectiveScale() {
  return effectiveScale(getScale(), getQuery());
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  RankedTensorType input = tensorType(adaptor.getInput());
  RankedTensorType weight = tensorType(adaptor.getWeight());
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'tfm.conv' op ", args...);
  };
  if (input.getRank() < 3 || weight.getRank() != input.getRank())
    return fail("input must have rank >= 3 and the weight the same rank, got ",
                input.getRank(), " and ", weight.getRank());
  if (computeElementType(weight.getElementType()) != input.getElementType())
    return fail("weight element type ", weight.getElementType(),
                " does not compute in ", input.getElementType());
  if (failed(checkPerAxisQuantization(loc, "tfm.conv", weight)))
    return failure();
  size_t spatial = input.getRank() - 2;
  ArrayRef<int64_t> strides = adaptor.getStrides(),
                    dilations = adaptor.getDilations(),
                    pads = adaptor.getPads();
  if (strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial)
    return fail("expects ", spatial, " strides and dilations and ",
                2 * spatial, " pads");
  if (llvm::any_of(strides, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(dilations, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(pads, [](int64_t s) { return s < 0; }))
    return fail("strides and dilations must be positive, pads non-negative");
  int64_t group = adaptor.getGroup();
  int64_t channels = input.getDimSize(1), filters = weight.getDimSize(0);
  if (group <= 0)
    return fail("group must be positive, got ", group);
  if (!ShapedType::isDynamic(channels) &&
      !ShapedType::isDynamic(weight.getDimSize(1)) &&
      channels != weight.getDimSize(1) * group)
    return fail("input has ", channels, " channels but the weight expects ",
                weight.getDimSize(1), " x ", group, " groups");
  if (!ShapedType::isDynamic(filters) && filters % group != 0)
    return fail(filters, " filters do not divide into ", group, " groups");
  if (Value bias = adaptor.getBias()) {
    RankedTensorType b = tensorType(bias);
    if (b.getRank() != 1 || !isDynamicOrEqual(b.getDimSize(0), filters))
      return fail("bias must have shape [", formatDim(filters), "], got ",
                  formatShape(b.getShape()));
  }
  SmallVector<int64_t> shape{input.getDimSize(0), filters};
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = input.getDimSize(i + 2), kernel = weight.getDimSize(i + 2);
    if (ShapedType::isDynamic(in) || ShapedType::isDynamic(kernel)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t extent =
        in + pads[i] + pads[i + spatial] - dilations[i] * (kernel - 1) - 1;
    if (extent < 0)
      return fail("kernel does not fit spatial dimension ", i);
    shape.push_back(extent / strides[i] + 1);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

#define GET_OP_CLASSES
#include "dialects/tfm/TfmOps.cpp.inc"

std::string mlir::tfm::nodeLabel(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      name = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  for (char &c : name)
    c = c == '{' ? '(' : c == '}' ? ')' : c;
  std::string opName = op->getName().getStringRef().str();
  return name.empty() ? opName : "node '" + name + "' (" + opName + ")";
}
