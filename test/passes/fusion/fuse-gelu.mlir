// RUN: kiln-opt %s -tfm-fuse-gelu -canonicalize | FileCheck %s

// The erf form as PyTorch exports it: (x * (erf(x / sqrt 2) + 1)) * 0.5.
// CHECK-LABEL: func.func @erf_form
// CHECK-NEXT: %[[G:.+]] = tfm.gelu erf %arg0 : tensor<?x256xf32>
// CHECK-NEXT: return %[[G]]
func.func @erf_form(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %sqrt2 = tfm.constant dense<1.41421354> : tensor<f32>
  %one = tfm.constant dense<1.0> : tensor<f32>
  %half = tfm.constant dense<0.5> : tensor<f32>
  %0 = tfm.div %x, %sqrt2 : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %1 = tfm.erf %0 : tensor<?x256xf32>
  %2 = tfm.add %1, %one : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %3 = tfm.mul %x, %2 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %4 = tfm.mul %3, %half : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  return %4 : tensor<?x256xf32>
}

// The tanh form of GPT-2: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).
// CHECK-LABEL: func.func @tanh_form
// CHECK-NEXT: %[[G:.+]] = tfm.gelu tanh %arg0
// CHECK-NEXT: return %[[G]]
func.func @tanh_form(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %three = tfm.constant dense<3.0> : tensor<f32>
  %c = tfm.constant dense<0.044715> : tensor<f32>
  %k = tfm.constant dense<0.797884583> : tensor<f32>
  %one = tfm.constant dense<1.0> : tensor<f32>
  %half = tfm.constant dense<0.5> : tensor<f32>
  %0 = tfm.pow %x, %three : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %1 = tfm.mul %c, %0 : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %2 = tfm.add %x, %1 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %3 = tfm.mul %k, %2 : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %4 = tfm.tanh %3 : tensor<?x256xf32>
  %5 = tfm.add %one, %4 : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %6 = tfm.mul %half, %x : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %7 = tfm.mul %6, %5 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  return %7 : tensor<?x256xf32>
}

// Near misses: another constant than sqrt 2, and erf of another tensor.
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: tfm.gelu
// CHECK: return
func.func @near_misses(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %two = tfm.constant dense<2.0> : tensor<f32>
  %one = tfm.constant dense<1.0> : tensor<f32>
  %half = tfm.constant dense<0.5> : tensor<f32>
  %0 = tfm.div %x, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = tfm.erf %0 : tensor<8xf32>
  %2 = tfm.add %1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = tfm.mul %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = tfm.mul %3, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %sqrt2 = tfm.constant dense<1.41421354> : tensor<f32>
  %5 = tfm.div %y, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %6 = tfm.erf %5 : tensor<8xf32>
  %7 = tfm.add %6, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %8 = tfm.mul %x, %7 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %9 = tfm.mul %8, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %4, %9 : tensor<8xf32>, tensor<8xf32>
}
