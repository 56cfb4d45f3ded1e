// RUN: kiln-opt %s --kiln-cuda-gemm | FileCheck %s

// A weight matmul becomes a call of the GEMM kernel on A flattened to
// [M, K]; a transposed weight is stored [K, N]; the epilogue stays tfm ops.
// CHECK-LABEL: func.func @linear
// CHECK-DAG: %[[W:.+]] = tfm.constant dense_resource<gemm_weight> : tensor<4x3xf32>
// CHECK: %[[WDYN:.+]] = tensor.cast %[[W]] : tensor<4x3xf32> to tensor<?x?xf32>
// CHECK: %[[FLAT:.+]] = tfm.reshape %arg0
// CHECK-SAME: -> tensor<?x4xf32>
// CHECK: %[[C:.+]] = call @kiln_cuda_sgemm(%{{.+}}, %[[WDYN]])
// CHECK: tfm.reshape
// CHECK: tfm.add
// CHECK: tfm.gelu
// CHECK-NOT: tfm.matmul
func.func @linear(%x: tensor<?x2x4xf32>, %bias: tensor<3xf32>) -> tensor<?x2x3xf32> {
  %w = tfm.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %y = tfm.matmul %x, %w bias %bias activation gelu {transpose_rhs} : (tensor<?x2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x2x3xf32>
  return %y : tensor<?x2x3xf32>
}

// The kernel: one launch of 16x16-thread blocks, each thread an 8x4 tile
// of fused multiply-adds over K, stores guarded at the edges.
// CHECK-LABEL: func.func private @kiln_cuda_sgemm
// CHECK: gpu.launch
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(
// CHECK-COUNT-32: math.fma
// CHECK: scf.if
// CHECK: memref.store
