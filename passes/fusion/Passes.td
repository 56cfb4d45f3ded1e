//===- Passes.td - fusion passes on tfm --------------------*- tablegen -*-===//
//
// Part of kiln. Each pass recognises one family of subgraphs that exporters
// write out as primitives and recomposes it into a high-level tfm op. Each
// has its own lit test with near misses that must not fuse.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_FUSION_PASSES_TD
#define KILN_PASSES_FUSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmFuseGelu : Pass<"tfm-fuse-gelu", "func::FuncOp"> {
  let summary = "Recompose GELU (erf and tanh forms) into tfm.gelu";
  let description = [{
    `x * 0.5 * (1 + erf(x / sqrt(2)))` (any association of the products,
    division by sqrt(2) or multiplication by 1/sqrt(2)) becomes
    `tfm.gelu erf`; `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`
    (x^3 as a power or a product) becomes `tfm.gelu tanh`.
  }];
}

def TfmFuseSilu : Pass<"tfm-fuse-silu", "func::FuncOp"> {
  let summary = "Recompose x * sigmoid(x) into tfm.silu";
}

def TfmFuseNorms : Pass<"tfm-fuse-norms", "func::FuncOp"> {
  let summary = "Recompose layer norm and RMS norm into tfm.layer_norm/rms_norm";
  let description = [{
    Layer norm: `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)`, then
    optionally `* gamma` and `+ beta` (constants shaped like the normalized
    dims; a gamma of ones or a beta of zeros may already have folded away),
    over trailing axes. RMS norm: `x * 1/sqrt(mean(x^2) + eps)` (reciprocal,
    division or rsqrt), optionally `* weight`.
  }];
}

def TfmFuseMatmulEpilogue : Pass<"tfm-fuse-matmul-epilogue", "func::FuncOp"> {
  let summary = "Fold bias add, activation and residual add into tfm.matmul";
  let description = [{
    The same for `tfm.matmul` and `tfm.quantized_matmul` (as imported from
    MatMulNBits): `matmul + b` (b 1-D of the output's last size) becomes the matmul's
    bias; an activation (gelu, silu, relu, sigmoid, tanh) of a matmul
    becomes its activation; an add of a tensor that broadcasts into the
    result becomes its residual. Each only when the matmul has no other use
    and the epilogue slot is free, in the order bias, activation, residual.
  }];
}

def TfmFuseAttention : Pass<"tfm-fuse-attention", "func::FuncOp"> {
  let summary = "Recompose MatMul -> Softmax -> MatMul into tfm.attention";
  let description = [{
    `softmax(scale * q k^T + mask) v` over the last axis, as BERT, RoBERTa,
    DistilBERT (query scaled before the product, masked_fill with an
    inverted boolean mask), GPT-2 (division by a constant, `Where` with a
    causal boolean mask plus an additive padding mask), ViT and LLaMA
    (grouped-query K/V repeated by expand + reshape) exports write it,
    becomes one `tfm.attention`. k^T is any transpose whose last two dims
    are swapped relative to K; the repeated K/V of grouped-query attention
    are replaced by the original heads. Near misses stay: softmax over
    another axis, a non-constant scale.
  }];
}

def TfmFuseQkv : Pass<"tfm-fuse-qkv", "func::FuncOp"> {
  let summary = "Merge matmuls of one input by constant weights into one";
  let description = [{
    Matmuls that share their left operand and multiply it by 2-D constant
    weights `[K, N_i]` (the Q, K and V projections of a layer), with no
    transposes, activation or residual and constant or no biases, become one
    matmul by the concatenated weight `[K, sum N_i]` (biases concatenated
    too) followed by a `tfm.split` of its last dimension. One larger GEMM
    reads the input once and keeps both cores busier. The weights are
    concatenated at compile time; the originals are released.
  }];
}

#endif // KILN_PASSES_FUSION_PASSES_TD
