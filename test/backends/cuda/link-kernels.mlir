// RUN: kiln-opt %s --kiln-cuda-link-kernels | FileCheck %s

// A stand-in (after bufferization) gets the tensor-core kernel's host
// function as its body, and the kernel's gpu.module joins the module.
// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @caller
// CHECK: call @kiln_cuda_mma_bf16
// CHECK-LABEL: func.func private @kiln_cuda_mma_bf16
// CHECK-NOT: kiln.gpu_kernel
// CHECK: gpu.alloc
// CHECK: gpu.launch_func @kiln_cuda_mma_bf16_kernels::@kiln_cuda_mma_bf16_kernel blocks in ({{.+}}) threads in (%c128, %c1, %c1)
// CHECK: gpu.module @kiln_cuda_mma_bf16_kernels
// CHECK: gpu.func @kiln_cuda_mma_bf16_kernel
// CHECK-COUNT-8: nvvm.mma.sync
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>
func.func @caller(%a: memref<?x?xf32>, %w: memref<?x?xi32>) -> memref<?x?xf32> {
  %n = arith.constant 3 : index
  %c = call @kiln_cuda_mma_bf16(%a, %w, %n) : (memref<?x?xf32>, memref<?x?xi32>, index) -> memref<?x?xf32>
  return %c : memref<?x?xf32>
}
func.func private @kiln_cuda_mma_bf16(%a: memref<?x?xf32>, %w: memref<?x?xi32>, %n: index) -> memref<?x?xf32> attributes {kiln.gpu_kernel = "bf16"} {
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x?xf32>
  %c = gpu.alloc (%m, %n) : memref<?x?xf32>
  return %c : memref<?x?xf32>
}
