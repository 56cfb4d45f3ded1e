// RUN: kiln-opt %s -split-input-file -kiln-x86-norms | FileCheck %s

// Layer norm over the last dim calls the norm wrapper on [rows, 768] and
// reshapes back; RMS norm has its own wrapper without a bias.
// CHECK-LABEL: func.func @norms
// CHECK: %[[E:.+]] = arith.constant 9.99999996E-13 : f32
// CHECK: call @kiln_layer_norm_avx512_bias(%{{.+}}, %{{.+}}, %{{.+}}, %[[E]]) : (tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>, f32) -> tensor<?x?xf32>
// CHECK: tfm.reshape {{.*}} -> tensor<?x?x768xf32>
// CHECK: call @kiln_rms_norm_avx512(
// CHECK-NOT: tfm.layer_norm
// CHECK-NOT: tfm.rms_norm
// CHECK-LABEL: func.func private @kiln_layer_norm_avx512_bias
// CHECK: %[[RMS:.+]] = arith.constant 0 : i64
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_norm_avx512({{.*}}, %[[RMS]])
func.func @norms(%x: tensor<?x?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>) {
  %y = tfm.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-12 : f32} : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %z = tfm.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  return %y, %z : tensor<?x?x768xf32>, tensor<?x?x768xf32>
}

// -----

// Near misses keep the generic lowering: normalized over two dims, a
// dynamic last dim.
// CHECK-LABEL: func.func @generic
// CHECK: tfm.layer_norm
// CHECK: tfm.rms_norm
func.func @generic(%x: tensor<2x4x8xf32>, %g: tensor<4x8xf32>, %d: tensor<2x?xf32>, %h: tensor<?xf32>) -> (tensor<2x4x8xf32>, tensor<2x?xf32>) {
  %y = tfm.layer_norm %x, %g {axis = 1 : i64} : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
  %z = tfm.rms_norm %d, %h {axis = 1 : i64} : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  return %y, %z : tensor<2x4x8xf32>, tensor<2x?xf32>
}
