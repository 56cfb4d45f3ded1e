// RUN: kiln-opt %s -canonicalize -split-input-file | FileCheck %s

// The shape chain exporters emit (Shape -> Gather -> Unsqueeze -> Concat)
// folds to a constant for the static dimensions it reads.
// CHECK-LABEL: func.func @shape_chain_static_dims
// CHECK: %[[S:.+]] = tfm.constant dense<[128, 12, 64]> : tensor<3xi64>
// CHECK-NOT: tfm.gather
// CHECK: return %[[S]]
func.func @shape_chain_static_dims(%x: tensor<?x128x768xf32>) -> tensor<3xi64> {
  %s = tfm.shape %x : (tensor<?x128x768xf32>) -> tensor<3xi64>
  %i = tfm.constant dense<1> : tensor<i64>
  %d = tfm.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %u = tfm.unsqueeze %d {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %h = tfm.constant dense<[12, 64]> : tensor<2xi64>
  %c = tfm.concat %u, %h {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  return %c : tensor<3xi64>
}

// -----

// Reading a dynamic dimension stays a runtime computation.
// CHECK-LABEL: func.func @shape_chain_dynamic_dim
// CHECK: tfm.shape
// CHECK: tfm.gather
func.func @shape_chain_dynamic_dim(%x: tensor<?x128x768xf32>) -> tensor<i64> {
  %s = tfm.shape %x : (tensor<?x128x768xf32>) -> tensor<3xi64>
  %i = tfm.constant dense<0> : tensor<i64>
  %d = tfm.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  return %d : tensor<i64>
}

// -----

// CHECK-LABEL: func.func @shape_of_static
// CHECK: tfm.constant dense<[2, 3]> : tensor<2xi64>
func.func @shape_of_static(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  %s = tfm.shape %x : (tensor<2x3xf32>) -> tensor<2xi64>
  return %s : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @shape_slice_of_dims
// CHECK: tfm.constant dense<768> : tensor<1xi64>
func.func @shape_slice_of_dims(%x: tensor<?x?x768xf32>) -> tensor<1xi64> {
  %s = tfm.shape %x {start = 2 : i64} : (tensor<?x?x768xf32>) -> tensor<1xi64>
  return %s : tensor<1xi64>
}

// -----

// Integer shape arithmetic with broadcasting folds.
// CHECK-LABEL: func.func @int_arith
// CHECK: tfm.constant dense<[13, 24]> : tensor<2xi64>
func.func @int_arith() -> tensor<2xi64> {
  %a = tfm.constant dense<[6, 12]> : tensor<2xi64>
  %b = tfm.constant dense<2> : tensor<i64>
  %c = tfm.mul %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %one = tfm.constant dense<[1, 0]> : tensor<2xi64>
  %d = tfm.add %c, %one : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %d : tensor<2xi64>
}

// -----

// Integer division by zero is left to run time.
// CHECK-LABEL: func.func @int_div_by_zero
// CHECK: tfm.div
func.func @int_div_by_zero() -> tensor<i64> {
  %a = tfm.constant dense<6> : tensor<i64>
  %b = tfm.constant dense<0> : tensor<i64>
  %c = tfm.div %a, %b : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %c : tensor<i64>
}

// -----

// CHECK-LABEL: func.func @float_unary
// CHECK-DAG: tfm.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: tfm.constant dense<5.000000e-01> : tensor<f32>
func.func @float_unary() -> (tensor<f32>, tensor<f32>) {
  %a = tfm.constant dense<4.0> : tensor<f32>
  %s = tfm.sqrt %a : tensor<f32>
  %r = tfm.rsqrt %a : tensor<f32>
  return %s, %r : tensor<f32>, tensor<f32>
}

// -----

// Identities disappear only when nothing broadcasts.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK: %[[B:.+]] = tfm.add %[[X]]
// CHECK-SAME: -> tensor<2x4x8xf32>
// CHECK: return %[[X]], %[[B]]
func.func @identities(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<2x4x8xf32>) {
  %zero = tfm.constant dense<0.0> : tensor<f32>
  %one = tfm.constant dense<1.0> : tensor<8xf32>
  %a = tfm.add %x, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = tfm.mul %a, %one : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %c = tfm.div %b, %one : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %d = tfm.sub %c, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %zeros = tfm.constant dense<0.0> : tensor<2x4x8xf32>
  %e = tfm.add %x, %zeros : (tensor<4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %d, %e : tensor<4x8xf32>, tensor<2x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @compare_select
// CHECK: tfm.constant dense<[1.000000e+00, 0xFF800000]> : tensor<2xf32>
func.func @compare_select() -> tensor<2xf32> {
  %a = tfm.constant dense<[1, 5]> : tensor<2xi64>
  %b = tfm.constant dense<3> : tensor<i64>
  %m = tfm.compare lt, %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
  %one = tfm.constant dense<1.0> : tensor<f32>
  %ninf = tfm.constant dense<0xFF800000> : tensor<f32>
  %s = tfm.select %m, %one, %ninf : (tensor<2xi1>, tensor<f32>, tensor<f32>) -> tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

// A constant condition picks a branch without evaluating it.
// CHECK-LABEL: func.func @select_splat_condition
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>, %{{.+}}: tensor<4xf32>)
// CHECK: return %[[X]]
func.func @select_splat_condition(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %t = tfm.constant dense<true> : tensor<4xi1>
  %s = tfm.select %t, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @casts
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>)
// CHECK-DAG: tfm.constant dense<[1, -2, 0]> : tensor<3xi32>
// CHECK-DAG: tfm.constant dense<[true, false]> : tensor<2xi1>
// CHECK-DAG: tfm.constant dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: return %[[X]]
func.func @casts(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<3xi32>, tensor<2xi1>, tensor<2xf32>) {
  %same = tfm.cast %x : tensor<4xf32> to tensor<4xf32>
  %f = tfm.constant dense<[1.7, -2.9, 0.2]> : tensor<3xf32>
  %i = tfm.cast %f : tensor<3xf32> to tensor<3xi32>
  %l = tfm.constant dense<[7, 0]> : tensor<2xi64>
  %b = tfm.cast %l : tensor<2xi64> to tensor<2xi1>
  %bf = tfm.cast %b : tensor<2xi1> to tensor<2xf32>
  return %same, %i, %b, %bf : tensor<4xf32>, tensor<3xi32>, tensor<2xi1>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @data_movement
// CHECK-DAG: tfm.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK-DAG: tfm.constant dense<[6, 5]> : tensor<2xi64>
// CHECK-DAG: tfm.constant dense<{{\[}}[4, 5, 6]]> : tensor<1x3xi64>
// CHECK-DAG: tfm.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>
func.func @data_movement() -> (tensor<3x2xi64>, tensor<2xi64>, tensor<1x3xi64>, tensor<6xi64>) {
  %a = tfm.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %t = tfm.transpose %a {permutation = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  %st = tfm.constant dense<[2]> : tensor<1xi64>
  %en = tfm.constant dense<[0]> : tensor<1xi64>
  %row = tfm.constant dense<1> : tensor<i64>
  %g = tfm.gather %a, %row {axis = 0 : i64} : (tensor<2x3xi64>, tensor<i64>) -> tensor<3xi64>
  %s = tfm.slice %g, %st, %en {axes = array<i64: 0>, steps = array<i64: -1>} : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %u = tfm.unsqueeze %g {axes = array<i64: 0>} : (tensor<3xi64>) -> tensor<1x3xi64>
  %shape = tfm.constant dense<[6]> : tensor<1xi64>
  %r = tfm.reshape %a, %shape : (tensor<2x3xi64>, tensor<1xi64>) -> tensor<6xi64>
  %s2 = tfm.slice %s, %en, %st {axes = array<i64: 0>, steps = array<i64: 1>} : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %t, %s2, %u, %r : tensor<3x2xi64>, tensor<2xi64>, tensor<1x3xi64>, tensor<6xi64>
}

// -----

// CHECK-LABEL: func.func @concat_nd
// CHECK: tfm.constant dense<{{\[}}[1, 2, 7], [3, 4, 8]]> : tensor<2x3xi64>
func.func @concat_nd() -> tensor<2x3xi64> {
  %a = tfm.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %b = tfm.constant dense<[[7], [8]]> : tensor<2x1xi64>
  %c = tfm.concat %a, %b {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  return %c : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func.func @range_and_fill
// CHECK-DAG: tfm.constant dense<[0, 3, 6]> : tensor<3xi64>
// CHECK-DAG: tfm.constant dense<0xFF800000> : tensor<2x2xf32>
func.func @range_and_fill() -> (tensor<3xi64>, tensor<2x2xf32>) {
  %s = tfm.constant dense<0> : tensor<i64>
  %l = tfm.constant dense<8> : tensor<i64>
  %d = tfm.constant dense<3> : tensor<i64>
  %r = tfm.range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %shape = tfm.constant dense<2> : tensor<2xi64>
  %f = tfm.constant_of_shape %shape {value = 0xFF800000 : f32} : (tensor<2xi64>) -> tensor<2x2xf32>
  return %r, %f : tensor<3xi64>, tensor<2x2xf32>
}

// -----

// Chains of reshapes and transposes collapse; identities vanish.
// CHECK-LABEL: func.func @movement_chains
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.+]] = tfm.transpose %[[X]] {permutation = array<i64: 2, 0, 1>}
// CHECK: %[[R:.+]] = tfm.reshape %[[X]]
// CHECK-SAME: -> tensor<24xf32>
// CHECK: return %[[T]], %[[R]], %[[X]]
func.func @movement_chains(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<24xf32>, tensor<2x3x4xf32>) {
  %t1 = tfm.transpose %x {permutation = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %t2 = tfm.transpose %t1 {permutation = array<i64: 1, 2, 0>} : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  %s1 = tfm.constant dense<[6, 4]> : tensor<2xi64>
  %r1 = tfm.reshape %x, %s1 : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %s2 = tfm.constant dense<[-1]> : tensor<1xi64>
  %r2 = tfm.reshape %r1, %s2 : (tensor<6x4xf32>, tensor<1xi64>) -> tensor<24xf32>
  %id = tfm.transpose %x {permutation = array<i64: 0, 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %t2, %r2, %id : tensor<4x2x3xf32>, tensor<24xf32>, tensor<2x3x4xf32>
}

// -----

// A reshape with a static result gets a constant shape operand.
// CHECK-LABEL: func.func @static_reshape_shape
// CHECK: %[[S:.+]] = tfm.constant dense<[4, 6]> : tensor<2xi64>
// CHECK: tfm.reshape %{{.+}}, %[[S]]
func.func @static_reshape_shape(%x: tensor<2x12xf32>, %s: tensor<2xi64>) -> tensor<4x6xf32> {
  %r = tfm.reshape %x, %s : (tensor<2x12xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}

// -----

// Reductions over size-1 dims that keep them are identities, except for
// sum_square and l2.
// CHECK-LABEL: func.func @reduce_unit
// CHECK-SAME: (%[[X:.+]]: tensor<4x1xf32>)
// CHECK: %[[L:.+]] = tfm.reduce l2
// CHECK: return %[[X]], %[[L]]
func.func @reduce_unit(%x: tensor<4x1xf32>) -> (tensor<4x1xf32>, tensor<4x1xf32>) {
  %m = tfm.reduce mean %x {axes = array<i64: 1>} : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %l = tfm.reduce l2 %x {axes = array<i64: 1>} : (tensor<4x1xf32>) -> tensor<4x1xf32>
  return %m, %l : tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// Large weights are never folded (compile memory stays bounded).
// CHECK-LABEL: func.func @no_fold_large
// CHECK: tfm.transpose
func.func @no_fold_large() -> tensor<512x256xf32> {
  %w = tfm.constant dense<1.5> : tensor<256x512xf32>
  %n = tfm.neg %w : tensor<256x512xf32>
  %t = tfm.transpose %n {permutation = array<i64: 1, 0>} : (tensor<256x512xf32>) -> tensor<512x256xf32>
  return %t : tensor<512x256xf32>
}

// -----

// A run-time check whose condition folds to true goes; others stay.
// CHECK-LABEL: func.func @runtime_check_satisfied
// CHECK-NOT: "satisfied"
// CHECK: tfm.runtime_check %{{.*}}, "open"
func.func @runtime_check_satisfied(%ok: i1) {
  %true = arith.constant true
  tfm.runtime_check %true, "satisfied"
  tfm.runtime_check %ok, "open"
  return
}
