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
    - `w8a8-static`: weights as `w8a8`; the activations are quantized with
      one scale and zero point fixed at compile time (`lhs
      per_tensor_static`, unsigned 8-bit): those of `tfm.lhs_static_scale`
      / `tfm.lhs_static_zero_point` (tfm-reparameterize-activations) when
      the matmul has them, else `scale = (hi - lo) / 255`,
      `zero_point = round_half_even(-lo / scale)` from the calibrated range
      (`tfm.lhs_min` / `tfm.lhs_max`, widened to hold 0). A matmul with
      neither is an error.
    - `w8`, `w4`: weight-only, asymmetric per group of `group-size`
      consecutive K of one output channel (the last group may be shorter):
      `W ~ q * scale + offset`, `q = clamp(round_half_even((W - offset) /
      scale), 0, 2^bits - 1)` (`w8` stores q minus 128, as int8, and the
      offset to match). `grid=min-max`: `offset = min W`,
      `scale = (max W - min W) / (2^bits - 1)` (llama.cpp's Q4_1; a group
      of equal weights gets scale 1). `grid=least-error` (the default):
      from there, the scale and offset minimising
      `sum_k importance_k sqrt(sigma^2 + W_k^2) (W_k - Q(W_k))^2` (sigma^2
      the group's mean W^2, llama.cpp's weighting): codes from 21 grids of
      `2^bits - 2 .. 2^bits` steps over [min, max], each grid refitted to
      its codes by weighted least squares, the best refitted until it stops
      improving (llama.cpp's k-quant search), min-max kept on ties.
      `importance_k` = `max(|tfm.lhs_min_k|, |tfm.lhs_max_k|)^2` (+ 1e-3
      of its mean) when the matmul is calibrated, else 1: the output error
      is `sum_k x_k dW_k`, so E[x_k^2] is what an error in channel k costs.
      When every group's scale and offset is in the normal IEEE half range,
      both are rounded to halves and the codes taken on those grids (the
      x86 backend then streams them as halves).

    With per-token activations (`w8a8`), an input that is a `tfm.mul` by
    a constant `[K]` vector (SmoothQuant's `1 / s` where no norm could
    take it) becomes the op's `channel_scale`, applied while quantizing.

    The original f32 weights are released as they are replaced.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"w8a8\"",
           "w8a8, llm-int8, w8a8-static, w8 or w4">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"32",
           "K per scale group for w8/w4 (a positive multiple of 16)">,
    Option<"outlierThreshold", "outlier-threshold", "float",
           /*default=*/"6.0f",
           "llm-int8: |x| at which an activation column is an outlier">,
    Option<"grid", "grid", "std::string", /*default=*/"\"least-error\"",
           "w8/w4: each group's grid, least-error or min-max">,
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

def TfmQuantizeSoftmax : Pass<"tfm-quantize-softmax", "ModuleOp"> {
  let summary = "Round attention probabilities to a 4- or 8-bit grid "
                "(RepQuant's log2 quantizer, or a uniform one)";
  let description = [{
    `kiln compile --quantize-softmax=log2|uniform --softmax-bits=4|8`: puts
    a `tfm.quantize_probabilities` after every softmax whose users all
    multiply it (as their left operand) by the values, i.e. after the
    attention probabilities, so that a model is run with what a few-bit
    quantization of them keeps (RepQuant, arXiv 2402.05628: log2 codes,
    `2^(-q/2)`, against uniform codes of the same width). It runs before
    attention fusion, so those attentions stay unfused (matmul, softmax,
    matmul): the pass measures accuracy, not speed.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"log2\"",
           "log2 or uniform">,
    Option<"bits", "bits", "int64_t", /*default=*/"4", "4 or 8">,
  ];
}

def TfmRecordActivationRanges
    : Pass<"tfm-record-activation-ranges", "ModuleOp"> {
  let summary = "Add outputs holding each weight matmul's input range, "
                "for kiln calibrate";
  let description = [{
    For every matmul `tfm-quantize-matmuls` would quantize, in order, adds
    two results to the entry function: the minimum and the maximum of the
    matmul's input over every dimension but the last (`tfm.reduce min` /
    `max`, one value per input channel), named
    `calibration:INDEX:min:NODE` and `calibration:INDEX:max:NODE`. A
    library built with it is what `kiln calibrate` runs on the calibration
    samples; the model's own outputs are unchanged.
  }];
}

def TfmAttachCalibration : Pass<"tfm-attach-calibration", "ModuleOp"> {
  let summary = "Read a calibration file onto the weight matmuls";
  let description = [{
    Reads the file `kiln calibrate` wrote and sets `tfm.lhs_min` and
    `tfm.lhs_max` (per input channel, `array<f32>`) on each quantizable
    matmul, in the order tfm-record-activation-ranges numbered them. Fails,
    naming the first difference, when the file does not describe this
    model (another matmul count, channel count or node name: recorded from
    another model, or at other `--shape` options).
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"",
           "The calibration file (JSON, from kiln calibrate)">,
  ];
}

def TfmScaleSalientChannels
    : Pass<"tfm-scale-salient-channels", "ModuleOp"> {
  let summary = "AWQ: scale up the weight rows of salient input channels "
                "before weight-only quantization";
  let description = [{
    Activation-aware weight quantization (AWQ, arXiv 2306.00978) with the
    calibrated ranges as its statistics. For the matmuls that share an
    input x carrying its range (`tfm.lhs_min` / `tfm.lhs_max`), with
    `X_j = max |x_j|`: `s_j = X_j^alpha` (geometric mean 1), for the alpha in
    0, 0.05, ..., 1 (AWQ's 20-point grid) that minimises
    `sum_j X_j^2 sum_n (W[j, n] - Q(s_j W[j, n]) / s_j)^2` over those
    matmuls, Q being the `bits` / `group-size` weight-only quantizer of
    tfm-quantize-matmuls (a diagonal stand-in for the output error on the
    calibration data). Then `x W = (x / s) (diag(s) W)` as in
    tfm-smooth-activations: `1 / s` folds into the norm producing x, or an
    explicit `tfm.mul`. Exact in real arithmetic; what changes is that the
    channels the activations lean on get finer weight codes. Run by
    `--quantize=w4/w8` when given `--calibration`.
  }];
  let options = [
    Option<"bits", "bits", "int64_t", /*default=*/"4",
           "Weight bits of the quantizer that follows: 4 or 8">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"32",
           "K per scale group of the quantizer that follows">,
  ];
}

def TfmSmoothActivations : Pass<"tfm-smooth-activations", "ModuleOp"> {
  let summary = "SmoothQuant: move activation outliers into the weights";
  let description = [{
    SmoothQuant (arXiv 2211.10438). For the matmuls that share an input x
    and carry its calibrated range (`tfm.lhs_min` / `tfm.lhs_max`), with
    `X_j = max |x_j|` over the calibration data and `W_j` the largest
    `|W[j, n]|` over all of those matmuls' weights:

        s_j = max(X_j^alpha / W_j^(1 - alpha), 1e-5)   (1 if X_j or W_j is 0)

    and `x W = (x / s) (diag(s) W)`: the weights' rows are multiplied by
    `s`, and `1 / s` is folded into the layer_norm / rms_norm producing x
    when these matmuls are its only users, else applied by an explicit
    `tfm.mul` (which tfm-quantize-matmuls then moves into the int8
    quantizer: `channel_scale`). The recorded ranges are divided by `s`
    too. Exact in real
    arithmetic; what changes is that int8 per-token quantization of x / s
    loses less to outlier channels.
  }];
  let options = [
    Option<"alpha", "alpha", "float", /*default=*/"0.5f",
           "Migration strength in [0, 1] (0.5 by default; 0.8-0.9 for "
           "LLaMA-family models)">,
  ];
}

def TfmReparameterizeActivations
    : Pass<"tfm-reparameterize-activations", "ModuleOp"> {
  let summary = "Choose each calibrated input's static quantization; "
                "RepQuant's reparameterisation for norm outputs";
  let description = [{
    Sets `tfm.lhs_static_scale` and `tfm.lhs_static_zero_point` (the one
    per-tensor unsigned 8-bit quantizer tfm-quantize-matmuls' `w8a8-static`
    uses) on the matmuls whose shared input x has a calibrated range
    (`tfm.lhs_min` / `tfm.lhs_max`, widened to hold 0): channel c ranges
    over `[lo_c, hi_c]`.

    When x is a layer_norm / rms_norm output (RepQuant's post-LayerNorm
    activations, arXiv 2402.05628 after RepQ-ViT), whose channels differ
    in range far more than they vary between inputs: RepQuant's scale
    reparameterisation, on the ranges widened `headroom` times about 0 (each
    channel then fills a grid of its own, so an input past what the
    calibration samples reached would be clipped at once). Each channel's
    own parameters are `s_c = (hi_c - lo_c) / 255`, `z_c = round_half_even(-lo_c / s_c)`.
    With `s = mean(s_c)`, `z = round_half_even(mean(z_c))` (over channels
    with a range), `r_c = s_c / s` and `b_c = s (z - z_c)`:

        x' = x / r - b,   W' = diag(r) W,   bias' = bias + b W'

    so `x' W' + bias' = x W + bias`, and quantizing x' with the one
    `(s, z)` gives each channel the codes its own `(s_c, z_c)` would.
    `1 / r` and `-b` fold into the norm when these matmuls are its only
    users, else become explicit `tfm.mul` / `tfm.add`.

    Any other input (a GELU or attention output) gets
    `scale = (max hi_c - min lo_c) / 255` and the matching zero point,
    not widened (its widest channel sets the grid; the others have room)
    and unchanged: stretching a channel that was quiet on the calibration
    samples to the whole grid would clip it on other inputs (the FC2
    inputs of all-MiniLM-L6-v2 reach 55x their calibrated range).
  }];
  let options = [
    Option<"headroom", "headroom", "float", /*default=*/"1.5f",
           "Factor (>= 1) the calibrated ranges of norm outputs are "
           "widened by before their reparameterisation">,
  ];
}

#endif // KILN_PASSES_QUANTIZATION_PASSES_TD
