// tfm-reparameterize-activations: RepQuant's reparameterisation on four
// channels chosen so every number is exact. Their own 8-bit parameters:
//   c0 [-1, 127/128]  s = 1/128  z = 128
//   c1 [0, 255/128]   s = 1/128  z = 0
//   c2 [-1, 191/64]   s = 1/64   z = 64
//   c3 [-2, 191/32]   s = 1/32   z = 64
// so s~ = mean(s) = 1/64, z~ = 64, r = s / s~ = (0.5, 0.5, 1, 2) and
// b = s~ (z~ - z) = (-1, 1, 0, 0): x' = x / r - b = x * (2, 2, 1, 0.5) +
// (1, -1, 0, 0), W' = diag(r) W, bias' = bias + b W' = 10 + (-0.5 + 1).
// Every channel of x' then ranges over the shared grid, [-z~ s~, (255 - z~) s~].
// Blobs: 0x, 4 alignment bytes, little-endian f32 (00000040 = 2,
// 0000803F = 1, 0000003F = 0.5, 000080BF = -1, 00002841 = 10.5).
// (headroom=1 leaves the ranges as they are; the default widens them 1.5x
// about 0: every s_c, and so s~, is 1.5x larger, the zero points the same.)
// RUN: kiln-opt %s --split-input-file --tfm-reparameterize-activations=headroom=1 | FileCheck %s
// RUN: kiln-opt %s --split-input-file --tfm-reparameterize-activations | FileCheck %s --check-prefix=HEADROOM
// RUN: not kiln-opt %s --split-input-file --tfm-reparameterize-activations=headroom=0.5 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: tfm-reparameterize-activations: headroom must be at least 1, got 5.000000e-01
// HEADROOM-LABEL: func.func @into_norm
// HEADROOM: tfm.lhs_static_scale = 2.343750e-02 : f32, tfm.lhs_static_zero_point = 64 : i64

// CHECK-LABEL: func.func @into_norm
// CHECK: %[[G:.*]] = tfm.constant dense_resource<smoothed_norm_scale> : tensor<4xf32>
// CHECK: %[[B:.*]] = tfm.constant dense_resource<smoothed_norm_bias> : tensor<4xf32>
// CHECK: %[[N:.*]] = tfm.layer_norm %arg0, %[[G]], %[[B]]
// CHECK: %[[W:.*]] = tfm.constant dense_resource<rescaled_weight> : tensor<4x1xf32>
// CHECK: %[[BIAS:.*]] = tfm.constant dense_resource<rescaled_bias> : tensor<1xf32>
// CHECK: tfm.matmul %[[N]], %[[W]] bias %[[BIAS]] {tfm.lhs_max = array<f32: 2.984375, 2.984375, 2.984375, 2.984375>, tfm.lhs_min = array<f32: -1.000000e+00, -1.000000e+00, -1.000000e+00, -1.000000e+00>, tfm.lhs_static_scale = 1.562500e-02 : f32, tfm.lhs_static_zero_point = 64 : i64}
// CHECK: smoothed_norm_scale: "0x0400000000000040000000400000803F0000003F"
// CHECK: smoothed_norm_bias: "0x040000000000803F000080BF0000000000000000"
// CHECK: rescaled_weight: "0x040000000000003F0000803F0000404000000041"
// CHECK: rescaled_bias: "0x0400000000002841"
func.func @into_norm(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
  %g = tfm.constant dense<1.0> : tensor<4xf32>
  %n = tfm.layer_norm %x, %g {axis = 1 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %w = tfm.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %bias = tfm.constant dense<10.0> : tensor<1xf32>
  %y = tfm.matmul %n, %w bias %bias {tfm.lhs_min = array<f32: -1.0, 0.0, -1.0, -2.0>, tfm.lhs_max = array<f32: 0.9921875, 1.9921875, 2.984375, 5.96875>} : (tensor<?x4xf32>, tensor<4x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// The same ranges on a norm output that is also a residual (as in BERT),
// with no bias: explicit multiply and add before the matmul only, and a
// new bias b W' = 0.5.
// CHECK-LABEL: func.func @explicit
// CHECK: %[[N:.*]] = tfm.layer_norm %arg0
// CHECK: %[[M:.*]] = tfm.mul %[[N]], %{{.*}}
// CHECK: %[[A:.*]] = tfm.add %[[M]], %{{.*}}
// CHECK: tfm.matmul %[[A]], %{{.*}} bias %{{.*}} {
// CHECK: tfm.add %[[N]], %arg0
// CHECK: channel_scale: "0x0400000000000040000000400000803F0000003F"
// CHECK: channel_shift: "0x040000000000803F000080BF0000000000000000"
// CHECK: rescaled_bias: "0x040000000000003F"
func.func @explicit(%x: tensor<?x4xf32>) -> (tensor<?x1xf32>, tensor<?x4xf32>) {
  %g = tfm.constant dense<1.0> : tensor<4xf32>
  %n = tfm.layer_norm %x, %g {axis = 1 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %w = tfm.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %y = tfm.matmul %n, %w {tfm.lhs_min = array<f32: -1.0, 0.0, -1.0, -2.0>, tfm.lhs_max = array<f32: 0.9921875, 1.9921875, 2.984375, 5.96875>} : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  %r = tfm.add %n, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y, %r : tensor<?x1xf32>, tensor<?x4xf32>
}

// -----

// Any other input (a GELU output) keeps its values: one grid for the
// tensor, [-2, 5.96875] (not widened): scale 7.96875 / 255 = 1/32, zero
// point 64.
// CHECK-LABEL: func.func @per_tensor
// CHECK: %[[X:.*]] = tfm.gelu erf %arg0
// CHECK-NOT: tfm.mul
// CHECK: tfm.matmul %[[X]], %cst {tfm.lhs_max = {{.*}}, tfm.lhs_static_scale = 3.125000e-02 : f32, tfm.lhs_static_zero_point = 64 : i64}
// HEADROOM-LABEL: func.func @per_tensor
// HEADROOM: tfm.lhs_static_scale = 3.125000e-02 : f32, tfm.lhs_static_zero_point = 64 : i64
func.func @per_tensor(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
  %a = tfm.gelu erf %x : tensor<?x4xf32>
  %w = tfm.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %y = tfm.matmul %a, %w {tfm.lhs_min = array<f32: -1.0, 0.0, -1.0, -2.0>, tfm.lhs_max = array<f32: 0.9921875, 1.9921875, 2.984375, 5.96875>} : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}
