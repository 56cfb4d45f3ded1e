// tfm-smooth-activations: SmoothQuant's s_j = max|x_j|^alpha / max|W_j|^(1-alpha)
// (alpha 0.5), checked in the blobs (0x, 4 alignment bytes, then the
// little-endian f32 data: 0000003F = 0.5, 0000803F = 1, 00000041 = 8).
// x ranges over [-16, 16] and [-1, 1]; W's rows peak at 4 and 1: s = (2, 1).
// RUN: kiln-opt %s --split-input-file --tfm-smooth-activations | FileCheck %s
// RUN: kiln-opt %s --split-input-file --tfm-smooth-activations=alpha=0 | FileCheck %s --check-prefix=ALPHA0
// RUN: not kiln-opt %s --split-input-file --tfm-smooth-activations=alpha=1.5 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: kiln-opt %s --split-input-file --tfm-smooth-activations --tfm-quantize-matmuls=scheme=w8a8 | FileCheck %s --check-prefix=QUANT

// BAD: tfm-smooth-activations: alpha must be in [0, 1], got 1.5

// The norm's only user is the matmul: 1 / s folds into its scale and bias.
// CHECK-LABEL: func.func @into_norm
// CHECK: %[[G:.*]] = tfm.constant dense_resource<smoothed_norm_scale> : tensor<2xf32>
// CHECK: %[[B:.*]] = tfm.constant dense_resource<smoothed_norm_bias> : tensor<2xf32>
// CHECK: %[[N:.*]] = tfm.layer_norm %arg0, %[[G]], %[[B]]
// CHECK: %[[W:.*]] = tfm.constant dense_resource<rescaled_weight> : tensor<2x1xf32>
// CHECK: tfm.matmul %[[N]], %[[W]] {tfm.lhs_max = array<f32: 8.000000e+00, 1.000000e+00>, tfm.lhs_min = array<f32: -8.000000e+00, -1.000000e+00>}
// CHECK-NOT: tfm.mul
// CHECK: smoothed_norm_scale: "0x040000000000003F0000803F"
// CHECK: smoothed_norm_bias: "0x040000000000803F00000040"
// CHECK: rescaled_weight: "0x04000000000000410000803F"
// alpha = 0 moves everything: s = 1 / max|W_j| = (0.25, 1).
// ALPHA0-LABEL: func.func @into_norm
// ALPHA0: rescaled_weight: "0x040000000000803F0000803F"
func.func @into_norm(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %g = tfm.constant dense<1.0> : tensor<2xf32>
  %b = tfm.constant dense<2.0> : tensor<2xf32>
  %n = tfm.layer_norm %x, %g, %b {axis = 1 : i64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %w = tfm.constant dense<[[4.0], [1.0]]> : tensor<2x1xf32>
  %y = tfm.matmul %n, %w {tfm.lhs_min = array<f32: -16.0, -1.0>, tfm.lhs_max = array<f32: 16.0, 1.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// The norm's output is also a residual (as in BERT): the norm stays, an
// explicit multiply by 1 / s feeds the matmul only. A matmul without a
// calibrated range is left alone.
// CHECK-LABEL: func.func @explicit
// CHECK: %[[N:.*]] = tfm.layer_norm %arg0, %cst, %cst_0
// CHECK: %[[C:.*]] = tfm.constant dense_resource<channel_scale> : tensor<2xf32>
// CHECK: %[[X:.*]] = tfm.mul %[[N]], %[[C]]
// CHECK: tfm.matmul %[[X]], %{{.*}} {tfm.lhs_max
// CHECK: %[[R:.*]] = tfm.add %[[N]]
// CHECK: tfm.matmul %[[R]], %{{[a-z_0-9]*}} : (
// CHECK: channel_scale: "0x040000000000003F0000803F"
func.func @explicit(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %g = tfm.constant dense<1.0> : tensor<2xf32>
  %b = tfm.constant dense<2.0> : tensor<2xf32>
  %n = tfm.layer_norm %x, %g, %b {axis = 1 : i64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %w = tfm.constant dense<[[4.0], [1.0]]> : tensor<2x1xf32>
  %y = tfm.matmul %n, %w {tfm.lhs_min = array<f32: -16.0, -1.0>, tfm.lhs_max = array<f32: 16.0, 1.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %r = tfm.add %n, %x : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %w2 = tfm.constant dense<[[3.0], [1.0]]> : tensor<2x1xf32>
  %z = tfm.matmul %r, %w2 : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y, %z : tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Matmuls sharing an input share s, from the largest weight row of all
// (here 4 from the second): s = (2, 1); an rms_norm takes 1 / s.
// CHECK-LABEL: func.func @shared
// CHECK: %[[G:.*]] = tfm.constant dense_resource<smoothed_norm_scale>
// CHECK: %[[N:.*]] = tfm.rms_norm %arg0, %[[G]]
// CHECK: tfm.matmul %[[N]]
// CHECK: tfm.matmul %[[N]]
// CHECK: smoothed_norm_scale: "0x040000000000003F0000803F"
// CHECK: rescaled_weight: "0x04000000000000400000803F"
// CHECK: rescaled_weight_1: "0x04000000000000410000003F"
func.func @shared(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %g = tfm.constant dense<1.0> : tensor<2xf32>
  %n = tfm.rms_norm %x, %g {axis = 1 : i64} : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %w1 = tfm.constant dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %w2 = tfm.constant dense<[[4.0], [0.5]]> : tensor<2x1xf32>
  %y = tfm.matmul %n, %w1 {tfm.lhs_min = array<f32: -16.0, -1.0>, tfm.lhs_max = array<f32: 16.0, 1.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %z = tfm.matmul %n, %w2 {tfm.lhs_min = array<f32: -16.0, -1.0>, tfm.lhs_max = array<f32: 16.0, 1.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y, %z : tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// After smoothing, w8a8 takes the explicit multiply into its quantizer
// (channel_scale) and the multiply goes.
// QUANT-LABEL: func.func @into_quantizer
// QUANT: %[[N:.*]] = tfm.layer_norm
// QUANT-NOT: tfm.mul
// QUANT: tfm.quantized_matmul %[[N]], %{{.*}}, %{{.*}} channel_scale %{{.*}} bits 8 group_size 0 lhs per_token
// QUANT: tfm.add %[[N]]
func.func @into_quantizer(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x2xf32>) {
  %g = tfm.constant dense<1.0> : tensor<2xf32>
  %b = tfm.constant dense<2.0> : tensor<2xf32>
  %n = tfm.layer_norm %x, %g, %b {axis = 1 : i64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %w = tfm.constant dense<[[4.0], [1.0]]> : tensor<2x1xf32>
  %y = tfm.matmul %n, %w {tfm.lhs_min = array<f32: -16.0, -1.0>, tfm.lhs_max = array<f32: 16.0, 1.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %r = tfm.add %n, %x : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y, %r : tensor<?x1xf32>, tensor<?x2xf32>
}
