// tfm-record-activation-ranges: each weight matmul's input gets its
// per-channel min and max (over every dim but the last) as two more
// results, named by the matmul's index and node; the model's own result
// stays first. A matmul by a computed rhs is not a weight matmul.
// RUN: kiln-opt %s --tfm-record-activation-ranges | FileCheck %s

// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: -> (tensor<?x?x2xf32> {tfm.name = "y"}, tensor<4xf32> {tfm.name = "calibration:0:min:fc1"}, tensor<4xf32> {tfm.name = "calibration:0:max:fc1"}, tensor<2xf32> {tfm.name = "calibration:1:min:matmul #1"}, tensor<2xf32> {tfm.name = "calibration:1:max:matmul #1"})
// CHECK: %[[MIN0:.*]] = tfm.reduce min %arg0 {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?x4xf32>) -> tensor<4xf32>
// CHECK: %[[MAX0:.*]] = tfm.reduce max %arg0 {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?x4xf32>) -> tensor<4xf32>
// CHECK: %[[H:.*]] = tfm.matmul %arg0
// CHECK: %[[MIN1:.*]] = tfm.reduce min %[[H]]
// CHECK: %[[MAX1:.*]] = tfm.reduce max %[[H]]
// CHECK: return %{{.*}}, %[[MIN0]], %[[MAX0]], %[[MIN1]], %[[MAX1]]
func.func @main_graph(%x: tensor<?x?x4xf32> {tfm.name = "x"}, %r: tensor<2x2xf32> {tfm.name = "r"}) -> (tensor<?x?x2xf32> {tfm.name = "y"}) {
  %w1 = tfm.constant dense<1.0> : tensor<4x2xf32>
  %w2 = tfm.constant dense<2.0> : tensor<2x2xf32>
  %h = tfm.matmul %x, %w1 : (tensor<?x?x4xf32>, tensor<4x2xf32>) -> tensor<?x?x2xf32> loc("fc1")
  %g = tfm.matmul %h, %w2 : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %y = tfm.matmul %g, %r : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  return %y : tensor<?x?x2xf32>
}
