// RUN: kiln-opt %s -split-input-file -kiln-x86-pack-matmul | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-x86-pack-matmul=isa=avx2 | FileCheck %s --check-prefix=AVX2

// A matmul by a weight constant calls the GEMM wrapper on [M, K]; the weight
// is packed into ceil(N/32) panels of [K, 32] (avx2: ceil(N/16) of [K, 16]);
// bias [N] and activation are fused into the kernel; the unpacked weight is
// gone.
// CHECK-LABEL: func.func @linear
// CHECK-NOT: dense<5.000000e-01> : tensor<16x40xf32>
// CHECK: %[[W:.+]] = tfm.constant dense_resource<packed_weight{{.*}}> : tensor<2x16x32xf32>
// CHECK: tfm.reshape %arg0, %{{.+}} : (tensor<?x?x16xf32>, tensor<2xi64>) -> tensor<?x16xf32>
// CHECK: call @kiln_sgemm_avx512_bias_act3(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (tensor<?x?xf32>, tensor<?x?x32xf32>, index, tensor<?xf32>) -> tensor<?x?xf32>
// CHECK: tfm.reshape {{.*}} -> tensor<?x?x40xf32>
// CHECK-NOT: tfm.add
// CHECK-NOT: tfm.gelu
// CHECK: return
// The wrapper: parallel blocks, each a microkernel call with activation 3.
// CHECK-LABEL: func.func private @kiln_sgemm_avx512_bias_act3
// CHECK: %[[ACT:.+]] = arith.constant 3 : i64
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_sgemm_avx512({{.*}}, %[[ACT]])
// AVX2-LABEL: func.func @linear
// AVX2: tensor<3x16x16xf32>
// AVX2: call @kiln_sgemm_avx2_bias_act3
func.func @linear(%x: tensor<?x?x16xf32>, %b: tensor<40xf32>) -> tensor<?x?x40xf32> {
  %w = tfm.constant dense<0.5> : tensor<16x40xf32>
  %y = tfm.matmul %x, %w bias %b activation gelu_tanh : (tensor<?x?x16xf32>, tensor<16x40xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}

// -----

// A residual of the result's type is fused, guarded by a run-time check of
// its row count (a dynamic dim could still broadcast); the fallback calls
// the unfused kernel and adds it as a tfm op. One microkernel declaration
// serves both wrappers.
// CHECK-LABEL: func.func @residual
// CHECK: scf.if
// CHECK: call @kiln_sgemm_avx512_res
// CHECK: else
// CHECK: call @kiln_sgemm_avx512(
// CHECK: tfm.add
// CHECK-COUNT-1: func.func private @kiln_uk_sgemm_avx512(
func.func @residual(%x: tensor<?x16xf32>, %r: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %w = tfm.constant dense<0.5> : tensor<16x40xf32>
  %y = tfm.matmul %x, %w residual %r : (tensor<?x16xf32>, tensor<16x40xf32>, tensor<?x40xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// -----

// A bias that is not [N] stays a tfm op, and so does the activation after
// it; a static residual is fused without a guard.
// CHECK-LABEL: func.func @unfused_bias
// CHECK-NOT: scf.if
// CHECK: call @kiln_sgemm_avx512(
// CHECK: tfm.add
// CHECK: tfm.relu
// CHECK: tfm.add
func.func @unfused_bias(%x: tensor<4x16xf32>, %b: tensor<4x40xf32>, %r: tensor<4x40xf32>) -> tensor<4x40xf32> {
  %w = tfm.constant dense<0.5> : tensor<16x40xf32>
  %y = tfm.matmul %x, %w bias %b activation relu residual %r : (tensor<4x16xf32>, tensor<16x40xf32>, tensor<4x40xf32>, tensor<4x40xf32>) -> tensor<4x40xf32>
  return %y : tensor<4x40xf32>
}

// -----

// Near misses stay matmuls: a computed rhs, a transposed lhs.
// CHECK-LABEL: func.func @activations
// CHECK-COUNT-2: tfm.matmul
func.func @activations(%q: tensor<?x8xf32>, %k: tensor<8x?xf32>, %w: tensor<8x4xf32>) -> (tensor<?x?xf32>, tensor<4x4xf32>) {
  %s = tfm.matmul %q, %k : (tensor<?x8xf32>, tensor<8x?xf32>) -> tensor<?x?xf32>
  %c = tfm.constant dense<1.0> : tensor<8x4xf32>
  %t = tfm.matmul %w, %c {transpose_lhs} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %s, %t : tensor<?x?xf32>, tensor<4x4xf32>
}

// -----

// A patch-embedding convolution (stride = kernel, no padding) becomes a
// weight matmul on the image cut into patches: [N, 3, 4x8, 4x8] ->
// [N*16, 3*8*8] x W^T [4, 192] + bias -> [N, 4, 4, 4] -> [N, 4, 4, 4].
// CHECK-LABEL: func.func @patches
// CHECK-NOT: tfm.conv
// CHECK: tfm.reshape %arg0, %{{.+}} -> tensor<?x3x4x8x4x8xf32>
// CHECK: tfm.transpose {{.*}}permutation = array<i64: 0, 2, 4, 1, 3, 5>
// CHECK: call @kiln_sgemm_avx512_bias(
// CHECK: tfm.transpose {{.*}}permutation = array<i64: 0, 3, 1, 2>
// A strided conv with padding stays a conv.
// CHECK-LABEL: func.func @padded
// CHECK: tfm.conv
func.func @patches(%x: tensor<?x3x32x32xf32>, %b: tensor<4xf32>) -> tensor<?x4x4x4xf32> {
  %w = tfm.constant dense<0.25> : tensor<4x3x8x8xf32>
  %y = tfm.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 8, 8>} : (tensor<?x3x32x32xf32>, tensor<4x3x8x8xf32>, tensor<4xf32>) -> tensor<?x4x4x4xf32>
  return %y : tensor<?x4x4x4xf32>
}
func.func @padded(%x: tensor<?x3x32x32xf32>) -> tensor<?x4x5x5xf32> {
  %w = tfm.constant dense<0.25> : tensor<4x3x8x8xf32>
  %y = tfm.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 4, 4, 4, 4>, strides = array<i64: 8, 8>} : (tensor<?x3x32x32xf32>, tensor<4x3x8x8xf32>) -> tensor<?x4x5x5xf32>
  return %y : tensor<?x4x5x5xf32>
}
