// RUN: kiln-opt %s -split-input-file -kiln-merge-identical-functions | FileCheck %s

// Two layers' outlined loops with the same body become one function; the
// segments calling them then differ in nothing and merge in the next round.
// A body with another constant, and a public function, stay.
// CHECK-LABEL: func.func @graph(
// CHECK: call @graph_segment_0(
// CHECK: call @graph_segment_0(
// CHECK: call @graph_parallel_2(
// CHECK: call @graph_parallel_3(
// CHECK: func.func private @graph_segment_0(
// CHECK: call @graph_parallel_0(
// CHECK-NOT: func.func private @graph_segment_1
// CHECK: func.func private @graph_parallel_0(
// CHECK-NOT: func.func private @graph_parallel_1(
// CHECK: func.func private @graph_parallel_2(
// CHECK: arith.constant 3.0
// CHECK: func.func @graph_parallel_3(
func.func @graph(%m: memref<4xf32>) {
  call @graph_segment_0(%m) : (memref<4xf32>) -> ()
  call @graph_segment_1(%m) : (memref<4xf32>) -> ()
  call @graph_parallel_2(%m) : (memref<4xf32>) -> ()
  call @graph_parallel_3(%m) : (memref<4xf32>) -> ()
  return
}
func.func private @graph_segment_0(%m: memref<4xf32>) attributes {passthrough = ["noinline"]} {
  call @graph_parallel_0(%m) : (memref<4xf32>) -> ()
  return
}
func.func private @graph_segment_1(%m: memref<4xf32>) attributes {passthrough = ["noinline"]} {
  call @graph_parallel_1(%m) : (memref<4xf32>) -> ()
  return
}
func.func private @graph_parallel_0(%m: memref<4xf32>) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %x = memref.load %m[%i] : memref<4xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %m[%i] : memref<4xf32>
  }
  return
}
func.func private @graph_parallel_1(%m: memref<4xf32>) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %x = memref.load %m[%i] : memref<4xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %m[%i] : memref<4xf32>
  }
  return
}
func.func private @graph_parallel_2(%m: memref<4xf32>) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 3.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %x = memref.load %m[%i] : memref<4xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %m[%i] : memref<4xf32>
  }
  return
}
func.func @graph_parallel_3(%m: memref<4xf32>) attributes {passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %x = memref.load %m[%i] : memref<4xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %m[%i] : memref<4xf32>
  }
  return
}

// -----

// The same body wired differently (operands swapped) is not the same function.
// CHECK-LABEL: func.func @wiring(
// CHECK: call @wiring_0(
// CHECK: call @wiring_1(
func.func @wiring(%a: f32, %b: f32) -> (f32, f32) {
  %x = call @wiring_0(%a, %b) : (f32, f32) -> f32
  %y = call @wiring_1(%a, %b) : (f32, f32) -> f32
  return %x, %y : f32, f32
}
func.func private @wiring_0(%a: f32, %b: f32) -> f32 {
  %x = arith.subf %a, %b : f32
  return %x : f32
}
func.func private @wiring_1(%a: f32, %b: f32) -> f32 {
  %x = arith.subf %b, %a : f32
  return %x : f32
}

// -----

// Two layers' checks differ only in their message (a global naming the
// layer's node): the addresses become arguments, the bodies merge, and
// each call passes its own message.
// CHECK-LABEL: func.func @checks(
// CHECK: %[[M0:.+]] = llvm.mlir.addressof @message_0
// CHECK: call @checks_0(%{{.+}}, %[[M0]]) : (i1, !llvm.ptr) -> ()
// CHECK: %[[M1:.+]] = llvm.mlir.addressof @message_1
// CHECK: call @checks_0(%{{.+}}, %[[M1]]) : (i1, !llvm.ptr) -> ()
// CHECK: func.func private @checks_0(%[[C:.+]]: i1, %[[M:.+]]: !llvm.ptr)
// CHECK: scf.if %[[C]]
// CHECK-NEXT: call @fail(%[[M]])
// CHECK-NOT: func.func private @checks_1
llvm.mlir.global internal constant @message_0("layer 0\00")
llvm.mlir.global internal constant @message_1("layer 1\00")
func.func private @fail(!llvm.ptr)
func.func @checks(%c: i1) {
  call @checks_0(%c) : (i1) -> ()
  call @checks_1(%c) : (i1) -> ()
  return
}
func.func private @checks_0(%c: i1) {
  scf.if %c {
    %m = llvm.mlir.addressof @message_0 : !llvm.ptr
    func.call @fail(%m) : (!llvm.ptr) -> ()
  }
  return
}
func.func private @checks_1(%c: i1) {
  scf.if %c {
    %m = llvm.mlir.addressof @message_1 : !llvm.ptr
    func.call @fail(%m) : (!llvm.ptr) -> ()
  }
  return
}
