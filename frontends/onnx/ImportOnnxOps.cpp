//===- ImportOnnxOps.cpp - converters for standard ONNX ops ---------------===//
//
// Part of kiln. One converter per ai.onnx op type, covering what PyTorch and
// Hugging Face exports of encoder, decoder and vision transformers contain
// at opsets 13 to 21. Forms that changed after opset 17 (reduction axes as
// inputs, Split's num_outputs, ...) are read from the protobuf directly.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ImportContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <limits>

using namespace mlir;
using namespace kiln::onnx_import;
namespace tfm = mlir::tfm;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Casts `value` to element type `element` unless it already has it.
Value castTo(NodeImporter &n, Value value, Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == element)
    return value;
  return n.create<tfm::CastOp>(type.clone(element), value);
}

/// Reads an integer list given as attribute `name` before opset
/// `inputSince` and as input `index` from then on. Returns std::nullopt when
/// it is absent; fails when the input is not a constant.
FailureOr<std::optional<SmallVector<int64_t>>>
intsFromAttrOrInput(NodeImporter &n, StringRef name, unsigned index,
                    int64_t inputSince) {
  if (n.opset() < inputSince)
    return n.intsAttr(name);
  if (!n.hasInput(index))
    return std::optional<SmallVector<int64_t>>();
  std::optional<SmallVector<int64_t>> values = n.constantInts(index);
  if (!values)
    return n.fail("input '" + name + "' must be a constant (computed " +
                  name + " are not supported)");
  return values;
}

Value buildUnsqueeze(NodeImporter &n, Value value, ArrayRef<int64_t> axes) {
  return n.make<tfm::UnsqueezeOp>(value, axes);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy>
LogicalResult convertUnary(NodeImporter &n) {
  n.setOutput(0, n.create<OpTy>(n.input(0)));
  return success();
}

template <typename OpTy>
LogicalResult convertBinary(NodeImporter &n) {
  return n.setResult(n.make<OpTy>(n.input(0), n.input(1)));
}

/// Variadic Max/Min/Sum fold pairwise; Mean divides the sum.
template <typename OpTy, bool mean = false>
LogicalResult convertVariadic(NodeImporter &n) {
  Value acc = n.input(0);
  for (unsigned i = 1; i < n.numInputs(); ++i)
    if (!(acc = n.make<OpTy>(acc, n.input(i))))
      return failure();
  if (mean && n.numInputs() > 1) {
    Type element = cast<RankedTensorType>(acc.getType()).getElementType();
    if (!(acc = n.make<tfm::DivOp>(acc,
                                   n.scalarConstant(element, n.numInputs()))))
      return failure();
  }
  n.setOutput(0, acc);
  return success();
}

LogicalResult convertPow(NodeImporter &n) {
  // The exponent may have another type than the base.
  Type element = n.inputType(0).getElementType();
  return n.setResult(n.make<tfm::PowOp>(n.input(0), castTo(n, n.input(1), element)));
}

template <tfm::ComparePredicate predicate>
LogicalResult convertCompare(NodeImporter &n) {
  return n.setResult(n.make<tfm::CompareOp>(predicate, n.input(0), n.input(1)));
}

/// IsNaN: x != x (unordered, so true exactly for NaN).
LogicalResult convertIsNaN(NodeImporter &n) {
  Value x = n.input(0);
  return n.setResult(n.make<tfm::CompareOp>(tfm::ComparePredicate::ne, x, x));
}

/// IsInf: |x| == inf, x == inf or x == -inf as detect_positive and
/// detect_negative say (neither: x == NaN, false everywhere).
LogicalResult convertIsInf(NodeImporter &n) {
  Value x = n.input(0);
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  bool negative = n.intAttr("detect_negative", 1) != 0;
  bool positive = n.intAttr("detect_positive", 1) != 0;
  double inf = std::numeric_limits<double>::infinity();
  Value lhs = x;
  double rhs = positive ? inf : -inf;
  if (positive && negative)
    lhs = n.create<tfm::AbsOp>(x);
  else if (!positive && !negative)
    rhs = std::numeric_limits<double>::quiet_NaN();
  return n.setResult(n.make<tfm::CompareOp>(tfm::ComparePredicate::eq, lhs,
                                            n.scalarConstant(element, rhs)));
}

LogicalResult convertWhere(NodeImporter &n) {
  return n.setResult(n.make<tfm::SelectOp>(n.input(0), n.input(1), n.input(2)));
}

LogicalResult convertIdentity(NodeImporter &n) {
  // Dropout in inference is the identity; its mask output is not.
  if (n.node().op_type() == "Dropout" && n.hasOutput(1))
    return n.fail("the mask output of Dropout is not supported");
  n.setOutput(0, n.input(0));
  return success();
}

LogicalResult convertCast(NodeImporter &n) {
  Type element;
  if (n.node().op_type() == "CastLike") {
    element = n.inputType(1).getElementType();
  } else {
    int64_t to = n.intAttr("to", 0);
    element = convertElementType(n.context(), to);
    if (!element)
      return n.fail("cast to unsupported data type " + Twine(to));
  }
  n.setOutput(0, castTo(n, n.input(0), element));
  return success();
}

LogicalResult convertClip(NodeImporter &n) {
  Builder b(n.context());
  FloatAttr min, max;
  if (n.opset() < 11) {
    if (n.attr("min"))
      min = b.getF64FloatAttr(n.floatAttr("min", 0));
    if (n.attr("max"))
      max = b.getF64FloatAttr(n.floatAttr("max", 0));
  } else {
    for (auto [index, bound] : {std::pair<unsigned, FloatAttr *>{1, &min},
                                {2, &max}}) {
      if (!n.hasInput(index))
        continue;
      std::optional<double> value = n.constantScalar(index);
      if (!value)
        return n.fail("Clip bounds must be constants");
      *bound = b.getF64FloatAttr(*value);
    }
  }
  n.setOutput(0, n.create<tfm::ClipOp>(n.input(0), min, max));
  return success();
}

/// Elu(x) = x > 0 ? x : alpha (e^x - 1), as its elementwise ops (linear
/// attention's elu + 1 feature map is an elementwise prologue).
LogicalResult convertElu(NodeImporter &n) {
  Value x = n.input(0);
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  double alpha = n.floatAttr("alpha", 1.0f);
  Value positive = n.make<tfm::CompareOp>(tfm::ComparePredicate::gt, x,
                                          n.scalarConstant(element, 0.0));
  Value expm1 = positive ? n.make<tfm::SubOp>(n.create<tfm::ExpOp>(x),
                                             n.scalarConstant(element, 1.0))
                         : Value();
  Value negative =
      expm1 && alpha != 1.0
          ? n.make<tfm::MulOp>(expm1, n.scalarConstant(element, alpha))
          : expm1;
  return n.setResult(negative ? n.make<tfm::SelectOp>(positive, x, negative)
                              : Value());
}

LogicalResult convertGelu(NodeImporter &n) {
  std::string approximate = n.stringAttr("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return n.fail("unknown approximate='" + approximate + "'");
  n.setOutput(0, n.create<tfm::GeluOp>(approximate == "tanh"
                                           ? tfm::GeluApproximation::tanh
                                           : tfm::GeluApproximation::erf,
                                       n.input(0)));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra and normalization
//===----------------------------------------------------------------------===//

LogicalResult convertMatMul(NodeImporter &n) {
  Value lhs = n.input(0), rhs = n.input(1);
  // NumPy semantics for 1-D operands: promote, multiply, drop the dim.
  bool vectorLhs = n.inputType(0).getRank() == 1;
  bool vectorRhs = n.inputType(1).getRank() == 1;
  if (vectorLhs && !(lhs = buildUnsqueeze(n, lhs, {0})))
    return failure();
  if (vectorRhs && !(rhs = buildUnsqueeze(n, rhs, {1})))
    return failure();
  Value result = n.make<tfm::MatmulOp>(lhs, rhs, Value(), Value(), false,
                                       false, tfm::ActivationAttr());
  if (!result)
    return failure();
  int64_t rank = cast<RankedTensorType>(result.getType()).getRank();
  SmallVector<int64_t> drop;
  if (vectorLhs)
    drop.push_back(rank - 2);
  if (vectorRhs)
    drop.push_back(rank - 1);
  if (!drop.empty() && !(result = n.make<tfm::SqueezeOp>(result, drop)))
    return failure();
  n.setOutput(0, result);
  return success();
}

LogicalResult convertGemm(NodeImporter &n) {
  Value a = n.input(0), bias;
  Type element = n.inputType(0).getElementType();
  float alpha = n.floatAttr("alpha", 1.0f), beta = n.floatAttr("beta", 1.0f);
  if (alpha != 1.0f &&
      !(a = n.make<tfm::MulOp>(a, n.scalarConstant(element, alpha))))
    return failure();
  if (n.hasInput(2) && beta != 0.0f) {
    bias = n.input(2);
    if (beta != 1.0f &&
        !(bias = n.make<tfm::MulOp>(bias, n.scalarConstant(element, beta))))
      return failure();
  }
  return n.setResult(n.make<tfm::MatmulOp>(a, n.input(1), bias, Value(),
                                  n.intAttr("transA", 0) != 0,
                                  n.intAttr("transB", 0) != 0,
                                  tfm::ActivationAttr()));
}

template <bool log>
LogicalResult convertSoftmax(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  int64_t axisAttr = n.intAttr("axis", n.opset() < 13 ? 1 : -1);
  FailureOr<int64_t> axis = n.normalizeAxis(axisAttr, rank);
  if (failed(axis))
    return failure();
  // Before opset 13 softmax ran over the flattened dims [axis, rank); that
  // is the per-axis softmax only when axis is the last dim.
  if (n.opset() < 13 && *axis != rank - 1)
    return n.fail("opset " + Twine(n.opset()) +
                  " softmax over the flattened trailing dims is only "
                  "supported for the last axis");
  n.setOutput(0, n.create<tfm::SoftmaxOp>(n.input(0), *axis, log));
  return success();
}

LogicalResult convertLayerNormalization(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1),
                                            type.getRank());
  if (failed(axis))
    return failure();
  float epsilon = n.floatAttr("epsilon", 1e-5f);
  Value bias = n.hasInput(2) ? n.input(2) : Value();
  n.setOutput(0, n.create<tfm::LayerNormOp>(type, n.input(0), n.input(1),
                                            bias, *axis, APFloat(epsilon)));
  if (!n.hasOutput(1) && !n.hasOutput(2))
    return success();
  // The statistics outputs (training graphs and the node tests ask for
  // them): mean and 1 / sqrt(var + epsilon) over [axis, rank), kept dims.
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(*axis, type.getRank()));
  Value mean = n.make<tfm::ReduceOp>(tfm::ReduceKind::mean, n.input(0), axes,
                                     true);
  Value centered = mean ? n.make<tfm::SubOp>(n.input(0), mean) : Value();
  Value squared = centered ? n.make<tfm::MulOp>(centered, centered) : Value();
  Value var = squared ? n.make<tfm::ReduceOp>(tfm::ReduceKind::mean, squared,
                                              axes, true)
                      : Value();
  Value shifted =
      var ? n.make<tfm::AddOp>(
                var, n.scalarConstant(type.getElementType(), epsilon))
          : Value();
  if (!shifted)
    return failure();
  n.setOutput(1, mean);
  n.setOutput(2, n.create<tfm::RsqrtOp>(shifted));
  return success();
}

LogicalResult convertConv(NodeImporter &n) {
  RankedTensorType input = n.inputType(0), weight = n.inputType(1);
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1)
    return n.fail("input must have rank >= 3");
  SmallVector<int64_t> strides =
      n.intsAttr("strides").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> dilations =
      n.intsAttr("dilations").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> pads =
      n.intsAttr("pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = input.getDimSize(i + 2), k = weight.getDimSize(i + 2);
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k) ||
          static_cast<int64_t>(strides.size()) != spatial ||
          static_cast<int64_t>(dilations.size()) != spatial)
        return n.fail("auto_pad=" + autoPad +
                      " needs static spatial dims and kernel");
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + dilations[i] * (k - 1) + 1 - in);
      int64_t small = total / 2, large = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : large;
      pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return n.fail("unknown auto_pad='" + autoPad + "'");
  }
  Value bias = n.hasInput(2) ? n.input(2) : Value();
  return n.setResult(n.make<tfm::ConvOp>(n.input(0), n.input(1), bias, strides, pads,
                                dilations, n.intAttr("group", 1)));
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <tfm::ReduceKind kind>
LogicalResult convertReduce(NodeImporter &n) {
  // ReduceSum took axes as an input from opset 13, the others from 18.
  int64_t inputSince = kind == tfm::ReduceKind::sum ? 13 : 18;
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      intsFromAttrOrInput(n, "axes", 1, inputSince);
  if (failed(axes))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> reduced;
  if (*axes && !(*axes)->empty()) {
    FailureOr<SmallVector<int64_t>> normalized = n.normalizeAxes(**axes, rank);
    if (failed(normalized))
      return failure();
    reduced = *normalized;
  } else if (n.intAttr("noop_with_empty_axes", 0)) {
    n.setOutput(0, n.input(0));
    return success();
  } else {
    reduced = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  if (reduced.empty()) { // A scalar input: nothing to reduce.
    n.setOutput(0, n.input(0));
    return success();
  }
  return n.setResult(n.make<tfm::ReduceOp>(kind, n.input(0), reduced,
                                  n.intAttr("keepdims", 1) != 0));
}

LogicalResult convertArgMax(NodeImporter &n) {
  if (n.intAttr("select_last_index", 0))
    return n.fail("select_last_index=1 is not supported");
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return n.setResult(n.make<tfm::ArgMaxOp>(n.input(0), *axis,
                                  n.intAttr("keepdims", 1) != 0));
}

LogicalResult convertCumSum(NodeImporter &n) {
  std::optional<double> axisValue = n.constantScalar(1);
  if (!axisValue)
    return n.fail("the axis input must be a constant");
  FailureOr<int64_t> axis = n.normalizeAxis(static_cast<int64_t>(*axisValue),
                                            n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<tfm::CumSumOp>(n.input(0), *axis,
                                         n.intAttr("exclusive", 0) != 0,
                                         n.intAttr("reverse", 0) != 0));
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

LogicalResult convertShape(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  auto clampDim = [&](int64_t d) {
    return std::clamp<int64_t>(d < 0 ? d + rank : d, 0, rank);
  };
  int64_t start = clampDim(n.intAttr("start", 0));
  int64_t end = clampDim(n.intAttr("end", rank));
  Builder b(n.context());
  return n.setResult(n.make<tfm::ShapeOp>(n.input(0), b.getI64IntegerAttr(start),
                                 end == rank ? IntegerAttr()
                                             : b.getI64IntegerAttr(end)));
}

LogicalResult convertReshape(NodeImporter &n) {
  Value v = buildOnnxReshape(n, n.input(0),
                             castTo(n, n.input(1), Builder(n.context()).getI64Type()),
                             n.intAttr("allowzero", 0) != 0);
  if (!v)
    return failure();
  n.setOutput(0, v);
  return success();
}

LogicalResult convertFlatten(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  int64_t axis = n.intAttr("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.fail("axis " + Twine(axis) + " is out of range for rank " +
                  Twine(rank));
  // [prod(dims[:axis]), prod(dims[axis:])], computed at run time when
  // dynamic (and folded when static).
  Builder b(n.context());
  SmallVector<Value> parts;
  for (auto [start, end] : {std::pair<int64_t, int64_t>{0, axis},
                            {axis, rank}}) {
    if (start == end) {
      parts.push_back(n.i64Constant({1}));
      continue;
    }
    Value dims = n.make<tfm::ShapeOp>(n.input(0), b.getI64IntegerAttr(start),
                                      b.getI64IntegerAttr(end));
    if (!dims)
      return failure();
    Value prod = n.make<tfm::ReduceOp>(tfm::ReduceKind::prod, dims,
                                       ArrayRef<int64_t>{0}, true);
    if (!prod)
      return failure();
    parts.push_back(prod);
  }
  Value shape = n.make<tfm::ConcatOp>(parts, 0);
  Value v = shape ? n.make<tfm::ReshapeOp>(n.input(0), shape) : Value();
  if (!v)
    return failure();
  n.setOutput(0, v);
  return success();
}

LogicalResult convertTranspose(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> perm = n.intsAttr("perm").value_or(
      llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank))));
  // ONNX (and ONNX Runtime) take a permutation of [0, rank), no negatives.
  SmallVector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p >= 0 && p < rank && !seen[p] &&
        static_cast<int64_t>(perm.size()) == rank) {
      seen[p] = true;
      continue;
    }
    std::string list;
    for (int64_t v : perm)
      list += (list.empty() ? "" : ", ") + std::to_string(v);
    return n.fail("perm [" + list + "] is not a permutation of the input's " +
                  Twine(rank) + " dimensions");
  }
  return n.setResult(n.make<tfm::TransposeOp>(n.input(0), perm));
}

LogicalResult convertConcat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      inputs.push_back(n.input(i));
  if (inputs.empty())
    return n.fail("has no inputs");
  FailureOr<int64_t> axis = n.normalizeAxis(
      n.intAttr("axis", 0),
      cast<RankedTensorType>(inputs.front().getType()).getRank());
  if (failed(axis))
    return failure();
  return n.setResult(n.make<tfm::ConcatOp>(inputs, *axis));
}

LogicalResult convertSlice(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  Type i64 = Builder(n.context()).getI64Type();
  Value starts, ends;
  std::optional<SmallVector<int64_t>> axes, steps;
  if (n.opset() < 10) {
    std::optional<SmallVector<int64_t>> s = n.intsAttr("starts");
    std::optional<SmallVector<int64_t>> e = n.intsAttr("ends");
    if (!s || !e)
      return n.fail("needs starts and ends");
    starts = n.i64Constant(*s);
    ends = n.i64Constant(*e);
    axes = n.intsAttr("axes");
  } else {
    starts = castTo(n, n.input(1), i64);
    ends = castTo(n, n.input(2), i64);
    if (n.hasInput(3) && !(axes = n.constantInts(3)))
      return n.fail("the axes input must be a constant");
    if (n.hasInput(4) && !(steps = n.constantInts(4)))
      return n.fail("the steps input must be a constant");
  }
  int64_t count = cast<RankedTensorType>(starts.getType()).getDimSize(0);
  if (ShapedType::isDynamic(count))
    return n.fail("starts must have a static length");
  SmallVector<int64_t> axisList =
      axes ? *axes : llvm::to_vector(llvm::seq<int64_t>(0, count));
  for (int64_t &a : axisList) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    a = *axis;
  }
  SmallVector<int64_t> stepList = steps ? *steps : SmallVector<int64_t>(count, 1);
  return n.setResult(n.make<tfm::SliceOp>(n.input(0), starts, ends, axisList, stepList));
}

LogicalResult convertSplit(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> sizes =
      intsFromAttrOrInput(n, "split", 1, 13);
  if (failed(sizes))
    return failure();
  unsigned pieces = n.numOutputs();
  if (n.opset() >= 18 && n.attr("num_outputs"))
    pieces = n.intAttr("num_outputs", pieces);
  if (pieces != n.numOutputs())
    return n.fail("num_outputs=" + Twine(pieces) + " but the node has " +
                  Twine(n.numOutputs()) + " outputs");
  Builder b(n.context());
  DenseI64ArrayAttr sizesAttr =
      *sizes ? b.getDenseI64ArrayAttr(**sizes) : DenseI64ArrayAttr();
  if (*sizes && (*sizes)->size() != pieces)
    return n.fail("has " + Twine((*sizes)->size()) + " split sizes but " +
                  Twine(pieces) + " outputs");
  SmallVector<Type> placeholders(pieces, type);
  auto split = n.create<tfm::SplitOp>(placeholders, n.input(0), *axis,
                                      sizesAttr);
  for (auto [result, pieceType] :
       llvm::zip(split.getOutputs(), split.getPieceTypes()))
    result.setType(pieceType);
  for (unsigned i = 0; i < pieces; ++i)
    n.setOutput(i, split.getResult(i));
  return success();
}

LogicalResult convertGather(NodeImporter &n) {
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  // Constant indices are checked here; others when the model runs.
  int64_t size = n.inputType(0).getDimSize(*axis);
  if (std::optional<SmallVector<int64_t>> indices = n.constantInts(1);
      indices && !ShapedType::isDynamic(size))
    for (int64_t i : *indices)
      if (i < -size || i >= size)
        return n.fail("index " + Twine(i) + " is out of range for axis " +
                      Twine(*axis) + " of size " + Twine(size));
  return n.setResult(n.make<tfm::GatherOp>(n.input(0), n.input(1), *axis));
}

LogicalResult convertScatterND(NodeImporter &n) {
  std::string reduction = n.stringAttr("reduction", "none");
  if (reduction != "none")
    return n.fail("reduction='" + reduction + "' is not supported");
  return n.setResult(n.make<tfm::ScatterNDOp>(n.input(0), n.input(1), n.input(2)));
}

LogicalResult convertExpand(NodeImporter &n) {
  if (std::optional<SmallVector<int64_t>> shape = n.constantInts(1))
    if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
      return n.fail("the shape input must have non-negative elements");
  return n.setResult(n.make<tfm::ExpandOp>(
      n.input(0), castTo(n, n.input(1), Builder(n.context()).getI64Type())));
}

LogicalResult convertSqueeze(NodeImporter &n) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      intsFromAttrOrInput(n, "axes", 1, 13);
  if (failed(axes))
    return failure();
  RankedTensorType type = n.inputType(0);
  SmallVector<int64_t> squeezed;
  if (*axes) {
    FailureOr<SmallVector<int64_t>> normalized =
        n.normalizeAxes(**axes, type.getRank());
    if (failed(normalized))
      return failure();
    squeezed = *normalized;
  } else {
    // Without axes ONNX removes every dim of size 1, which must then be
    // known statically.
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (type.isDynamicDim(d))
        return n.fail("Squeeze without axes needs static dims; dim " +
                      Twine(d) + " is dynamic");
      if (type.getDimSize(d) == 1)
        squeezed.push_back(d);
    }
  }
  return n.setResult(n.make<tfm::SqueezeOp>(n.input(0), squeezed));
}

LogicalResult convertUnsqueeze(NodeImporter &n) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      intsFromAttrOrInput(n, "axes", 1, 13);
  if (failed(axes))
    return failure();
  if (!*axes || (*axes)->empty())
    return n.fail("needs axes");
  int64_t rank = n.inputType(0).getRank() + (*axes)->size();
  FailureOr<SmallVector<int64_t>> normalized = n.normalizeAxes(**axes, rank);
  if (failed(normalized))
    return failure();
  Value v = buildUnsqueeze(n, n.input(0), *normalized);
  if (!v)
    return failure();
  n.setOutput(0, v);
  return success();
}

LogicalResult convertConstantOfShape(NodeImporter &n) {
  Builder b(n.context());
  TypedAttr value = b.getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *a = n.attr("value")) {
    // A one-element tensor, decoded as initializers are (raw data, typed
    // fields, half-precision bit patterns).
    onnx::TensorProto t = a->t();
    FailureOr<ElementsAttr> converted = n.convertTensor(t);
    if (failed(converted))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*converted);
    if (!dense || dense.getNumElements() != 1)
      return n.fail("value must be a tensor of one element");
    value = cast<TypedAttr>(*dense.getValues<Attribute>().begin());
  }
  if (std::optional<SmallVector<int64_t>> shape = n.constantInts(0))
    if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
      return n.fail("the shape input must have non-negative elements");
  return n.setResult(n.make<tfm::ConstantOfShapeOp>(
      castTo(n, n.input(0), b.getI64Type()), value));
}

LogicalResult convertRange(NodeImporter &n) {
  if (std::optional<double> delta = n.constantScalar(2); delta && *delta == 0)
    return n.fail("delta is 0: the range would never reach its limit");
  return n.setResult(n.make<tfm::RangeOp>(n.input(0), n.input(1), n.input(2)));
}

LogicalResult convertTrilu(NodeImporter &n) {
  int64_t k = 0;
  if (n.hasInput(1)) {
    std::optional<double> value = n.constantScalar(1);
    if (!value)
      return n.fail("the k input must be a constant");
    k = static_cast<int64_t>(*value);
  }
  n.setOutput(0, n.create<tfm::TriluOp>(n.input(0),
                                        n.intAttr("upper", 1) != 0,
                                        static_cast<uint64_t>(k)));
  return success();
}

LogicalResult convertConstant(NodeImporter &n) {
  Builder b(n.context());
  const onnx::NodeProto &node = n.node();
  if (node.attribute_size() != 1)
    return n.fail("needs exactly one value attribute");
  const onnx::AttributeProto &a = node.attribute(0);
  ElementsAttr value;
  auto f32 = b.getF32Type();
  auto i64 = b.getI64Type();
  if (a.name() == "value") {
    // Tensor-valued: the initializers' conversion, on a copy of the tensor.
    onnx::TensorProto t = a.t();
    FailureOr<ElementsAttr> converted = n.convertTensor(t);
    if (failed(converted))
      return failure();
    value = *converted;
  } else if (a.name() == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, f32), a.f());
  } else if (a.name() == "value_floats") {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v.size())}, f32),
        ArrayRef<float>(v));
  } else if (a.name() == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, i64),
                                   static_cast<int64_t>(a.i()));
  } else if (a.name() == "value_ints") {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v.size())}, i64),
        ArrayRef<int64_t>(v));
  } else {
    return n.fail("Constant with attribute '" + a.name() +
                  "' is not supported (string and sparse constants are not)");
  }
  n.setOutput(0, n.create<tfm::ConstantOp>(value));
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Shared lowering helpers
//===----------------------------------------------------------------------===//

Value kiln::onnx_import::buildDim(NodeImporter &n, Value value, int64_t dim) {
  Builder b(n.context());
  int64_t size = cast<RankedTensorType>(value.getType()).getDimSize(dim);
  if (!ShapedType::isDynamic(size))
    return n.i64Constant({size});
  return n.make<tfm::ShapeOp>(value, b.getI64IntegerAttr(dim),
                              b.getI64IntegerAttr(dim + 1));
}

/// Whether `v` only holds dimensions read by Shape and nonzero constants,
/// moved about by Gather, Slice, Concat, (Un)squeeze, Reshape or Cast: what
/// exporters build shapes from. Such an entry is 0 only for an empty tensor.
static bool isDimensionRead(Value v, int depth = 0) {
  if (depth > 16)
    return false;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isa<tfm::ShapeOp>(op))
    return true;
  if (std::optional<SmallVector<int64_t>> values =
          tfm::getConstantIntValues(v))
    return !llvm::is_contained(*values, 0);
  if (auto concat = dyn_cast<tfm::ConcatOp>(op))
    return llvm::all_of(concat.getInputs(), [&](Value in) {
      return isDimensionRead(in, depth + 1);
    });
  if (isa<tfm::GatherOp, tfm::SliceOp, tfm::SqueezeOp, tfm::UnsqueezeOp,
          tfm::ReshapeOp, tfm::CastOp>(op))
    return isDimensionRead(op->getOperand(0), depth + 1);
  return false;
}

Value kiln::onnx_import::buildOnnxReshape(NodeImporter &n, Value input,
                                          Value shape, bool allowZero) {
  if (allowZero)
    return n.make<tfm::ReshapeOp>(input, shape);
  // Entries equal to 0 copy the input's dimension at their position. Look
  // at the pieces of the shape (a constant, or a concat of constants and
  // computed pieces): a constant's 0s become the input's dims; a computed
  // piece selects the input's dims where it is 0 at run time, unless it
  // holds dimensions read by Shape (isDimensionRead: taken as they are).
  int64_t inputRank = cast<RankedTensorType>(input.getType()).getRank();
  SmallVector<Value> pieces;
  if (auto concat = shape.getDefiningOp<tfm::ConcatOp>())
    pieces.assign(concat.getInputs().begin(), concat.getInputs().end());
  else
    pieces.push_back(shape);
  bool changed = false;
  std::optional<int64_t> position = 0; // None after a piece of unknown length.
  SmallVector<Value> resolved;
  for (Value piece : pieces) {
    int64_t length = cast<RankedTensorType>(piece.getType()).getDimSize(0);
    std::optional<SmallVector<int64_t>> values =
        tfm::getConstantIntValues(piece);
    if (!values && position && !ShapedType::isDynamic(length) &&
        !isDimensionRead(piece) && *position < inputRank) {
      // Where(piece == 0, Shape(input)[position, ...], piece).
      Builder b(n.context());
      int64_t end = std::min(*position + length, inputRank);
      Value dims = n.make<tfm::ShapeOp>(input, b.getI64IntegerAttr(*position),
                                        b.getI64IntegerAttr(end));
      if (dims && end < *position + length)
        dims = n.make<tfm::ConcatOp>(
            ValueRange{dims, n.i64Constant(SmallVector<int64_t>(
                                 *position + length - end, 0))},
            0);
      Value isZero = n.make<tfm::CompareOp>(tfm::ComparePredicate::eq, piece,
                                            n.i64Constant({0}));
      if (!dims || !isZero)
        return {};
      piece = n.make<tfm::SelectOp>(isZero, dims, piece);
      if (!piece)
        return {};
      changed = true;
    }
    if (!values || !llvm::is_contained(*values, 0)) {
      resolved.push_back(piece);
      if (position)
        position = ShapedType::isDynamic(length)
                       ? std::nullopt
                       : std::optional<int64_t>(*position + length);
      continue;
    }
    if (!position) {
      n.emitError() << "Reshape's shape has a 0 entry after a computed "
                       "piece of unknown length: its position, and so the "
                       "dimension it copies, is unknown";
      return {};
    }
    changed = true;
    // Split the constant into runs, replacing each 0 with the input dim.
    SmallVector<int64_t> run;
    auto flush = [&] {
      if (!run.empty())
        resolved.push_back(n.i64Constant(run));
      run.clear();
    };
    for (int64_t v : *values) {
      if (v != 0) {
        run.push_back(v);
      } else if (*position >= inputRank) {
        n.emitError() << "Reshape's shape entry " << *position
                      << " is 0 (copy the input's dimension), but the input "
                         "has rank "
                      << inputRank;
        return {};
      } else {
        flush();
        resolved.push_back(buildDim(n, input, *position));
      }
      ++*position;
    }
    flush();
  }
  if (changed) {
    if (llvm::any_of(resolved, [](Value v) { return !v; }))
      return {};
    shape = resolved.size() == 1 ? resolved.front()
                                 : n.make<tfm::ConcatOp>(resolved, 0);
    if (!shape)
      return {};
  }
  return n.make<tfm::ReshapeOp>(input, shape);
}

Value kiln::onnx_import::buildLayerNorm(NodeImporter &n, Value input,
                                        Value scale, Value bias,
                                        float epsilon) {
  auto type = cast<RankedTensorType>(input.getType());
  return n.create<tfm::LayerNormOp>(type, input, scale, bias,
                                    type.getRank() - 1, APFloat(epsilon));
}

void kiln::onnx_import::addOnnxConverters(ConverterTable &table) {
  // Elementwise.
  table["Add"] = convertBinary<tfm::AddOp>;
  table["Sub"] = convertBinary<tfm::SubOp>;
  table["Mul"] = convertBinary<tfm::MulOp>;
  table["Div"] = convertBinary<tfm::DivOp>;
  table["Pow"] = convertPow;
  table["And"] = convertBinary<tfm::AndOp>;
  table["Or"] = convertBinary<tfm::OrOp>;
  table["Max"] = convertVariadic<tfm::MaxOp>;
  table["Min"] = convertVariadic<tfm::MinOp>;
  table["Sum"] = convertVariadic<tfm::AddOp>;
  table["Mean"] = convertVariadic<tfm::AddOp, /*mean=*/true>;
  table["Equal"] = convertCompare<tfm::ComparePredicate::eq>;
  table["Less"] = convertCompare<tfm::ComparePredicate::lt>;
  table["LessOrEqual"] = convertCompare<tfm::ComparePredicate::le>;
  table["Greater"] = convertCompare<tfm::ComparePredicate::gt>;
  table["GreaterOrEqual"] = convertCompare<tfm::ComparePredicate::ge>;
  table["Where"] = convertWhere;
  table["IsNaN"] = convertIsNaN;
  table["IsInf"] = convertIsInf;
  table["Neg"] = convertUnary<tfm::NegOp>;
  table["Abs"] = convertUnary<tfm::AbsOp>;
  table["Exp"] = convertUnary<tfm::ExpOp>;
  table["Log"] = convertUnary<tfm::LogOp>;
  table["Sqrt"] = convertUnary<tfm::SqrtOp>;
  table["Reciprocal"] = convertUnary<tfm::ReciprocalOp>;
  table["Tanh"] = convertUnary<tfm::TanhOp>;
  table["Erf"] = convertUnary<tfm::ErfOp>;
  table["Sigmoid"] = convertUnary<tfm::SigmoidOp>;
  table["Relu"] = convertUnary<tfm::ReluOp>;
  table["Sin"] = convertUnary<tfm::SinOp>;
  table["Cos"] = convertUnary<tfm::CosOp>;
  table["Floor"] = convertUnary<tfm::FloorOp>;
  table["Ceil"] = convertUnary<tfm::CeilOp>;
  table["Not"] = convertUnary<tfm::NotOp>;
  table["Identity"] = convertIdentity;
  table["Dropout"] = convertIdentity;
  table["Cast"] = convertCast;
  table["CastLike"] = convertCast;
  table["Clip"] = convertClip;
  table["Gelu"] = convertGelu;
  table["Elu"] = convertElu;
  // Linear algebra and normalization.
  table["MatMul"] = convertMatMul;
  table["Gemm"] = convertGemm;
  table["Softmax"] = convertSoftmax<false>;
  table["LogSoftmax"] = convertSoftmax<true>;
  table["LayerNormalization"] = convertLayerNormalization;
  table["Conv"] = convertConv;
  // Reductions.
  table["ReduceSum"] = convertReduce<tfm::ReduceKind::sum>;
  table["ReduceMean"] = convertReduce<tfm::ReduceKind::mean>;
  table["ReduceMax"] = convertReduce<tfm::ReduceKind::max>;
  table["ReduceMin"] = convertReduce<tfm::ReduceKind::min>;
  table["ReduceProd"] = convertReduce<tfm::ReduceKind::prod>;
  table["ReduceSumSquare"] = convertReduce<tfm::ReduceKind::sum_square>;
  table["ReduceL2"] = convertReduce<tfm::ReduceKind::l2>;
  table["ArgMax"] = convertArgMax;
  table["CumSum"] = convertCumSum;
  // Shapes and data movement.
  table["Shape"] = convertShape;
  table["Reshape"] = convertReshape;
  table["Flatten"] = convertFlatten;
  table["Transpose"] = convertTranspose;
  table["Concat"] = convertConcat;
  table["Slice"] = convertSlice;
  table["Split"] = convertSplit;
  table["Gather"] = convertGather;
  table["Expand"] = convertExpand;
  table["ScatterND"] = convertScatterND;
  table["Squeeze"] = convertSqueeze;
  table["Unsqueeze"] = convertUnsqueeze;
  table["ConstantOfShape"] = convertConstantOfShape;
  table["Range"] = convertRange;
  table["Trilu"] = convertTrilu;
  table["Constant"] = convertConstant;
}
