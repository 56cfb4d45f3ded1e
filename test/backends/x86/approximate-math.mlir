// RUN: kiln-opt %s -kiln-approximate-math | FileCheck %s

// exp, erf, tanh and log become inline polynomials (no libm call is left
// to block vectorization); sin and cos stay.
// CHECK-LABEL: func.func @math
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK: math.fma
// CHECK: math.sin
// CHECK: math.cos
func.func @math(%x: f32) -> (f32, f32, f32, f32, f32, f32) {
  %e = math.exp %x : f32
  %r = math.erf %x : f32
  %t = math.tanh %x : f32
  %l = math.log %x : f32
  %s = math.sin %x : f32
  %c = math.cos %x : f32
  return %e, %r, %t, %l, %s, %c : f32, f32, f32, f32, f32, f32
}
