//===- TfmBase.td - tfm dialect, types and enums -----------*- tablegen -*-===//
//
// Part of kiln. The `tfm` transformer dialect: its declaration, the type
// constraints shared by its ops and the enum attributes they carry.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_TFM_TFMBASE_TD
#define KILN_DIALECTS_TFM_TFMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

def Tfm_Dialect : Dialect {
  let name = "tfm";
  let cppNamespace = "::mlir::tfm";
  let summary = "Transformer-level operations for the kiln compiler";
  let description = [{
    The `tfm` dialect is kiln's high-level IR. Frontends (ONNX, safetensors)
    import a model into `tfm`; the fusion, quantization and linear-attention
    passes rewrite it; the lowering passes take it to upstream dialects.

    It holds two layers of ops on ranked tensors:
    - high-level transformer ops (`tfm.attention`, `tfm.layer_norm`,
      `tfm.rms_norm`, `tfm.gelu`, `tfm.silu`, `tfm.rope`, `tfm.softmax`,
      `tfm.embedding`, and `tfm.matmul` with fused epilogues) that fusion
      produces and the backends lower to one kernel each;
    - the tensor primitives real ONNX exports contain (elementwise math,
      comparisons, casts, reductions, data movement and shape computations),
      so a whole exported graph is representable before fusion.

    Every tensor is ranked; dimensions may be dynamic (`?`). Axes are always
    normalised to `[0, rank)` (frontends resolve negative axes). Weights are
    `tfm.constant` ops holding `dense_resource` blobs. Quantized element types
    come from the upstream `quant` dialect (`!quant.uniform<...>`).
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let hasConstantMaterializer = 1;
  // tfm.name, tfm.dims and tfm.weight on function arguments and results.
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Tfm_FloatElement : AnyTypeOf<[F16, BF16, F32, F64], "floating-point">;
def Tfm_IntElement : AnyTypeOf<[AnySignlessInteger, AnyUnsignedInteger],
                               "integer">;
def Tfm_IndexElement : AnyTypeOf<[I32, I64], "32/64-bit integer">;
def Tfm_NumericElement : AnyTypeOf<[Tfm_FloatElement, Tfm_IntElement],
                                   "numeric">;

def Tfm_Tensor : RankedTensorOf<[AnyType]>;
def Tfm_FloatTensor : RankedTensorOf<[Tfm_FloatElement]>;
def Tfm_NumericTensor : RankedTensorOf<[Tfm_NumericElement]>;
def Tfm_IntTensor : RankedTensorOf<[Tfm_IntElement]>;
def Tfm_BoolTensor : RankedTensorOf<[I1]>;
def Tfm_IndexTensor : RankedTensorOf<[Tfm_IndexElement]>;
def Tfm_QuantizedTensor : RankedTensorOf<[quant_QuantizedType]>;
/// A weight operand: floating point, or quantized with a float expressed type.
def Tfm_WeightTensor : RankedTensorOf<[Tfm_FloatElement, quant_QuantizedType]>;
/// A 1-D tensor of i64 holding a shape, start/end indices and the like.
def Tfm_ShapeTensor : 1DTensorOf<[I64]>;
/// A 0-D tensor (a scalar), as `Range` takes.
def Tfm_ScalarTensor : 0DTensorOf<[Tfm_NumericElement]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tfm_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU evaluates the Gaussian CDF", [
      I32EnumAttrCase<"erf", 0>,
      I32EnumAttrCase<"tanh", 1>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_Activation : I32EnumAttr<"Activation",
    "activation applied in a matmul epilogue", [
      I32EnumAttrCase<"relu", 0>,
      I32EnumAttrCase<"gelu", 1>,
      I32EnumAttrCase<"gelu_tanh", 2>,
      I32EnumAttrCase<"silu", 3>,
      I32EnumAttrCase<"sigmoid", 4>,
      I32EnumAttrCase<"tanh", 5>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_LhsQuantization : I32EnumAttr<"LhsQuantization",
    "how tfm.quantized_matmul treats its float operand", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"per_token", 1>,
      I32EnumAttrCase<"per_tensor", 2>,
      I32EnumAttrCase<"per_tensor_static", 3>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_ProbabilityQuantization : I32EnumAttr<"ProbabilityQuantization",
    "how tfm.quantize_probabilities rounds", [
      I32EnumAttrCase<"uniform", 0>,
      I32EnumAttrCase<"log2", 1>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_FeatureMap : I32EnumAttr<"FeatureMap",
    "feature map tfm.linear_attention applies to queries and keys", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"elu_plus_one", 1>,
      I32EnumAttrCase<"silu", 2>,
      I32EnumAttrCase<"relu", 3>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_LinearDecay : I32EnumAttr<"LinearDecay",
    "how tfm.linear_attention decays its state from token to token", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"constant", 1>,
      I32EnumAttrCase<"scalar_gate", 2>,
      I32EnumAttrCase<"vector_gate", 3>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_LinearNormalization : I32EnumAttr<"LinearNormalization",
    "how tfm.linear_attention normalises each output row", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"denominator", 1>,
      I32EnumAttrCase<"retnet", 2>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "elementwise comparison predicate", [
      I32EnumAttrCase<"eq", 0>,
      I32EnumAttrCase<"ne", 1>,
      I32EnumAttrCase<"lt", 2>,
      I32EnumAttrCase<"le", 3>,
      I32EnumAttrCase<"gt", 4>,
      I32EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_ReduceKind : I32EnumAttr<"ReduceKind", "reduction combiner", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"max", 2>,
      I32EnumAttrCase<"min", 3>,
      I32EnumAttrCase<"prod", 4>,
      I32EnumAttrCase<"sum_square", 5>,
      I32EnumAttrCase<"l2", 6>]> {
  let cppNamespace = "::mlir::tfm";
}

//===----------------------------------------------------------------------===//
// Base op class
//===----------------------------------------------------------------------===//

class Tfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfm_Dialect, mnemonic, traits>;

#endif // KILN_DIALECTS_TFM_TFMBASE_TD
