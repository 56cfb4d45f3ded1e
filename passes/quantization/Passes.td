//===- Passes.td - quantization passes on tfm --------------*- tablegen -*-===//
//
// Part of kiln. Passes that trade exactness for speed and memory: they run
// after the tfm pipeline (fusion), on request (`kiln compile --quantize`),
// and each has its own lit test.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_QUANTIZATION_PASSES_TD
#define KILN_PASSES_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmQuantizeMatmuls : Pass<"tfm-quantize-matmuls", "ModuleOp"> {
  let summary = "Quantize the weights of weight matmuls into tfm.quantized_matmul";
  let description = [{
    Every `tfm.matmul` whose right operand is a 2-D f32 constant (and whose
    left operand is not transposed) becomes a `tfm.quantized_matmul` with
    the weight stored as integers `[N, K]`, by `scheme`:

    - `w8a8`: symmetric int8 per output channel,
      `scale[n] = max_k |W[n, k]| / 127`,
      `q = clamp(round_half_even(W / scale), -127, 127)`; the activations
      are quantized per token at run time (`lhs per_token`).
    - `llm-int8`: as `w8a8`, plus LLM.int8()'s outlier columns
      (`outlier-threshold`) computed in floating point.
    - `w8`, `w4`: weight-only, asymmetric per group of `group-size`
      consecutive K of one output channel (the last group may be shorter):
      `lo = min(0, min W)`, `hi = max(0, max W)`,
      `scale = (hi - lo) / (2^bits - 1)`,
      `zero_point = clamp(round_half_even(-lo / scale), 0, 2^bits - 1)`,
      `q = clamp(round_half_even(W / scale) + zero_point, 0, 2^bits - 1)`
      (`w8` stores q and the zero point minus 128, as int8). A group of
      zeros gets scale 1.

    The original f32 weights are released as they are replaced.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"w8a8\"",
           "w8a8, llm-int8, w8 or w4">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"32",
           "K per scale group for w8/w4 (a positive multiple of 16)">,
    Option<"outlierThreshold", "outlier-threshold", "float",
           /*default=*/"6.0f",
           "llm-int8: |x| at which an activation column is an outlier">,
  ];
}

def TfmFuseIntegerMatmuls : Pass<"tfm-fuse-integer-matmuls", "ModuleOp"> {
  let summary = "Turn ONNX Runtime's dynamically quantized matmuls into "
                "tfm.quantized_matmul";
  let description = [{
    ONNX Runtime's `quantize_dynamic` exports each weight matmul as

        q, s_x, z_x = tfm.dynamic_quantize x
        y = tfm.cast (tfm.matmul_integer q, W lhs_zero_point z_x
                                         rhs_zero_point z_w) to f32
        out = y * (s_x * s_w)

    with a constant 8-bit `W [K, N]`, its zero point `z_w` and scale `s_w`
    (each a scalar or one per column). This becomes
    `tfm.quantized_matmul x, (W - z_w)^T, s_w lhs per_tensor`, the same
    arithmetic on the int8 GEMM: exact in int32, rescaled by `s_x * s_w`.
    When `W - z_w` does not fit in int8 (uint8 weights), the weight is
    `W - 128` with the zero point `z_w - 128` per channel instead. Codes
    gathered from a constant table (a quantized embedding feeding the
    matmul) become `lhs per_tensor_static`.

    kiln has no other lowering for `tfm.dynamic_quantize` and
    `tfm.matmul_integer`, so the pass fails on any it leaves, saying why it
    could not fuse it. It runs in every compile, before fusion (so that the
    matmul epilogue fusion sees the result).
  }];
}

#endif // KILN_PASSES_QUANTIZATION_PASSES_TD
