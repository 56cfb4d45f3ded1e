// RUN: kiln-opt %s --kiln-gpu-emulate-on-host -split-input-file -verify-diagnostics | FileCheck %s

// A launch becomes a parallel loop over blocks then threads; ids are the
// loop indices and dims the launch sizes. GPU memory ops become memref ops.
// CHECK-LABEL: func.func @scale
// CHECK-SAME: (%[[N:.+]]: index,
// CHECK: %[[M:.+]] = memref.alloc(%[[N]])
// CHECK: memref.copy %{{.+}}, %[[M]]
// CHECK: scf.parallel (%[[BX:.+]], %{{.+}}, %{{.+}}, %[[TX:.+]], %{{.+}}, %{{.+}}) = {{.+}} to (%[[N]], %c1, %c1, %c256, %c1, %c1)
// CHECK: %[[BASE:.+]] = arith.muli %[[BX]], %c256
// CHECK: arith.addi %[[BASE]], %[[TX]]
// CHECK-NOT: gpu.
// CHECK: memref.dealloc %[[M]]
func.func @scale(%n: index, %host: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %m = gpu.alloc (%n) : memref<?xf32>
  gpu.memcpy %m, %host : memref<?xf32>, memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %i = arith.muli %bx, %sx : index
    %j = arith.addi %i, %tx : index
    %v = memref.load %m[%j] : memref<?xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %m[%j] : memref<?xf32>
    gpu.terminator
  }
  gpu.dealloc %m : memref<?xf32>
  return
}

// -----

// Threads that synchronize cannot run one after another.
func.func @barrier() {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{this kernel cannot be emulated on the host}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}
