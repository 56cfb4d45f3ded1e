// RUN: kiln-opt %s -kiln-serialize-nested-parallel | FileCheck %s

// The outer parallel loop stays (it becomes the OpenMP loop); the one
// nested under the reduction loop becomes a sequential scf.for.
// CHECK-LABEL: func.func @nest
// CHECK: scf.parallel (%[[I:.+]]) =
// CHECK: scf.for %[[K:.+]] =
// CHECK: scf.for %[[J:.+]] =
// CHECK: memref.load %arg0[%[[I]], %[[K]]]
// CHECK-NOT: scf.parallel
func.func @nest(%a: memref<?x?xf32>, %c: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    scf.for %k = %c0 to %n step %c1 {
      scf.parallel (%j) = (%c0) to (%n) step (%c1) {
        %v = memref.load %a[%i, %k] : memref<?x?xf32>
        memref.store %v, %c[%i, %j] : memref<?x?xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}
