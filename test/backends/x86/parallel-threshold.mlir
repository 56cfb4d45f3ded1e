// RUN: kiln-opt %s -kiln-parallel-threshold | FileCheck %s
// RUN: kiln-opt %s -kiln-parallel-threshold=min-work=1 | FileCheck %s --check-prefix=ALL

// A small elementwise region gets a team of one unless its trip count at
// run time covers min-work / (ops per iteration); one whose iterations call
// a microkernel needs two iterations; a statically big one keeps the
// default team.
// CHECK-LABEL: func.func @regions
// CHECK: %[[MAX:.+]] = call @omp_get_max_threads() : () -> i32
// CHECK: %[[N:.+]] = arith.select %{{.+}}, %[[MAX]], %{{.+}} : i32
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK: arith.cmpi sge, %{{.+}}, %c2
// CHECK: omp.parallel num_threads
// CHECK: omp.parallel {
// CHECK: func.func private @omp_get_max_threads() -> i32
// With min-work=1 only the microkernel region keeps its check.
// ALL: omp.parallel {
// ALL: omp.parallel num_threads
// ALL: omp.parallel {
func.func private @kernel(index)
func.func @regions(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %big = arith.constant 1000000 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %f, %a[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        func.call @kernel(%i) : (index) -> ()
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%big) step (%c1) {
        memref.store %f, %a[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
