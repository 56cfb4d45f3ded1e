// RUN: kiln-opt %s -tfm-fuse-norms -canonicalize | FileCheck %s

// BERT's layer norm at opset 14, with gamma and beta.
// CHECK-LABEL: func.func @layer_norm
// CHECK-NEXT: %[[Y:.+]] = tfm.layer_norm %arg0, %arg1, %arg2 {axis = 2 : i64, epsilon = 9.99999996E-13 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %two = tfm.constant dense<2.0> : tensor<f32>
  %eps = tfm.constant dense<1.0e-12> : tensor<f32>
  %m = tfm.reduce mean %x {axes = array<i64: 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %d = tfm.sub %x, %m : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %p = tfm.pow %d, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %v = tfm.reduce mean %p {axes = array<i64: 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %a = tfm.add %v, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %s = tfm.sqrt %a : tensor<?x?x1xf32>
  %n = tfm.div %d, %s : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %y = tfm.mul %n, %g : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %z = tfm.add %y, %b : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %z : tensor<?x?x64xf32>
}

// LLaMA's RMS norm: x * (1 / sqrt(mean(x^2) + eps)) * w.
// CHECK-LABEL: func.func @rms_norm
// CHECK-NEXT: %[[Y:.+]] = tfm.rms_norm %arg0, %arg1 {axis = 2 : i64}
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %two = tfm.constant dense<2.0> : tensor<f32>
  %eps = tfm.constant dense<1.0e-6> : tensor<f32>
  %one = tfm.constant dense<1.0> : tensor<f32>
  %p = tfm.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %v = tfm.reduce mean %p {axes = array<i64: 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %a = tfm.add %v, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %s = tfm.sqrt %a : tensor<?x?x1xf32>
  %r = tfm.div %one, %s : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = tfm.mul %x, %r : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %y = tfm.mul %w, %n : (tensor<64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// Near misses: statistics over a leading axis; a variance of another tensor.
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: tfm.layer_norm
// CHECK-NOT: tfm.rms_norm
// CHECK: return
func.func @near_misses(%x: tensor<4x64xf32>, %y: tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %two = tfm.constant dense<2.0> : tensor<f32>
  %eps = tfm.constant dense<1.0e-5> : tensor<f32>
  %m = tfm.reduce mean %x {axes = array<i64: 0>} : (tensor<4x64xf32>) -> tensor<1x64xf32>
  %d = tfm.sub %x, %m : (tensor<4x64xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
  %p = tfm.pow %d, %two : (tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>
  %v = tfm.reduce mean %p {axes = array<i64: 0>} : (tensor<4x64xf32>) -> tensor<1x64xf32>
  %a = tfm.add %v, %eps : (tensor<1x64xf32>, tensor<f32>) -> tensor<1x64xf32>
  %s = tfm.sqrt %a : tensor<1x64xf32>
  %n = tfm.div %d, %s : (tensor<4x64xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
  %p2 = tfm.pow %y, %two : (tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>
  %v2 = tfm.reduce mean %p2 {axes = array<i64: 1>} : (tensor<4x64xf32>) -> tensor<4x1xf32>
  %a2 = tfm.add %v2, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s2 = tfm.sqrt %a2 : tensor<4x1xf32>
  %n2 = tfm.div %x, %s2 : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf32>
  return %n, %n2 : tensor<4x64xf32>, tensor<4x64xf32>
}

// A norm over a dynamic last dim stays unfused (the fused op's scale is a
// static constant); it used to build a dynamically shaped constant.
// CHECK-LABEL: func.func @dynamic_normalized_dim
// CHECK-NOT: tfm.rms_norm
// CHECK: return
func.func @dynamic_normalized_dim(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %two = tfm.constant dense<2.0> : tensor<f32>
  %eps = tfm.constant dense<1.0e-6> : tensor<f32>
  %one = tfm.constant dense<1.0> : tensor<f32>
  %p = tfm.pow %x, %two : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %v = tfm.reduce mean %p {axes = array<i64: 1>} : (tensor<?x?xf32>) -> tensor<?x1xf32>
  %a = tfm.add %v, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %s = tfm.sqrt %a : tensor<?x1xf32>
  %r = tfm.div %one, %s : (tensor<f32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %n = tfm.mul %x, %r : (tensor<?x?xf32>, tensor<?x1xf32>) -> tensor<?x?xf32>
  return %n : tensor<?x?xf32>
}
