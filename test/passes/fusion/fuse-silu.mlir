// RUN: kiln-opt %s -tfm-fuse-silu | FileCheck %s

// CHECK-LABEL: func.func @silu
// CHECK: %[[S:.+]] = tfm.silu %arg0 : tensor<?x64xf32>
// CHECK: tfm.mul %[[S]], %arg1
func.func @silu(%gate: tensor<?x64xf32>, %up: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = tfm.sigmoid %gate : tensor<?x64xf32>
  %a = tfm.mul %s, %gate : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %y = tfm.mul %a, %up : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// Near miss: the sigmoid of another tensor.
// CHECK-LABEL: func.func @other_sigmoid
// CHECK-NOT: tfm.silu
func.func @other_sigmoid(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %s = tfm.sigmoid %y : tensor<8xf32>
  %a = tfm.mul %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %a : tensor<8xf32>
}
