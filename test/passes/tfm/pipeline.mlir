// RUN: kiln-opt %s -tfm-pipeline | FileCheck %s

// An exported multi-head split with a static batch and sequence: the
// Shape/Gather/Unsqueeze/Concat chain folds, the reshape becomes static and
// the transposes that follow become static too.
// CHECK-LABEL: func.func @split_heads
// CHECK-SAME: -> tensor<2x12x7x64xf32>
// CHECK-NOT: tfm.shape
// CHECK-NOT: tfm.gather
// CHECK: %[[S:.+]] = tfm.constant dense<[2, 7, 12, 64]> : tensor<4xi64>
// CHECK: tfm.reshape %{{.+}}, %[[S]] : (tensor<2x7x768xf32>, tensor<4xi64>) -> tensor<2x7x12x64xf32>
// CHECK: tfm.transpose {{.*}} -> tensor<2x12x7x64xf32>
func.func @split_heads(%x: tensor<2x7x768xf32>) -> tensor<?x12x?x64xf32> {
  %shape = tfm.shape %x : (tensor<2x7x768xf32>) -> tensor<3xi64>
  %i0 = tfm.constant dense<0> : tensor<i64>
  %i1 = tfm.constant dense<1> : tensor<i64>
  %b = tfm.gather %shape, %i0 {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %s = tfm.gather %shape, %i1 {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bu = tfm.unsqueeze %b {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %su = tfm.unsqueeze %s {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %heads = tfm.constant dense<[12, 64]> : tensor<2xi64>
  %new = tfm.concat %bu, %su, %heads {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = tfm.reshape %x, %new : (tensor<2x7x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
  %t = tfm.transpose %r {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
  return %t : tensor<?x12x?x64xf32>
}
