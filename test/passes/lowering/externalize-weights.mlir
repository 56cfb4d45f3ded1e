// RUN: kiln-opt %s -kiln-externalize-weights="min-elements=16" | FileCheck %s

// Weights (blobs, or at least min-elements elements) become trailing
// arguments carrying their value; small constants stay.
// CHECK-LABEL: func.func @f
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>, %[[W:.+]]: tensor<8x8xf32> {tfm.weight = dense<5.000000e-01> : tensor<8x8xf32>}, %[[R:.+]]: tensor<2x2xf32> {tfm.weight = dense_resource<blob> : tensor<2x2xf32>})
// CHECK: %[[S:.+]] = tfm.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: tfm.matmul %[[X]], %[[W]] bias %[[S]]
// CHECK: return {{.*}}, %[[R]]
func.func @f(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<2x2xf32>) {
  %w = tfm.constant dense<0.5> : tensor<8x8xf32>
  %b = tfm.constant dense<1.0> : tensor<8xf32>
  %r = tfm.constant dense_resource<blob> : tensor<2x2xf32>
  %y = tfm.matmul %x, %w bias %b : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y, %r : tensor<4x8xf32>, tensor<2x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x04000000000000000000803F0000004000004040"
    }
  }
#-}
