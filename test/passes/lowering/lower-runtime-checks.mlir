// RUN: kiln-opt %s -kiln-lower-runtime-checks | FileCheck %s

// Each check becomes a branch calling the runtime when its condition is
// false; the message is a printf format in a global ('%' doubled, the
// placeholders %lld), one global per distinct message, and missing values
// pass 0.
// CHECK-DAG: func.func private @kiln_rt_check_failed(!llvm.ptr, i64, i64)
// CHECK-DAG: llvm.mlir.global internal constant @kiln_check_0("size %lld is not %lld (100%%)\00")
// CHECK-DAG: llvm.mlir.global internal constant @kiln_check_1("no values\00")
// CHECK-NOT: llvm.mlir.global
// CHECK-LABEL: func.func @checks
// CHECK: %[[FAILED:.+]] = arith.xori %arg0, %true
// CHECK: scf.if %[[FAILED]] {
// CHECK:   %[[F:.+]] = llvm.mlir.addressof @kiln_check_0
// CHECK:   %[[A:.+]] = arith.index_cast %arg1 : index to i64
// CHECK:   %[[B:.+]] = arith.index_cast %arg2 : index to i64
// CHECK:   func.call @kiln_rt_check_failed(%[[F]], %[[A]], %[[B]])
// CHECK: llvm.mlir.addressof @kiln_check_0
// CHECK: llvm.mlir.addressof @kiln_check_1
// CHECK: %[[Z:.+]] = arith.constant 0 : i64
// CHECK: func.call @kiln_rt_check_failed(%{{.+}}, %[[Z]], %{{.+}})
// CHECK-NOT: tfm.runtime_check
func.func @checks(%ok: i1, %a: index, %b: index) {
  tfm.runtime_check %ok, "size {0} is not {1} (100%)"(%a, %b : index, index)
  tfm.runtime_check %ok, "size {0} is not {1} (100%)"(%b, %a : index, index)
  tfm.runtime_check %ok, "no values"
  return
}
