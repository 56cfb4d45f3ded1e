// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics

// Ops the lowering does not handle yet are reported once, at the op, with
// the reason the pattern gave (its notifyMatchFailure), not as two errors.

func.func @slice_negative_step(%x: tensor<?x16xf32>, %st: tensor<1xi64>, %en: tensor<1xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{kiln cannot lower 'tfm.slice' to linalg yet: negative slice steps are not supported by the lowering yet}}
  %0 = tfm.slice %x, %st, %en {axes = array<i64: 1>, steps = array<i64: -1>} : (tensor<?x16xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{kiln cannot lower 'tfm.conv' to linalg yet: the lowering supports 2-D convolutions with group 1 only}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @attention_gqa_dynamic_heads(%q: tensor<1x?x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x?x4x8xf32> {
  // expected-error @+1 {{kiln cannot lower 'tfm.attention' to linalg yet: grouped-query attention needs static head counts}}
  %0 = tfm.attention %q, %k, %v : (tensor<1x?x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x?x4x8xf32>
  return %0 : tensor<1x?x4x8xf32>
}

// -----

func.func @quantized_result(%x: tensor<?x8xf32>) -> tensor<?x8x!quant.uniform<u8:f32, 0.5:128>> {
  // expected-error @+1 {{kiln cannot lower 'tfm.quantize' to linalg yet: kiln runs a quantized tensor only through tfm.dequantize (a QDQ pair) or an integer matmul}}
  %q = tfm.quantize %x : tensor<?x8xf32> to tensor<?x8x!quant.uniform<u8:f32, 0.5:128>>
  return %q : tensor<?x8x!quant.uniform<u8:f32, 0.5:128>>
}
