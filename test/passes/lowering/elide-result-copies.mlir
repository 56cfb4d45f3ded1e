// RUN: kiln-opt %s -split-input-file -kiln-elide-result-copies | FileCheck %s

// A result computed in a fresh buffer and copied into the buffer
// kiln-own-results gave it: the computed buffer is returned, the copy goes.
// CHECK-LABEL: func.func @fresh
// CHECK: %[[A:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64}
// CHECK: linalg.fill {{.*}} outs(%[[A]]
// CHECK-NOT: memref.copy
// CHECK: return %[[A]]
func.func @fresh(%n: index) -> memref<?x4xf32> {
  %f = arith.constant 1.0 : f32
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  linalg.fill ins(%f : f32) outs(%a : memref<?x4xf32>)
  %c0 = arith.constant 0 : index
  %d = memref.dim %a, %c0 : memref<?x4xf32>
  %r = memref.alloc(%d) {alignment = 64 : i64} : memref<?x4xf32>
  memref.copy %a, %r : memref<?x4xf32> to memref<?x4xf32>
  return %r : memref<?x4xf32>
}

// -----

// The caller's input, and a buffer written after the copy: both copies
// stay.
// CHECK-LABEL: func.func @kept
// CHECK: memref.copy %arg0
// CHECK: memref.copy
// CHECK: linalg.fill
// CHECK: return
func.func @kept(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %r0 = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  memref.copy %x, %r0 : memref<4xf32> to memref<4xf32>
  %f = arith.constant 1.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  %r1 = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  memref.copy %a, %r1 : memref<4xf32> to memref<4xf32>
  linalg.fill ins(%f : f32) outs(%a : memref<4xf32>)
  return %r0, %r1 : memref<4xf32>, memref<4xf32>
}

// -----

// A view of the source read after the copy keeps it; so does another
// layout (alignment) than the result's.
// CHECK-LABEL: func.func @view_used_later
// CHECK-COUNT-2: memref.copy %
func.func @view_used_later(%y: memref<2xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  %v = memref.subview %a[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
  %r = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  memref.copy %a, %r : memref<4xf32> to memref<4xf32>
  memref.copy %v, %y : memref<2xf32, strided<[1]>> to memref<2xf32>
  %b = memref.alloc() : memref<4xf32>
  %r2 = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  memref.copy %b, %r2 : memref<4xf32> to memref<4xf32>
  return %r, %r2 : memref<4xf32>, memref<4xf32>
}

// -----

// One buffer copied into two results: the later copy's result takes the
// buffer itself, the earlier one keeps its copy (results stay distinct).
// CHECK-LABEL: func.func @twice
// CHECK: %[[A:.+]] = memref.alloc() {alignment = 64 : i64}
// CHECK: %[[R0:.+]] = memref.alloc() {alignment = 64 : i64}
// CHECK: memref.copy %[[A]], %[[R0]]
// CHECK-NOT: memref.copy
// CHECK: return %[[R0]], %[[A]]
func.func @twice() -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  %r0 = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  memref.copy %a, %r0 : memref<4xf32> to memref<4xf32>
  %r1 = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  memref.copy %a, %r1 : memref<4xf32> to memref<4xf32>
  return %r0, %r1 : memref<4xf32>, memref<4xf32>
}
