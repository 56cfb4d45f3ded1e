// kiln-opt carries what the CUDA backend builds on: the gpu and nvvm
// dialects, the NVVM target and its serialization to PTX through LLVM's
// NVPTX backend, in process (no CUDA toolkit needed to emit PTX).
// RUN: kiln-opt %s --pass-pipeline="builtin.module(nvvm-attach-target{chip=sm_80}, gpu.module(convert-gpu-to-nvvm), reconcile-unrealized-casts, gpu-module-to-binary{format=isa})" | FileCheck %s --check-prefix=SM80
// RUN: kiln-opt %s --pass-pipeline="builtin.module(nvvm-attach-target{chip=sm_90}, gpu.module(convert-gpu-to-nvvm), reconcile-unrealized-casts, gpu-module-to-binary{format=isa})" | FileCheck %s --check-prefix=SM90
// SM80: gpu.binary @kernels
// SM80-SAME: .target sm_80
// SM80-SAME: .visible .entry scale
// SM90: .target sm_90
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @scale(%x: memref<?xf32>, %s: f32) kernel {
      %i = gpu.thread_id x
      %v = memref.load %x[%i] : memref<?xf32>
      %y = arith.mulf %v, %s : f32
      memref.store %y, %x[%i] : memref<?xf32>
      gpu.return
    }
  }
}
