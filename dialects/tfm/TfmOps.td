//===- TfmOps.td - tfm dialect operations ------------------*- tablegen -*-===//
//
// Part of kiln. Operation definitions of the `tfm` transformer dialect.
// Semantics follow ONNX where an op mirrors an ONNX operator, with two
// deliberate differences: every axis is already normalised to [0, rank), and
// attributes that ONNX passes as constant inputs (axes, steps, split sizes)
// are attributes here.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_TFM_TFMOPS_TD
#define KILN_DIALECTS_TFM_TFMOPS_TD

include "dialects/tfm/TfmBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// Every op whose result types follow from its operands and attributes infers
/// them; a result type given explicitly may be more static than the inferred
/// one (a refinement), never contradict it.
defvar Tfm_CompatibleReturnTypes = [{
  bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l,
                                          ::mlir::TypeRange r) {
    return ::mlir::tfm::areCompatibleReturnTypes(l, r);
  }
}];

class Tfm_InferOp<string mnemonic, list<Trait> traits = []>
    : Tfm_Op<mnemonic,
             !listconcat([Pure, InferTypeOpAdaptorWithIsCompatible], traits)> {
  let extraClassDefinition = Tfm_CompatibleReturnTypes;
}

//===----------------------------------------------------------------------===//
// Constants and shape computations
//===----------------------------------------------------------------------===//

def Tfm_ConstantOp : Tfm_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "output"]>,
     DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "A constant tensor (weights, shapes, scalars)";
  let description = [{
    Holds a constant tensor. Weights imported from a model are
    `dense_resource` blobs, which the printer keeps out of line (in the
    `dialect_resources` section) instead of printing them element by element;
    small constants are `dense` attributes.

    Example:
    ```mlir
    %shape = tfm.constant dense<[0, 12, 64]> : tensor<3xi64>
    %w = tfm.constant dense_resource<layer0.q.weight> : tensor<768x768xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tfm_ShapeOp : Tfm_InferOp<"shape"> {
  let summary = "The shape of a tensor as a 1-D i64 tensor";
  let description = [{
    Returns dimensions `[start, end)` of the input's shape (ONNX `Shape`).
    Folds to a constant when those dimensions are static, so that shape
    computations on static models disappear.

    Example:
    ```mlir
    %s = tfm.shape %x {start = 0, end = 2} : (tensor<?x?x768xf32>) -> tensor<2xi64>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "0">:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs Tfm_ShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The exclusive end dimension, defaulting to the input's rank.
    int64_t getEndDim();
  }];
}

def Tfm_ConstantOfShapeOp : Tfm_InferOp<"constant_of_shape"> {
  let summary = "A tensor of a runtime shape filled with one value";
  let description = [{
    ONNX `ConstantOfShape`: a tensor whose shape is given by the 1-D `shape`
    operand, every element equal to the scalar `value`. The result's rank is
    the static length of `shape`; its dimensions are static where `shape` is
    a constant.

    Example:
    ```mlir
    %z = tfm.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_ShapeTensor:$shape, TypedAttrInterface:$value);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_RangeOp : Tfm_InferOp<"range"> {
  let summary = "A 1-D arithmetic progression";
  let description = [{
    ONNX `Range`: `[start, start + delta, ...)` up to but excluding `limit`.
    The operands are 0-D tensors of one element type; the length is static
    when all three are constants.

    Example:
    ```mlir
    %r = tfm.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Tfm_ScalarTensor:$start, Tfm_ScalarTensor:$limit,
                       Tfm_ScalarTensor:$delta);
  let results = (outs 1DTensorOf<[Tfm_NumericElement]>:$output);
  let assemblyFormat =
      "$start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_RuntimeCheckOp : Tfm_Op<"runtime_check",
    [MemoryEffects<[MemWrite]>]> {
  let summary = "Ends the run with an error when a run-time condition fails";
  let description = [{
    A check of something only known when the model runs (a dynamic dim, a
    size computed from data): when `condition` is false, the run stops and
    `kiln_model_run` returns `KILN_ERROR_INVALID_ARGUMENT` with `message`,
    in which `{0}` and `{1}` stand for the values of `values` (at most two,
    each placeholder once, in order). The lowering to linalg emits these;
    `kiln-lower-runtime-checks` turns them into a call of the runtime's
    `kiln_rt_check_failed`. Not pure: it is never moved, merged or removed,
    except that a condition folded to true removes it.

    Example:
    ```mlir
    tfm.runtime_check %ok, "node 'add': dimension 0 is {0}, not 1 or {1}"
        (%d0, %d1 : index, index)
    ```
  }];
  let arguments = (ins I1:$condition, Variadic<Index>:$values,
                       StrAttr:$message);
  let assemblyFormat =
      "$condition `,` $message (`(` $values^ `:` type($values) `)`)? attr-dict";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise operations
//===----------------------------------------------------------------------===//

class Tfm_UnaryOp<string mnemonic, Type tensorType, string formula,
                  list<Trait> traits = []>
    : Tfm_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let summary = "Elementwise " # formula;
  let description = "Computes `" # formula # "` elementwise.\n\n"
    "Example:\n```mlir\n%y = tfm." # mnemonic #
    " %x : tensor<?x128xf32>\n```";
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Tfm_NegOp : Tfm_UnaryOp<"neg", Tfm_NumericTensor, "-x">;
def Tfm_AbsOp : Tfm_UnaryOp<"abs", Tfm_NumericTensor, "|x|">;
def Tfm_ExpOp : Tfm_UnaryOp<"exp", Tfm_FloatTensor, "exp(x)">;
def Tfm_LogOp : Tfm_UnaryOp<"log", Tfm_FloatTensor, "log(x)">;
def Tfm_SqrtOp : Tfm_UnaryOp<"sqrt", Tfm_FloatTensor, "sqrt(x)">;
def Tfm_RsqrtOp : Tfm_UnaryOp<"rsqrt", Tfm_FloatTensor, "1 / sqrt(x)">;
def Tfm_ReciprocalOp : Tfm_UnaryOp<"reciprocal", Tfm_FloatTensor, "1 / x">;
def Tfm_TanhOp : Tfm_UnaryOp<"tanh", Tfm_FloatTensor, "tanh(x)">;
def Tfm_ErfOp : Tfm_UnaryOp<"erf", Tfm_FloatTensor, "erf(x)">;
def Tfm_SigmoidOp : Tfm_UnaryOp<"sigmoid", Tfm_FloatTensor, "1 / (1 + exp(-x))">;
def Tfm_ReluOp : Tfm_UnaryOp<"relu", Tfm_NumericTensor, "max(x, 0)">;
def Tfm_SinOp : Tfm_UnaryOp<"sin", Tfm_FloatTensor, "sin(x)">;
def Tfm_CosOp : Tfm_UnaryOp<"cos", Tfm_FloatTensor, "cos(x)">;
def Tfm_FloorOp : Tfm_UnaryOp<"floor", Tfm_FloatTensor, "floor(x)">;
def Tfm_CeilOp : Tfm_UnaryOp<"ceil", Tfm_FloatTensor, "ceil(x)">;
def Tfm_NotOp : Tfm_UnaryOp<"not", Tfm_BoolTensor, "logical not x">;

def Tfm_ClipOp : Tfm_Op<"clip", [Pure, SameOperandsAndResultType]> {
  let summary = "Elementwise clamp to [min, max]";
  let description = [{
    ONNX `Clip` with constant bounds: `min(max(x, min), max)`. A missing bound
    means unbounded on that side.

    Example:
    ```mlir
    %y = tfm.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Tfm_NumericTensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let results = (outs Tfm_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_GeluOp : Tfm_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x * Phi(x)`. With `erf`, `Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))` (BERT,
    ViT); with `tanh`, the approximation
    `0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))` (GPT-2).

    Example:
    ```mlir
    %y = tfm.gelu tanh %x : tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_GeluApproximation:$approximate,
                       Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$approximate $input attr-dict `:` type($input)";
}

def Tfm_SiluOp : Tfm_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "Sigmoid linear unit (swish)";
  let description = [{
    `x * sigmoid(x)`, the activation of LLaMA-style SwiGLU MLPs.

    Example:
    ```mlir
    %y = tfm.silu %x : tensor<?x?x11008xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Tfm_BroadcastBinaryOp<string mnemonic, Type operandType, string formula,
                            list<Trait> traits = []>
    : Tfm_InferOp<mnemonic, traits> {
  let summary = "Elementwise " # formula # " with NumPy broadcasting";
  let description = "Computes `" # formula # "` elementwise after "
    "broadcasting both operands to a common shape (NumPy rules, as ONNX). "
    "Both operands have the same element type, which the result keeps.\n\n"
    "Example:\n```mlir\n%z = tfm." # mnemonic #
    " %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>\n```";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$output);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let extraClassDefinition = Tfm_CompatibleReturnTypes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::tfm::inferBroadcastResult(
          loc, getOperationName(), {adaptor.getLhs().getType(), adaptor.getRhs().getType()},
          /*elementType=*/nullptr, types);
    }
  }];
}

def Tfm_AddOp : Tfm_BroadcastBinaryOp<"add", Tfm_NumericTensor, "x + y",
                                      [Commutative]>;
def Tfm_SubOp : Tfm_BroadcastBinaryOp<"sub", Tfm_NumericTensor, "x - y">;
def Tfm_MulOp : Tfm_BroadcastBinaryOp<"mul", Tfm_NumericTensor, "x * y",
                                      [Commutative]>;
def Tfm_DivOp : Tfm_BroadcastBinaryOp<"div", Tfm_NumericTensor,
                                      "x / y (integers truncate)">;
def Tfm_PowOp : Tfm_BroadcastBinaryOp<"pow", Tfm_NumericTensor,
                                      "x ^ y (integers: exact powers)">;
def Tfm_MaxOp : Tfm_BroadcastBinaryOp<"max", Tfm_NumericTensor, "max(x, y)",
                                      [Commutative]>;
def Tfm_MinOp : Tfm_BroadcastBinaryOp<"min", Tfm_NumericTensor, "min(x, y)",
                                      [Commutative]>;
def Tfm_AndOp : Tfm_BroadcastBinaryOp<"and", Tfm_BoolTensor, "x and y",
                                      [Commutative]>;
def Tfm_OrOp : Tfm_BroadcastBinaryOp<"or", Tfm_BoolTensor, "x or y",
                                     [Commutative]>;

def Tfm_CompareOp : Tfm_InferOp<"compare"> {
  let summary = "Elementwise comparison with NumPy broadcasting";
  let description = [{
    Compares two tensors of one element type elementwise after broadcasting
    (ONNX `Equal`, `Less`, `Greater`, ...), giving an `i1` tensor.

    Example:
    ```mlir
    %m = tfm.compare eq, %ids, %pad : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Tfm_ComparePredicate:$predicate,
                       Tfm_NumericTensor:$lhs, Tfm_NumericTensor:$rhs);
  let results = (outs Tfm_BoolTensor:$output);
  let assemblyFormat = "$predicate `,` $lhs `,` $rhs attr-dict `:` "
                       "functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_SelectOp : Tfm_InferOp<"select"> {
  let summary = "Elementwise choice between two tensors (ONNX Where)";
  let description = [{
    `condition ? on_true : on_false` elementwise, all three broadcast to a
    common shape. `on_true` and `on_false` share the result's element type.

    Example:
    ```mlir
    %y = tfm.select %mask, %scores, %neg_inf : (tensor<1x1x?x?xi1>, tensor<?x12x?x?xf32>, tensor<f32>) -> tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_BoolTensor:$condition, Tfm_Tensor:$on_true,
                       Tfm_Tensor:$on_false);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$condition `,` $on_true `,` $on_false attr-dict `:` "
                       "functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_CastOp : Tfm_Op<"cast", [Pure]> {
  let summary = "Elementwise conversion to another element type";
  let description = [{
    ONNX `Cast`: converts every element to the result's element type, keeping
    the shape. Float to integer truncates toward zero; to `i1` tests `!= 0`.

    Example:
    ```mlir
    %f = tfm.cast %mask : tensor<?x?xi64> to tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_NumericTensor:$input);
  let results = (outs Tfm_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Tfm_QuantizeOp : Tfm_Op<"quantize", [Pure]> {
  let summary = "Quantize a float tensor to a quantized element type";
  let description = [{
    Converts floats to the storage values of the result's `!quant.uniform`
    element type (per-tensor or per-axis scale and zero point), rounding half
    to even and saturating. The quantized type's expressed type must be the
    input's element type.

    Example:
    ```mlir
    %q = tfm.quantize %x : tensor<?x768xf32> to tensor<?x768x!quant.uniform<i8:f32, 0.05>>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_QuantizedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasVerifier = 1;
}

def Tfm_DequantizeOp : Tfm_Op<"dequantize", [Pure]> {
  let summary = "Dequantize a quantized tensor to floats";
  let description = [{
    `(q - zero_point) * scale` with the scale and zero point of the
    operand's `!quant.uniform` type; the result's element type is its
    expressed type.

    Example:
    ```mlir
    %w = tfm.dequantize %q : tensor<768x768x!quant.uniform<i8:f32:0, {0.1, 0.2}>> to tensor<768x768xf32>
    ```
  }];
  let arguments = (ins Tfm_QuantizedTensor:$input);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasVerifier = 1;
}

def Tfm_DynamicQuantizeOp : Tfm_Op<"dynamic_quantize", [Pure]> {
  let summary = "ONNX DynamicQuantizeLinear: floats to uint8 with their own "
                "scale and zero point";
  let description = [{
    Quantizes all of `input` to uint8 with one scale and zero point computed
    from its range: with `lo = min(0, min input)` and
    `hi = max(0, max input)`, `scale = (hi - lo) / 255` (1 when they are
    equal), `zero_point = round_half_even(clamp(-lo / scale, 0, 255))` and
    `output = clamp(round_half_even(input / scale) + zero_point, 0, 255)`.

    kiln runs it only as part of a dynamically quantized matmul (see
    `tfm-fuse-integer-matmuls`), where it becomes the `per_tensor` lhs
    quantization of `tfm.quantized_matmul`.

    Example:
    ```mlir
    %q, %s, %z = tfm.dynamic_quantize %x : tensor<?x?x384xf32> -> tensor<?x?x384xui8>, tensor<f32>, tensor<ui8>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input);
  let results = (outs RankedTensorOf<[UI8]>:$output, 0DTensorOf<[F32]>:$scale,
                      0DTensorOf<[UI8]>:$zero_point);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output) `,` type($scale) `,`
    type($zero_point)
  }];
  let hasVerifier = 1;
}

def Tfm_MatmulIntegerOp
    : Tfm_InferOp<"matmul_integer", [AttrSizedOperandSegments]> {
  let summary = "ONNX MatMulInteger: an 8-bit integer matmul in int32";
  let description = [{
    `(lhs - lhs_zero_point) x (rhs - rhs_zero_point)`, exact in int32, for
    `lhs [..., K]` and a 2-D `rhs [K, N]` of 8-bit integers (i8 or ui8);
    the result is `[..., N]`. `lhs_zero_point` is 0-D, `rhs_zero_point` 0-D
    or `[N]` (one per output column), each of its operand's element type;
    absent ones are 0.

    kiln runs it only as part of a dynamically quantized matmul (see
    `tfm-fuse-integer-matmuls`).

    Example:
    ```mlir
    %y = tfm.matmul_integer %q, %w lhs_zero_point %z : (tensor<?x?x384xui8>, tensor<384x384xi8>, tensor<ui8>) -> tensor<?x?x384xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8, UI8]>:$lhs,
                       RankedTensorOf<[I8, UI8]>:$rhs,
                       Optional<RankedTensorOf<[I8, UI8]>>:$lhs_zero_point,
                       Optional<RankedTensorOf<[I8, UI8]>>:$rhs_zero_point);
  let results = (outs RankedTensorOf<[I32]>:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs (`lhs_zero_point` $lhs_zero_point^)?
    (`rhs_zero_point` $rhs_zero_point^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions and scans
//===----------------------------------------------------------------------===//

def Tfm_ReduceOp : Tfm_InferOp<"reduce"> {
  let summary = "Reduction over a set of axes";
  let description = [{
    Reduces `input` over `axes` (sorted, unique, in `[0, rank)`, not empty)
    with the given combiner: `sum`, `mean`, `max`, `min`, `prod`,
    `sum_square` (sum of squares) or `l2` (square root of that). With
    `keepdims` the reduced dimensions stay as size 1.

    Example:
    ```mlir
    %m = tfm.reduce mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
    ```
  }];
  let arguments = (ins Tfm_ReduceKind:$kind, Tfm_NumericTensor:$input,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Tfm_NumericTensor:$output);
  let assemblyFormat =
      "$kind $input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_ArgMaxOp : Tfm_InferOp<"argmax"> {
  let summary = "Index of the largest element along an axis";
  let description = [{
    ONNX `ArgMax` (first occurrence): an i64 tensor of indices along `axis`,
    which stays as size 1 when `keepdims`.

    Example:
    ```mlir
    %i = tfm.argmax %logits {axis = 2 : i64, keepdims = false} : (tensor<?x?x50257xf32>) -> tensor<?x?xi64>
    ```
  }];
  let arguments = (ins Tfm_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tfm_CumSumOp : Tfm_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "Cumulative sum along an axis";
  let description = [{
    ONNX `CumSum` with a constant axis (HF exports compute position ids with
    it). `exclusive` leaves out the current element; `reverse` sums from the
    end.

    Example:
    ```mlir
    %p = tfm.cumsum %mask {axis = 1 : i64} : tensor<?x?xi64>
    ```
  }];
  let arguments = (ins Tfm_NumericTensor:$input, I64Attr:$axis,
                       UnitAttr:$exclusive, UnitAttr:$reverse);
  let results = (outs Tfm_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Tfm_ReshapeOp : Tfm_InferOp<"reshape"> {
  let summary = "Reshape to a runtime shape";
  let description = [{
    Reinterprets `input` with the shape held in the 1-D `shape` operand,
    whose static length is the result rank. Each entry is a size `>= 0`, or
    `-1` (at most once) for the size that keeps the element count. ONNX's
    "0 copies the input dimension" is resolved by the frontend. Result
    dimensions are static where `shape` is a constant (or the type says so).

    Example:
    ```mlir
    %h = tfm.reshape %x, %s : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_ShapeTensor:$shape);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat =
      "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let hasVerifier = 1;
}

def Tfm_TransposeOp : Tfm_InferOp<"transpose"> {
  let summary = "Permute dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    Example:
    ```mlir
    %t = tfm.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Tfm_ConcatOp : Tfm_InferOp<"concat"> {
  let summary = "Concatenate tensors along an axis";
  let description = [{
    All inputs have the same rank and element type and agree on every
    dimension but `axis`.

    Example:
    ```mlir
    %c = tfm.concat %past, %new {axis = 2 : i64} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Tfm_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_SliceOp : Tfm_InferOp<"slice"> {
  let summary = "Strided slice with runtime bounds";
  let description = [{
    ONNX `Slice`: along each of `axes` (attribute) take
    `[starts[i], ends[i])` with step `steps[i]` (nonzero; negative steps go
    backwards). `starts` and `ends` are 1-D i64 operands, so bounds computed
    at run time work; negative bounds count from the end and bounds are
    clamped as in ONNX. Dimensions not in `axes` are kept whole.

    Example:
    ```mlir
    %s = tfm.slice %x, %st, %en {axes = array<i64: 1>, steps = array<i64: 1>} : (tensor<1x1024x1024xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x1024xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_ShapeTensor:$starts,
                       Tfm_ShapeTensor:$ends, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$steps);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$input `,` $starts `,` $ends attr-dict `:` "
                       "functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_SplitOp : Tfm_Op<"split", [Pure]> {
  let summary = "Split a tensor into pieces along an axis";
  let description = [{
    ONNX `Split`. With `sizes`, piece `i` has `sizes[i]` elements along
    `axis`; without, the dimension is split into as many equal pieces as
    there are results (the last one smaller if it does not divide).

    Example:
    ```mlir
    %q, %k, %v = tfm.split %qkv {axis = 2 : i64} : (tensor<?x?x2304xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, I64Attr:$axis,
                       OptionalAttr<DenseI64ArrayAttr>:$sizes);
  let results = (outs Variadic<Tfm_Tensor>:$outputs);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The type each piece has given the input type and `sizes`.
    ::llvm::SmallVector<::mlir::Type> getPieceTypes();
  }];
}

def Tfm_GatherOp : Tfm_InferOp<"gather"> {
  let summary = "Gather slices along an axis by index (ONNX Gather)";
  let description = [{
    The result is `input.shape[:axis] + indices.shape + input.shape[axis+1:]`.
    Negative indices count from the end of `axis`. Folds on constants, and
    `gather(shape(x), i)` folds when dimension `i` of `x` is static.

    Example:
    ```mlir
    %d = tfm.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat =
      "$input `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_ScatterNDOp : Tfm_InferOp<"scatter_nd"> {
  let summary = "Write slices into a copy of a tensor at N-D indices";
  let description = [{
    ONNX `ScatterND` (reduction `none`): a copy of `data` where, for each
    index tuple `indices[i..., :]` (of length `k`, the last dimension of
    `indices`), the slice `data[index tuple]` is replaced by
    `updates[i...]`. `updates` has shape
    `indices.shape[:-1] + data.shape[k:]`. Negative indices count from the
    end. Masked in-place writes in PyTorch exports (LLaMA's causal mask
    builder) become this op.

    Example:
    ```mlir
    %m = tfm.scatter_nd %mask, %idx, %upd : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$data, Tfm_IndexTensor:$indices,
                       Tfm_Tensor:$updates);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` "
                       "functional-type(operands, results)";
}

def Tfm_ExpandOp : Tfm_InferOp<"expand"> {
  let summary = "Broadcast to a runtime shape (ONNX Expand)";
  let description = [{
    Broadcasts `input` together with the shape held in `shape` (NumPy rules,
    both ways: a `1` in `shape` keeps the input's dimension).

    Example:
    ```mlir
    %e = tfm.expand %kv, %s : (tensor<?x4x1x?x64xf32>, tensor<5xi64>) -> tensor<?x4x2x?x64xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_ShapeTensor:$shape);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat =
      "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_SqueezeOp : Tfm_InferOp<"squeeze"> {
  let summary = "Remove size-1 dimensions";
  let description = [{
    Removes the dimensions listed in `axes` (sorted, unique), each of which
    must be 1 (checked statically when known).

    Example:
    ```mlir
    %y = tfm.squeeze %x {axes = array<i64: 0>} : (tensor<1x?xi64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_UnsqueezeOp : Tfm_InferOp<"unsqueeze"> {
  let summary = "Insert size-1 dimensions";
  let description = [{
    Inserts size-1 dimensions at positions `axes` of the result (sorted,
    unique, in `[0, rank + len(axes))`).

    Example:
    ```mlir
    %y = tfm.unsqueeze %mask {axes = array<i64: 1, 2>} : (tensor<?x?xi64>) -> tensor<?x1x1x?xi64>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Tfm_TriluOp : Tfm_Op<"trilu", [Pure, SameOperandsAndResultType]> {
  let summary = "Keep the upper or lower triangle of the last two dims";
  let description = [{
    ONNX `Trilu` with a constant diagonal offset `k`: with `upper`, keeps
    elements with `col - row >= k`; otherwise those with `col - row <= k`;
    others become zero. Causal masks in exports are built with it.

    Example:
    ```mlir
    %m = tfm.trilu %ones {upper = false, k = 0 : i64} : tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$upper,
                       DefaultValuedAttr<I64Attr, "0">:$k);
  let results = (outs Tfm_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Transformer operations
//===----------------------------------------------------------------------===//

def Tfm_SoftmaxOp : Tfm_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along an axis";
  let description = [{
    `exp(x - max(x)) / sum(exp(x - max(x)))` along `axis`; with `log`, the
    logarithm of that (`LogSoftmax`).

    Example:
    ```mlir
    %p = tfm.softmax %scores {axis = 3 : i64} : tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, I64Attr:$axis, UnitAttr:$log);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_QuantizeProbabilitiesOp
    : Tfm_Op<"quantize_probabilities", [Pure, SameOperandsAndResultType]> {
  let summary = "Probabilities (in [0, 1]) rounded to a few-bit grid";
  let description = [{
    What quantizing attention probabilities to `bits` bits (4 or 8) keeps,
    each element `p` replaced by the value its code stands for:

    - `uniform`: `q = clamp(round_half_even(p * (2^bits - 1)), 0,
      2^bits - 1)`, value `q / (2^bits - 1)`;
    - `log2` (RepQuant, arXiv 2402.05628, with the scale 1 that
      probabilities allow): `q = round_half_even(-2 log2 p)`, value
      `2^(-q / 2)` (an integer shift, times sqrt(2) for odd q), or 0 when
      `q >= 2^bits` (and for p = 0). Small probabilities keep their
      relative precision, which the uniform grid flushes to 0.

    Example:
    ```mlir
    %q = tfm.quantize_probabilities log2 %p bits 4 : tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_ProbabilityQuantization:$scheme,
                       Tfm_FloatTensor:$input, I64Attr:$bits);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat =
      "$scheme $input `bits` $bits attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_LayerNormOp : Tfm_Op<"layer_norm", [Pure]> {
  let summary = "Layer normalization over the trailing dimensions";
  let description = [{
    Normalizes `input` over dimensions `[axis, rank)` to zero mean and unit
    variance (`(x - mean) / sqrt(var + epsilon)`, biased variance), then
    multiplies by `scale` and adds `bias` (optional); both have the shape of
    the normalized dimensions.

    Example:
    ```mlir
    %y = tfm.layer_norm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-12 : f32} : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$scale,
                       Optional<Tfm_FloatTensor>:$bias, I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_RmsNormOp : Tfm_Op<"rms_norm", [Pure]> {
  let summary = "Root-mean-square normalization over the trailing dimensions";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * scale` over dimensions `[axis, rank)`
    (LLaMA's RMSNorm); `scale` has the shape of the normalized dimensions.

    Example:
    ```mlir
    %y = tfm.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x?x4096xf32>, tensor<4096xf32>) -> tensor<?x?x4096xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$scale,
                       I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-6f">:$epsilon);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input `,` $scale attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_RopeOp : Tfm_Op<"rope", [Pure]> {
  let summary = "Rotary position embedding";
  let description = [{
    Rotates the first `R` features of `input` (`[..., S, D]`) by the angles
    whose cosines and sines are `cos` and `sin` (`[..., S, R]`, broadcast to
    the input's leading dimensions, `R` even and at most `D`); features past
    `R` pass through (partial rotary, as GPT-NeoX). In the default half form
    (LLaMA, `rotate_half`), feature `i < R/2` pairs with `i + R/2`; with
    `interleaved` (GPT-J), feature `2i` pairs with `2i + 1`:
    `out = x * cos + rotate(x) * sin`.

    Example:
    ```mlir
    %qr = tfm.rope %q, %cos, %sin : (tensor<?x32x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x1x?x128xf32>) -> tensor<?x32x?x128xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$cos,
                       Tfm_FloatTensor:$sin, UnitAttr:$interleaved);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input `,` $cos `,` $sin attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Tfm_EmbeddingOp : Tfm_InferOp<"embedding"> {
  let summary = "Embedding table lookup";
  let description = [{
    Looks up rows of `table` (`[V, H]`) by the integer `ids`: the result is
    `ids.shape + [H]`. Ids outside `[0, V)` are a run-time error in the
    generated code's checked mode and otherwise undefined.

    Example:
    ```mlir
    %e = tfm.embedding %wte, %ids : (tensor<50257x768xf32>, tensor<?x?xi64>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Tfm_WeightTensor:$table, Tfm_IndexTensor:$ids);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat =
      "$table `,` $ids attr-dict `:` functional-type(operands, results)";
}

def Tfm_MatmulOp : Tfm_InferOp<"matmul", [AttrSizedOperandSegments]> {
  let summary = "Batched, broadcasting matmul with a fused epilogue";
  let description = [{
    `output = activation(op(lhs) x op(rhs) + bias) + residual`, where `op`
    transposes the last two dimensions when `transpose_lhs`/`transpose_rhs`
    is set. `lhs` is `[..., M, K]`, `rhs` `[..., K, N]`; leading (batch)
    dimensions broadcast with NumPy rules. `bias` broadcasts to the result
    (usually `[N]`); `residual` broadcasts to it too. `rhs` may have a
    quantized element type whose expressed type is the `lhs` element type
    (weight-only quantization); the result has the `lhs` element type.

    Example:
    ```mlir
    %y = tfm.matmul %x, %w bias %b activation gelu residual %r : (tensor<?x?x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$lhs, Tfm_WeightTensor:$rhs,
                       Optional<Tfm_FloatTensor>:$bias,
                       Optional<Tfm_FloatTensor>:$residual,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       OptionalAttr<Tfm_Activation>:$activation);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^)? (`activation` $activation^)?
    (`residual` $residual^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Tfm_QuantizedMatmulOp
    : Tfm_InferOp<"quantized_matmul", [AttrSizedOperandSegments]> {
  let summary = "Matmul with an integer weight: weight-only or int8 x int8";
  let description = [{
    `output = activation(lhs x W^T + bias) + residual` for `lhs [..., K]`
    and an integer weight `[N, K]` (rows are output channels, contiguous
    along K, as ONNX's MatMulNBits stores them) whose real value is

        W[n, k] = (weight[n, k] - zero_point[n, g]) * scale[n, g],
        g = k / group_size  (g = 0 when group_size is 0: one group per row)

    `scale` and `zero_point` are `[N, G]` with `G = ceil(K / group_size)`
    (or 1). `bits` is 8 (weight in [-128, 127], zero point default 0) or 4
    (weight and zero point in [0, 15] held one per i8, zero point default
    8). Weight-only, a float `offset` `[N, G]` may take the zero point's
    place: `W[n, k] = weight[n, k] * scale[n, g] + offset[n, g]` (a group's
    minimum, as llama.cpp's Q4_1 stores it, need not sit on the code grid).
    `bias` and `residual` broadcast into the result `[..., N]`.

    `lhs_quantization` says how `lhs` enters the product:
    - `none` (weight-only): in floating point, against the dequantized W.
    - `per_token`: each row r of `lhs` (flattened to `[rows, K]`) becomes
      int8 with `s_r = max_k |lhs[r, k]| / 127` and
      `q[r, k] = round_half_even(lhs[r, k] * (127 / max_k |lhs[r, k]|))`
      (0 for an all-zero row); the product `sum_k q[r, k] weight[n, k]` is
      exact in int32 and rescaled by `s_r * scale[n, 0]`. Needs 8 bits,
      one group and no zero point (symmetric per-channel weights).
      With `outlier_threshold` (LLM.int8()), the columns k of `lhs` with
      `max_r |lhs[r, k]| >= outlier_threshold`, found on each run, are left
      out of the int8 product (and of s_r) and added in floating point
      against the dequantized W. With `channel_scale` (`[K]`, no
      `outlier_threshold`), `lhs[r, k] * channel_scale[k]` is what is
      quantized (SmoothQuant's `1 / s`, applied by the quantizer instead
      of a multiply of its own).
    - `per_tensor`: ONNX `DynamicQuantizeLinear` (what ONNX Runtime's
      `quantize_dynamic` exports): all of `lhs` becomes uint8 with one
      scale `s = (hi - lo) / 255` over `lo = min(0, min lhs)`,
      `hi = max(0, max lhs)` (1 when they are equal), zero point
      `z = round_half_even(clamp(-lo / s, 0, 255))` and
      `q = clamp(round_half_even(lhs / s) + z, 0, 255)`; the product
      `sum_k (q[r, k] - z) weight[n, k]` is exact in int32 and rescaled by
      `s * scale[n, 0]`. Weights 8-bit per channel, with or without a
      zero point (the product is then `sum_k (q - z)(weight - zero_point)`).
    - `per_tensor_static`: as `per_tensor` with a fixed scale and zero point
      (`lhs_scale`, `lhs_zero_point` in [0, 255]), as ONNX `QuantizeLinear`
      to uint8 computes them (static quantization).

    Example:
    ```mlir
    %y = tfm.quantized_matmul %x, %w, %s bias %b activation gelu bits 8 group_size 0 lhs per_token : (tensor<?x?x768xf32>, tensor<3072x768xi8>, tensor<3072x1xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$lhs, RankedTensorOf<[I8]>:$weight,
                       Tfm_FloatTensor:$scale,
                       Optional<RankedTensorOf<[I8]>>:$zero_point,
                       Optional<Tfm_FloatTensor>:$bias,
                       Optional<Tfm_FloatTensor>:$residual,
                       Optional<Tfm_FloatTensor>:$channel_scale,
                       Optional<Tfm_FloatTensor>:$offset,
                       I64Attr:$bits, I64Attr:$group_size,
                       Tfm_LhsQuantization:$lhs_quantization,
                       OptionalAttr<F32Attr>:$outlier_threshold,
                       OptionalAttr<Tfm_Activation>:$activation,
                       OptionalAttr<F32Attr>:$lhs_scale,
                       OptionalAttr<I64Attr>:$lhs_zero_point);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $weight `,` $scale (`zero_point` $zero_point^)?
    (`bias` $bias^)? (`activation` $activation^)? (`residual` $residual^)?
    (`channel_scale` $channel_scale^)? (`offset` $offset^)?
    `bits` $bits `group_size` $group_size `lhs` $lhs_quantization
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// Scale groups per output channel: ceil(K / group_size), or 1.
    static int64_t groupCount(int64_t k, int64_t groupSize) {
      return groupSize ? (k + groupSize - 1) / groupSize : 1;
    }
  }];
}

def Tfm_AttentionOp : Tfm_InferOp<"attention"> {
  let summary = "Scaled dot-product multi-head attention";
  let description = [{
    `softmax(scale * q k^T + mask) v` per batch and head, with
    `q: [B, Hq, Sq, D]`, `k: [B, Hkv, Sk, D]`, `v: [B, Hkv, Sk, Dv]` and a
    result `[B, Hq, Sq, Dv]`. When `Hkv < Hq` (grouped-query attention) query
    head `h` uses key/value head `h / (Hq / Hkv)`; `Hq` must be a multiple
    of `Hkv`. `scale` defaults to `1 / sqrt(D)`.

    `mask` is optional and broadcasts to `[B, Hq, Sq, Sk]`: a float mask of
    `q`'s element type is added to the scores; an `i1` mask keeps the
    positions where it is true. `causal` additionally masks key `j` for query
    `i` when `j > i + (Sk - Sq)` (aligned to the end, so that a query block
    appended to a key/value cache sees the whole past). A query row whose keys
    are all masked gives zeros.

    Example:
    ```mlir
    %o = tfm.attention %q, %k, %v mask %m {causal} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$query, Tfm_FloatTensor:$key,
                       Tfm_FloatTensor:$value,
                       Optional<RankedTensorOf<[Tfm_FloatElement, I1]>>:$mask,
                       UnitAttr:$causal, OptionalAttr<F32Attr>:$scale);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The softmax scale: the `scale` attribute, or 1/sqrt(head dim).
    /// Requires a static head dimension when `scale` is absent.
    std::optional<double> getEffectiveScale();
  }];
}

def Tfm_CachedAttentionOp
    : Tfm_Op<"cached_attention", [InferTypeOpAdaptorWithIsCompatible,
                                  MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Causal attention of new tokens over the KV cache they join";
  let description = [{
    A decoder step: `query` `[B, Hq, S, D]`, `key` `[B, Hkv, S, D]` and
    `value` `[B, Hkv, S, Dv]` of the S new tokens of each of B sequences;
    `key_cache` `[B, Hkv, C, D]` and `value_cache` `[B, Hkv, C, Dv]`, the
    buffers the runtime keeps between runs (function arguments marked
    `tfm.cache`); `lengths` `[B]`, the tokens sequence b already holds.

    Writes `key` and `value` into the caches at positions
    `[lengths[b], lengths[b] + S)` of sequence b, in place (the op's
    side effect: the caches are never copied), and returns the causal
    attention of the new tokens over what the cache then holds: query i of
    sequence b sees positions `[0, lengths[b] + i]`, as
    `softmax(scale * q k^T) v`, with grouped-query heads as in
    `tfm.attention`. `lengths[b] + S <= C` is the caller's to ensure (the
    runtime checks it before a run). `lengths` itself is not updated.

    Example:
    ```mlir
    %o = tfm.cached_attention %q, %k, %v, %kc, %vc, %len : (tensor<?x9x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?xi64>) -> tensor<?x9x?x64xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$query, Tfm_FloatTensor:$key,
                       Tfm_FloatTensor:$value, Tfm_FloatTensor:$key_cache,
                       Tfm_FloatTensor:$value_cache,
                       RankedTensorOf<[I64]>:$lengths,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $key_cache `,` $value_cache `,` $lengths
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The softmax scale: the `scale` attribute, or 1/sqrt(head dim).
    std::optional<double> getEffectiveScale();
  }];
  let extraClassDefinition = Tfm_CompatibleReturnTypes;
}

def Tfm_LinearAttentionOp : Tfm_InferOp<"linear_attention",
    [AttrSizedOperandSegments]> {
  let summary = "Linear attention and retention: decayed, softmax-free attention";
  let description = [{
    `q: [B, H, T, Dk]`, `k: [B, H, T, Dk]`, `v: [B, H, T, Dv]`, result
    `[B, H, T, Dv]`. With `φ` the `feature_map` applied to queries and keys
    and `b_t = Σ_{s ≤ t} g_s` the running sum of the log decay (all ≤ 0):

        A_ij = scale · Σ_c φ(q)_ic φ(k)_jc e^(b_ic − b_jc)   (j ≤ i if causal)
        o_i  = Σ_j A_ij v_j

    `decay` says where `g` comes from: `none` (g = 0), `constant` (one
    `log_decay` value per head, γ_h = e^g: RetNet, Lightning attention),
    `scalar_gate` (`gate: [B, H, T]`, one log gate per token) or
    `vector_gate` (`gate: [B, H, T, Dk]`, one per token and key channel:
    GLA). Decay needs `causal`.

    `normalization`: `none`; `denominator` divides o_i by
    `Σ_j A_ij + epsilon` (the causal linear transformer); `retnet` is
    multi-scale retention's: with `D̃_ij = γ^(i−j) / sqrt(Σ_{j' ≤ i} γ^(i−j'))`,
    `A'_ij = scale · φ(q_i)·φ(k_j) · D̃_ij` and
    `o_i = Σ_j A'_ij v_j / max(|Σ_j A'_ij|, 1)` (needs `constant` decay).

    This is the quadratic ("parallel") form's meaning; kernels compute the
    exact chunkwise form, `chunk_size` tokens at a time, carrying a
    `[Dk, Dv]` state, in O(T).

    With `state` the op continues a sequence (prefill after a prefix, or
    decode): `state: [B, H, Dk + 1, Dv + 1]` holds `S = Σ_j e^(b_T − b_j)
    φ(k_j)ᵀ v_j` in `[:Dk, :Dv]`, the decayed key sum `z` in `[:Dk, Dv]` and
    the decayed token count `n` in `[Dk, Dv]` (row `Dk` is otherwise zero),
    and the second result is the state after the last token. A zero state is
    the empty prefix.

    Example:
    ```mlir
    %o = tfm.linear_attention %q, %k, %v decay constant normalization retnet {causal, log_decay = array<f32: -0.03, -0.015>} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
    ```
  }];
  let arguments = (ins
      Tfm_FloatTensor:$query, Tfm_FloatTensor:$key, Tfm_FloatTensor:$value,
      Optional<Tfm_FloatTensor>:$gate, Optional<Tfm_FloatTensor>:$state,
      DefaultValuedAttr<Tfm_FeatureMap, "::mlir::tfm::FeatureMap::identity">:$feature_map,
      DefaultValuedAttr<Tfm_LinearDecay, "::mlir::tfm::LinearDecay::none">:$decay,
      OptionalAttr<DenseF32ArrayAttr>:$log_decay,
      DefaultValuedAttr<Tfm_LinearNormalization, "::mlir::tfm::LinearNormalization::none">:$normalization,
      UnitAttr:$causal,
      DefaultValuedAttr<F32Attr, "1.0">:$scale,
      DefaultValuedAttr<F32Attr, "1e-6">:$epsilon,
      DefaultValuedAttr<I64Attr, "64">:$chunk_size);
  let results = (outs Tfm_FloatTensor:$output,
                      Optional<Tfm_FloatTensor>:$final_state);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`gate` $gate^)? (`state` $state^)?
    (`feature_map` $feature_map^)? (`decay` $decay^)?
    (`normalization` $normalization^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def Tfm_ConvOp : Tfm_InferOp<"conv"> {
  let summary = "N-D convolution, channels first (ONNX Conv)";
  let description = [{
    `input: [N, C, D1..Dn]`, `weight: [M, C / group, K1..Kn]`, optional
    `bias: [M]`, result `[N, M, O1..On]` with
    `Oi = (Di + pad_begin_i + pad_end_i - dilation_i * (Ki - 1) - 1) / stride_i + 1`.
    `pads` lists all begin pads, then all end pads. ViT's patch embedding is
    a conv with stride equal to the kernel size.

    Example:
    ```mlir
    %p = tfm.conv %img, %w, %b {strides = array<i64: 16, 16>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x768x14x14xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_WeightTensor:$weight,
                       Optional<Tfm_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Tfm_FloatTensor:$output);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

#endif // KILN_DIALECTS_TFM_TFMOPS_TD
