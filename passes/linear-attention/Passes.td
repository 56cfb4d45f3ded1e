//===- Passes.td - linear-attention passes on tfm ----------*- tablegen -*-===//
//
// Part of kiln. The third pass family: attention without a softmax, exported
// in its quadratic form, becomes the chunked O(T) op.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_LINEAR_ATTENTION_PASSES_TD
#define KILN_PASSES_LINEAR_ATTENTION_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmRewriteLinearAttention
    : Pass<"tfm-rewrite-linear-attention", "ModuleOp"> {
  let summary = "Rewrite quadratic linear attention / retention to "
                "tfm.linear_attention";
  let description = [{
    Finds `O = P v` where `P` is built from a score product `s φ(q) φ(k)ᵀ`
    with no softmax, and rewrites it to one `tfm.linear_attention`, which
    the kernels run in chunks in O(T) with a carried state. Recognised, on
    rank-4 `[B, H, T, D]` operands:

    - the scores `tfm.matmul(q, kᵀ)`, times or divided by splat constants
      (the scale); `tfm.silu` on both q and k becomes `feature_map silu`
      (other feature maps stay ops before the rewritten op, which is exact);
      the gated form `(q ⊙ e^b)(k ⊙ e^−b)ᵀ` with `b = cumsum(g, T)`
      becomes `decay vector_gate` with `gate g` (GLA);
    - the decay mask `P = scores ⊙ M` (or `select(keep, scores, 0)`), where
      `M` is a constant (static T) or is computed from the sequence length
      alone (dynamic T: Range/Sub/Exp/Trilu/Where of the shapes). `M` is
      evaluated at two lengths (a constant folded as is), and accepted only
      if, per head, `M_ij = r_i γ^(i−j)` for `j ≤ i` and 0 above within
      rtol 1e-5, with `r_i = 1` (`decay constant`, or none when γ = 1) or
      RetNet's `r_i = 1 / sqrt(Σ_{j ≤ i} γ^(i−j))` together with its
      row-sum clamp below;
    - no mask: non-causal attention, computed as `φ(q) (φ(k)ᵀ v)`;
    - the normalisations `P / (Σ_j P_ij + ε)` or `(P v) / (Σ_j P_ij + ε)`
      (`denominator`), and RetNet's `P / max(|Σ_j P_ij|, 1)`; torchscale's
      literal `P / clamp(Σ_j |P_ij|, 1, max)` (not computable in O(T)) only
      where every use of `P v` is a `tfm.rms_norm` or `tfm.layer_norm` over
      the head dim (through transposes keeping it last): the two differ by
      a positive factor per row, which the norm cancels up to its epsilon
      (torchscale's group norm; run `tfm-fuse-norms` first).

    Softmax attention, any other mask, a mask that depends on the data and
    a score or probability tensor with another consumer are left alone.
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // KILN_PASSES_LINEAR_ATTENTION_PASSES_TD
