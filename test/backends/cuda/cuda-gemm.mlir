// RUN: kiln-opt %s --kiln-cuda-gemm | FileCheck %s
// RUN: kiln-opt %s --kiln-cuda-gemm=precision=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not kiln-opt %s --kiln-cuda-gemm=precision=fp8 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: unknown precision 'fp8' (use fp32, bf16 or fp16)

// With tensor cores the weight is packed [N, ceil(K/16)*8] i32 words of two
// bf16 halves, and the call goes to a stand-in that kiln-cuda-link-kernels
// later replaces.
// BF16-LABEL: func.func @linear
// BF16: %[[W:.+]] = tfm.constant dense_resource<gemm_weight_bf16> : tensor<3x8xi32>
// BF16: %[[WDYN:.+]] = tensor.cast %[[W]] : tensor<3x8xi32> to tensor<?x?xi32>
// BF16: call @kiln_cuda_mma_bf16(%{{.+}}, %[[WDYN]], %{{.+}})
// BF16-LABEL: func.func private @kiln_cuda_mma_bf16
// BF16-SAME: attributes {kiln.gpu_kernel = "bf16"}
// BF16: tensor.empty

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
