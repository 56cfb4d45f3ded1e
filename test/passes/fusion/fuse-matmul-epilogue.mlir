// RUN: kiln-opt %s -tfm-fuse-matmul-epilogue | FileCheck %s

// CHECK-LABEL: func.func @mlp
// CHECK: %[[U:.+]] = tfm.matmul %arg0, %arg1 bias %arg2 activation gelu :
// CHECK: %[[D:.+]] = tfm.matmul %[[U]], %arg3 bias %arg4 residual %arg0 :
// CHECK: return %[[D]]
func.func @mlp(%x: tensor<?x?x64xf32>, %w1: tensor<64x256xf32>, %b1: tensor<256xf32>, %w2: tensor<256x64xf32>, %b2: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %0 = tfm.matmul %x, %w1 : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
  %1 = tfm.add %0, %b1 : (tensor<?x?x256xf32>, tensor<256xf32>) -> tensor<?x?x256xf32>
  %2 = tfm.gelu erf %1 : tensor<?x?x256xf32>
  %3 = tfm.matmul %2, %w2 : (tensor<?x?x256xf32>, tensor<256x64xf32>) -> tensor<?x?x64xf32>
  %4 = tfm.add %3, %b2 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %5 = tfm.add %x, %4 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %5 : tensor<?x?x64xf32>
}

// GPT-2's Conv1D: the activation after the reshape back to 3-D folds into
// the 2-D matmul; a reshape with another use keeps it.
// CHECK-LABEL: func.func @conv1d
// CHECK: %[[M:.+]] = tfm.matmul %arg0, %arg1 bias %arg2 activation gelu_tanh :
// CHECK: %[[R:.+]] = tfm.reshape %[[M]]
// CHECK-NOT: tfm.gelu
// CHECK: tfm.reshape
// CHECK: tfm.gelu tanh
// CHECK: return %[[R]],
func.func @conv1d(%x: tensor<?x64xf32>, %w: tensor<64x256xf32>, %b: tensor<256xf32>, %s: tensor<3xi64>) -> (tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>) {
  %0 = tfm.matmul %x, %w bias %b : (tensor<?x64xf32>, tensor<64x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %1 = tfm.reshape %0, %s : (tensor<?x256xf32>, tensor<3xi64>) -> tensor<?x?x256xf32>
  %2 = tfm.gelu tanh %1 : tensor<?x?x256xf32>
  %3 = tfm.matmul %x, %w : (tensor<?x64xf32>, tensor<64x256xf32>) -> tensor<?x256xf32>
  %4 = tfm.reshape %3, %s : (tensor<?x256xf32>, tensor<3xi64>) -> tensor<?x?x256xf32>
  %5 = tfm.gelu tanh %4 : tensor<?x?x256xf32>
  return %2, %4, %5 : tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>
}

// Near misses: a matmul with another use; an add that would grow the result.
// CHECK-LABEL: func.func @near_misses
// CHECK: tfm.matmul %arg0, %arg1 :
// CHECK: tfm.add
// CHECK: tfm.matmul %arg0, %arg1 :
// CHECK: tfm.add
func.func @near_misses(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %big: tensor<2x4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>) {
  %0 = tfm.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = tfm.add %0, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %2 = tfm.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %3 = tfm.add %2, %big : (tensor<4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %0, %1, %3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>
}

// A quantized matmul (as MatMulNBits imports) takes the same epilogue:
// bias, activation, residual.
// CHECK-LABEL: func.func @quantized
// CHECK: tfm.quantized_matmul %arg0, %arg1, %arg2 bias %arg3 activation gelu residual %arg4 bits 4 group_size 16 lhs none
// CHECK-NOT: tfm.add
// CHECK-NOT: tfm.gelu
func.func @quantized(%x: tensor<?x16xf32>, %w: tensor<8x16xi8>, %s: tensor<8x1xf32>, %b: tensor<8xf32>, %r: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = tfm.quantized_matmul %x, %w, %s bits 4 group_size 16 lhs none : (tensor<?x16xf32>, tensor<8x16xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  %1 = tfm.add %0, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %2 = tfm.gelu erf %1 : tensor<?x8xf32>
  %3 = tfm.add %2, %r : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %3 : tensor<?x8xf32>
}
