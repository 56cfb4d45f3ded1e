// RUN: kiln-opt %s -split-input-file -kiln-outline-parallel-loops | FileCheck %s

// Each outermost parallel loop of a function with several moves into a
// function of its own; what it uses from above (a memref, a dynamic bound)
// becomes an argument, constants are cloned in, results are returned. The
// nested loop moves with its parent.
// CHECK-LABEL: func.func @graph(
// CHECK-SAME: %[[A:.+]]: memref<?xf32>, %[[N:[a-z0-9]+]]: index) -> f32
// CHECK: call @graph_parallel_0(%[[N]], %[[A]]) : (index, memref<?xf32>) -> ()
// CHECK: %[[R:.+]] = call @graph_parallel_1(%[[N]], %[[A]]) : (index, memref<?xf32>) -> f32
// CHECK-NOT: scf.parallel
// CHECK: return %[[R]]
// CHECK: func.func private @graph_parallel_0(%[[N0:.+]]: index, %[[A0:.+]]: memref<?xf32>) attributes {passthrough = ["noinline"]}
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 2.000000e+00 : f32
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: func.func private @graph_parallel_1({{.*}}) -> f32
// CHECK: scf.reduce
// CHECK: return %{{.+}} : f32
func.func @graph(%a: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c1) step (%c1) {
      memref.store %two, %a[%i] : memref<?xf32>
      scf.reduce
    }
    scf.reduce
  }
  %s = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<?xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %y = arith.addf %l, %r : f32
      scf.reduce.return %y : f32
    }
  }
  return %s : f32
}

// -----

// A function with a single parallel loop (a kernel wrapper) stays as is.
// CHECK-LABEL: func.func @wrapper
// CHECK: scf.parallel
// CHECK-NOT: call
func.func @wrapper(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %two, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
