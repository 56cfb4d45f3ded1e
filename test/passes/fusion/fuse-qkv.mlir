// RUN: kiln-opt %s -tfm-fuse-qkv | FileCheck %s

// Q, K and V projections of one input become one matmul by the
// concatenated weight [K, 8 + 8 + 4] and bias, split back into three.
// CHECK-LABEL: func.func @qkv
// CHECK-DAG: %[[W:.+]] = tfm.constant dense_resource<merged_weight{{.*}}> : tensor<4x20xf32>
// CHECK-DAG: %[[B:.+]] = tfm.constant dense<{{.*}}> : tensor<20xf32>
// CHECK: %[[M:.+]] = tfm.matmul %arg0, %[[W]] bias %[[B]] : (tensor<?x4xf32>, tensor<4x20xf32>, tensor<20xf32>) -> tensor<?x20xf32>
// CHECK: %[[S:.+]]:3 = tfm.split %[[M]] {axis = 1 : i64, sizes = array<i64: 8, 8, 4>}
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func @qkv(%x: tensor<?x4xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4xf32>) {
  %wq = tfm.constant dense<1.0> : tensor<4x8xf32>
  %wk = tfm.constant dense<2.0> : tensor<4x8xf32>
  %wv = tfm.constant dense<3.0> : tensor<4x4xf32>
  %bq = tfm.constant dense<0.5> : tensor<8xf32>
  %q = tfm.matmul %x, %wq bias %bq : (tensor<?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %k = tfm.matmul %x, %wk : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %v = tfm.matmul %x, %wv : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %q, %k, %v : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4xf32>
}

// Near misses: another input, a computed weight, an activation.
// CHECK-LABEL: func.func @near_misses
// CHECK-COUNT-3: tfm.matmul
// CHECK-NOT: tfm.split
func.func @near_misses(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>, %w: tensor<4x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %c = tfm.constant dense<1.0> : tensor<4x8xf32>
  %a = tfm.matmul %x, %c : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %b = tfm.matmul %x, %w : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %d = tfm.matmul %y, %c activation gelu : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  return %a, %b, %d : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// Weights stored [N, K] (transpose_rhs, as Hugging Face checkpoints hold
// Linear weights) merge into [8 + 8 + 4, K], still transposed; a matmul of
// the other layout on the same input stays apart.
// CHECK-LABEL: func.func @qkv_transposed
// CHECK-DAG: %[[W:.+]] = tfm.constant dense_resource<merged_weight{{.*}}> : tensor<20x4xf32>
// CHECK: %[[M:.+]] = tfm.matmul %arg0, %[[W]] {transpose_rhs} : (tensor<?x4xf32>, tensor<20x4xf32>) -> tensor<?x20xf32>
// CHECK: %[[S:.+]]:3 = tfm.split %[[M]] {axis = 1 : i64, sizes = array<i64: 8, 8, 4>}
// CHECK: %[[O:.+]] = tfm.matmul %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2, %[[O]]
func.func @qkv_transposed(%x: tensor<?x4xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %wq = tfm.constant dense<1.0> : tensor<8x4xf32>
  %wk = tfm.constant dense<2.0> : tensor<8x4xf32>
  %wv = tfm.constant dense<3.0> : tensor<4x4xf32>
  %wo = tfm.constant dense<4.0> : tensor<4x4xf32>
  %q = tfm.matmul %x, %wq {transpose_rhs} : (tensor<?x4xf32>, tensor<8x4xf32>) -> tensor<?x8xf32>
  %k = tfm.matmul %x, %wk {transpose_rhs} : (tensor<?x4xf32>, tensor<8x4xf32>) -> tensor<?x8xf32>
  %v = tfm.matmul %x, %wv {transpose_rhs} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %o = tfm.matmul %x, %wo : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %q, %k, %v, %o : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
