// RUN: kiln-opt %s -tfm-infer-shapes -split-input-file | FileCheck %s

// Static inputs flow through ops that were imported with dynamic types,
// and the function's result type follows.
// CHECK-LABEL: func.func @propagate
// CHECK-SAME: -> tensor<2x16x8xf32>
// CHECK: tfm.matmul {{.*}} -> tensor<2x16x32xf32>
// CHECK: tfm.gelu erf {{.*}} : tensor<2x16x32xf32>
// CHECK: tfm.reshape {{.*}} -> tensor<2x16x4x8xf32>
// CHECK: tfm.transpose {{.*}} -> tensor<2x4x16x8xf32>
// CHECK: tfm.attention {{.*}} -> tensor<2x4x16x8xf32>
// CHECK: tfm.reduce sum {{.*}} -> tensor<2x16x8xf32>
// CHECK: return {{.*}} : tensor<2x16x8xf32>
func.func @propagate(%x: tensor<2x16x64xf32>, %w: tensor<64x32xf32>) -> tensor<?x?x8xf32> {
  %h = tfm.matmul %x, %w : (tensor<2x16x64xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
  %g = tfm.gelu erf %h : tensor<?x?x32xf32>
  %s = tfm.constant dense<[2, 16, 4, 8]> : tensor<4xi64>
  %r = tfm.reshape %g, %s : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x4x8xf32>
  %t = tfm.transpose %r {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %a = tfm.attention %t, %t, %t : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %sum = tfm.reduce sum %a {axes = array<i64: 1>, keepdims = false} : (tensor<?x4x?x8xf32>) -> tensor<?x?x8xf32>
  return %sum : tensor<?x?x8xf32>
}

// -----

// A declared type more static than inference can tell is kept.
// CHECK-LABEL: func.func @keep_declared
// CHECK: tfm.reshape {{.*}} -> tensor<4x?xf32>
func.func @keep_declared(%x: tensor<?x?xf32>, %s: tensor<2xi64>) -> tensor<4x?xf32> {
  %r = tfm.reshape %x, %s : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<4x?xf32>
  return %r : tensor<4x?xf32>
}

// -----

// Users outside tfm keep the type they were built with through a cast.
// CHECK-LABEL: func.func @foreign_user
// CHECK: %[[R:.+]] = tfm.reshape {{.*}} -> tensor<4xf32>
// CHECK: %[[C:.+]] = tensor.cast %[[R]] : tensor<4xf32> to tensor<?xf32>
// CHECK: tensor.dim %[[C]]
func.func @foreign_user(%x: tensor<2x2xf32>) -> index {
  %s = tfm.constant dense<[4]> : tensor<1xi64>
  %r = tfm.reshape %x, %s : (tensor<2x2xf32>, tensor<1xi64>) -> tensor<?xf32>
  %zero = arith.constant 0 : index
  %d = tensor.dim %r, %zero : tensor<?xf32>
  return %d : index
}

// -----

// Broadcasting a dynamic dim against a static one gives the static one;
// against 1 it stays dynamic.
// CHECK-LABEL: func.func @broadcast
// CHECK: tfm.add {{.*}} -> tensor<?x8xf32>
func.func @broadcast(%x: tensor<?x1xf32>, %y: tensor<1x8xf32>) -> tensor<?x?xf32> {
  %a = tfm.add %x, %y : (tensor<?x1xf32>, tensor<1x8xf32>) -> tensor<?x?xf32>
  return %a : tensor<?x?xf32>
}

// -----

// A range whose length is not representable (NaN limit) stays dynamic.
// CHECK-LABEL: func.func @range_nan
// CHECK: tfm.range {{.*}} -> tensor<?xf32>
func.func @range_nan() -> tensor<?xf32> {
  %s = tfm.constant dense<0.0> : tensor<f32>
  %l = tfm.constant dense<0x7FC00000> : tensor<f32>
  %d = tfm.constant dense<1.0> : tensor<f32>
  %r = tfm.range %s, %l, %d : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// PyTorch's view(b, t, h, -1) with b, t read from the input: the -1 follows
// from the static dims although b and t are dynamic; an entry read from a
// static dim (flatten(-2) of [b, 2, t, 8, 2]) is static. A shape reading
// another tensor's dims, or with a 0 entry (an empty tensor: any -1 fits),
// leaves the -1 dynamic.
// CHECK-LABEL: func.func @view_wildcard
// CHECK: tfm.reshape %arg0, {{.*}} -> tensor<?x?x2x16xf32>
// CHECK: tfm.reshape %arg1, {{.*}} -> tensor<?x2x?x16xf32>
// CHECK: tfm.reshape %arg0, {{.*}} -> tensor<?x?x2x?xf32>
// CHECK: tfm.reshape %arg0, {{.*}} -> tensor<0x?x2x?xf32>
func.func @view_wildcard(%x: tensor<?x?x32xf32>, %y: tensor<?x2x?x8x2xf32>, %z: tensor<?x?x32xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) {
  %zero = tfm.constant dense<0> : tensor<i64>
  %one = tfm.constant dense<1> : tensor<i64>
  %heads = tfm.constant dense<2> : tensor<1xi64>
  %rest = tfm.constant dense<-1> : tensor<1xi64>
  %copy = tfm.constant dense<0> : tensor<1xi64>
  %sx = tfm.shape %x : (tensor<?x?x32xf32>) -> tensor<3xi64>
  %b = tfm.gather %sx, %zero {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %t = tfm.gather %sx, %one {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %b1 = tfm.unsqueeze %b {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %t1 = tfm.unsqueeze %t {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %s1 = tfm.concat %b1, %t1, %heads, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r1 = tfm.reshape %x, %s1 : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %sy = tfm.shape %y : (tensor<?x2x?x8x2xf32>) -> tensor<5xi64>
  %from = tfm.constant dense<0> : tensor<1xi64>
  %to = tfm.constant dense<3> : tensor<1xi64>
  %lead = tfm.slice %sy, %from, %to {axes = array<i64: 0>, steps = array<i64: 1>} : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %s2 = tfm.concat %lead, %rest {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r2 = tfm.reshape %y, %s2 : (tensor<?x2x?x8x2xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %sz = tfm.shape %z : (tensor<?x?x32xf32>) -> tensor<3xi64>
  %bz = tfm.gather %sz, %zero {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bz1 = tfm.unsqueeze %bz {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %s3 = tfm.concat %bz1, %t1, %heads, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r3 = tfm.reshape %x, %s3 : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %s4 = tfm.concat %copy, %t1, %heads, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r4 = tfm.reshape %x, %s4 : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %r1, %r2, %r3, %r4 : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
}
