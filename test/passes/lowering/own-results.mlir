// RUN: kiln-opt %s -kiln-own-results | FileCheck %s

// Results that are arguments or constants get a copy of their own, so that
// after bufferization the caller owns every result buffer.
// Arguments are read-only to bufferization (the caller's inputs).
// CHECK-LABEL: func.func @f
// CHECK-SAME: %arg0: tensor<?x4xf32> {bufferization.writable = false}
// CHECK: %[[A:.+]] = bufferization.alloc_tensor() copy(%arg0) : tensor<?x4xf32>
// CHECK: %[[B:.+]] = bufferization.alloc_tensor() copy(%{{.+}}) : tensor<2xf32>
// CHECK: return %[[A]], %[[B]]
func.func @f(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<2xf32>) {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  return %x, %c : tensor<?x4xf32>, tensor<2xf32>
}
