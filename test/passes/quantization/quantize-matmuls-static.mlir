// tfm-quantize-matmuls scheme=w8a8-static: the activations' scale and zero
// point are fixed at compile time: the reparameterisation's when the
// matmul has them, else from its calibrated range widened to hold 0
// (here [-1, 3]: scale 4/255, zero point round(63.75) = 64). The
// calibration attributes do not survive onto the quantized op; a matmul
// without any is an error naming it.
// RUN: kiln-opt %s --split-input-file --verify-diagnostics --tfm-quantize-matmuls=scheme=w8a8-static | FileCheck %s

// CHECK-LABEL: func.func @reparameterized
// CHECK: tfm.quantized_matmul %arg0, %{{.*}}, %{{.*}} bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 1.562500e-02 : f32, lhs_zero_point = 64 : i64, tfm.name = "fc"} :
func.func @reparameterized(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = tfm.constant dense<[[4.0], [1.0]]> : tensor<2x1xf32>
  %y = tfm.matmul %x, %w {tfm.name = "fc", tfm.lhs_min = array<f32: -1.0, -1.0>, tfm.lhs_max = array<f32: 3.0, 3.0>, tfm.lhs_static_scale = 0.015625 : f32, tfm.lhs_static_zero_point = 64 : i64} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @from_range
// CHECK: tfm.quantized_matmul {{.*}} lhs per_tensor_static {lhs_scale = 0.0156862754 : f32, lhs_zero_point = 64 : i64} :
func.func @from_range(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = tfm.constant dense<[[4.0], [1.0]]> : tensor<2x1xf32>
  %y = tfm.matmul %x, %w {tfm.lhs_min = array<f32: -1.0, 0.5>, tfm.lhs_max = array<f32: 2.0, 3.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

func.func @uncalibrated(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = tfm.constant dense<[[4.0], [1.0]]> : tensor<2x1xf32>
  // expected-error @+1 {{has no calibrated input range for w8a8-static (kiln compile --calibration, from kiln calibrate)}}
  %y = tfm.matmul %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}
