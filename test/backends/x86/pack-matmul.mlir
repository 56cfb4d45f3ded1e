// RUN: kiln-opt %s -kiln-x86-pack-matmul | FileCheck %s

// A matmul by a weight constant calls the packed GEMM kernel on [M, K]; the
// weight is packed into ceil(N/32) panels of [K, 32]; the epilogue stays as
// tfm elementwise ops; the unpacked weight is gone.
// CHECK-LABEL: func.func @linear
// CHECK-NOT: dense<5.000000e-01> : tensor<16x40xf32>
// CHECK: %[[W:.+]] = tfm.constant dense_resource<packed_weight{{.*}}> : tensor<2x16x32xf32>
// CHECK: %[[A:.+]] = tfm.reshape %arg0, %{{.+}} : (tensor<?x?x16xf32>, tensor<2xi64>) -> tensor<?x16xf32>
// CHECK: %[[C:.+]] = call @kiln_sgemm_packed(%{{.+}}, %{{.+}}, %{{.+}}) : (tensor<?x?xf32>, tensor<?x?x32xf32>, index) -> tensor<?x?xf32>
// CHECK: tfm.reshape {{.*}} -> tensor<?x?x40xf32>
// CHECK: tfm.add {{.*}} -> tensor<?x?x40xf32>
// CHECK: tfm.gelu tanh
func.func @linear(%x: tensor<?x?x16xf32>, %b: tensor<40xf32>) -> tensor<?x?x40xf32> {
  %w = tfm.constant dense<0.5> : tensor<16x40xf32>
  %y = tfm.matmul %x, %w bias %b activation gelu_tanh : (tensor<?x?x16xf32>, tensor<16x40xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}

// Near misses stay matmuls: a computed rhs, a transposed lhs.
// CHECK-LABEL: func.func @activations
// CHECK-COUNT-2: tfm.matmul
func.func @activations(%q: tensor<?x8xf32>, %k: tensor<8x?xf32>, %w: tensor<8x4xf32>) -> (tensor<?x?xf32>, tensor<4x4xf32>) {
  %s = tfm.matmul %q, %k : (tensor<?x8xf32>, tensor<8x?xf32>) -> tensor<?x?xf32>
  %c = tfm.constant dense<1.0> : tensor<8x4xf32>
  %t = tfm.matmul %w, %c {transpose_lhs} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %s, %t : tensor<?x?xf32>, tensor<4x4xf32>
}

// The kernel is added to the module once.
// CHECK-LABEL: func.func private @kiln_sgemm_packed
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK: vector.maskedstore
