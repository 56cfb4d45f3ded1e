// RUN: kiln-opt %s --kiln-gpu-launch-parallel-loops -split-input-file -verify-diagnostics | FileCheck %s

// A 2-D loop becomes one 1-D launch over n*8 points, skipped when empty;
// each thread delinearizes its index, the last dim fastest.
// CHECK-LABEL: func.func @elementwise
// CHECK: %[[NONEMPTY:.+]] = arith.cmpi sgt, %[[TOTAL:[a-z0-9_]+]],
// CHECK: scf.if %[[NONEMPTY]]
// CHECK: %[[THREADS:.+]] = arith.minsi %[[TOTAL]], %c256
// CHECK: %[[BLOCKS:.+]] = arith.ceildivsi %[[TOTAL]], %[[THREADS]]
// CHECK: gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[BLOCKS]], {{.+}} threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%[[BDIM:.+]] = %[[THREADS]]
// CHECK: %[[BASE:.+]] = arith.muli %[[BX]], %[[BDIM]]
// CHECK: %[[LINEAR:.+]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[IN:.+]] = arith.cmpi slt, %[[LINEAR]], %[[TOTAL]]
// CHECK: scf.if %[[IN]]
// CHECK: arith.remsi %[[LINEAR]]
// CHECK: arith.divsi %[[LINEAR]]
// CHECK: memref.load
// CHECK: memref.store
// CHECK: gpu.terminator
func.func @elementwise(%a: memref<?x8xf32>, %b: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %a, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x8xf32>
    memref.store %x, %b[%i, %j] : memref<?x8xf32>
  }
  return
}

// -----

// A parallel loop nested in another runs sequentially in its thread.
// CHECK-LABEL: func.func @nested
// CHECK: gpu.launch
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: memref.store
func.func @nested(%a: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      memref.store %cst, %a[%i, %j] : memref<4x8xf32>
    }
  }
  return
}

// -----

// A serial loop nest on device memory (a full reduction) becomes a
// single-thread kernel.
// CHECK-LABEL: func.func @serial
// CHECK: gpu.launch
// CHECK-SAME: = %[[ONE:[a-z0-9_]+]], %{{.+}} = %[[ONE]], %{{.+}} = %[[ONE]]) threads
// CHECK-SAME: = %[[ONE]], %{{.+}} = %[[ONE]], %{{.+}} = %[[ONE]])
// CHECK-NEXT: scf.for
func.func @serial(%a: memref<8xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %acc = memref.load %out[] : memref<f32>
    %s = arith.addf %x, %acc : f32
    memref.store %s, %out[] : memref<f32>
  }
  return
}

// -----

// Host code may touch managed memory (shape tensors).
// CHECK-LABEL: func.func @managed
// CHECK-NOT: gpu.launch
// CHECK: memref.store
// CHECK: memref.load
func.func @managed(%n: index) -> index {
  %c0 = arith.constant 0 : index
  %m = gpu.alloc host_shared () : memref<2xindex>
  memref.store %n, %m[%c0] : memref<2xindex>
  %v = memref.load %m[%c0] : memref<2xindex>
  gpu.dealloc %m : memref<2xindex>
  return %v : index
}

// -----

// Host code may not touch device memory.
func.func @host_read(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' would access device memory from the host}}
  %x = memref.load %a[%c0] : memref<8xf32>
  return %x : f32
}

// -----

func.func @reduction(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{a parallel loop with reductions cannot run as a GPU kernel yet}}
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<8xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
