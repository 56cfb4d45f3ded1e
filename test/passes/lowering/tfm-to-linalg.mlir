// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s

// Broadcasting lives in the indexing maps: the bias reads only dim 1.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: %[[D0:.+]] = tensor.dim %arg0, %c0
// CHECK: tensor.empty(%[[D0]]) : tensor<?x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
func.func @add_broadcast(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = tfm.add %x, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A static 1 broadcasts by reading index 0.
// CHECK-DAG: #[[ZERO:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @static_one
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[ZERO]], #{{.+}}]
func.func @static_one(%x: tensor<4x8xf32>, %y: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %0 = tfm.mul %x, %y : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Matmul is a contraction with loops (batch, m, k, n): n innermost; the
// epilogue is one more elementwise generic.
// CHECK-LABEL: func.func @matmul_epilogue
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.erf
func.func @matmul_epilogue(%x: tensor<?x?x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %0 = tfm.matmul %x, %w bias %b activation gelu : (tensor<?x?x16xf32>, tensor<16x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

// Softmax: max, exp(x - max) (zero for all -inf rows), sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]
// CHECK: arith.divf
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = tfm.softmax %x {axis = 1 : i64} : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK-COUNT-2: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.rsqrt
func.func @layer_norm(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %0 = tfm.layer_norm %x, %g, %b {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// Reshape resolves a -1 entry at run time.
// CHECK-LABEL: func.func @reshape
// CHECK: arith.divsi
// CHECK: tensor.from_elements
// CHECK: tensor.reshape
func.func @reshape(%x: tensor<?x64xf32>, %s: tensor<3xi64>) -> tensor<?x?x16xf32> {
  %0 = tfm.reshape %x, %s : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// CHECK-LABEL: func.func @movement
// CHECK: linalg.transpose {{.*}} permutation = [1, 0]
// CHECK: tensor.concat dim(0)
// CHECK: tensor.extract_slice
func.func @movement(%x: tensor<4x8xf32>, %st: tensor<1xi64>, %en: tensor<1xi64>) -> (tensor<8x4xf32>, tensor<8x8xf32>, tensor<?x8xf32>) {
  %t = tfm.transpose %x {permutation = array<i64: 1, 0>} : (tensor<4x8xf32>) -> tensor<8x4xf32>
  %c = tfm.concat %x, %x {axis = 0 : i64} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %s = tfm.slice %x, %st, %en {axes = array<i64: 0>, steps = array<i64: 1>} : (tensor<4x8xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  return %t, %c, %s : tensor<8x4xf32>, tensor<8x8xf32>, tensor<?x8xf32>
}

// -----

// Gather wraps negative indices and reads with tensor.extract.
// CHECK-LABEL: func.func @embedding
// CHECK: linalg.generic
// CHECK: arith.index_cast
// CHECK: arith.select
// CHECK: tensor.extract %arg0
func.func @embedding(%table: tensor<100x16xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x16xf32> {
  %0 = tfm.embedding %table, %ids : (tensor<100x16xf32>, tensor<?x?xi64>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// Grouped-query attention reads key/value head h floordiv 4 (of K
// transposed, keys innermost); causal masking compares the query and key
// positions.
// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-LABEL: func.func @attention_gqa
// CHECK: linalg.transpose {{.*}} permutation = [0, 1, 3, 2]
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KV]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]
// CHECK: linalg.index 3
// CHECK: arith.cmpi sle
// CHECK: math.exp
func.func @attention_gqa(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x8x?x16xf32> {
  %0 = tfm.attention %q, %k, %v {causal} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %0 : tensor<?x8x?x16xf32>
}

// -----

// ArgMax: one reduction yielding the running maximum and its index.
// CHECK-LABEL: func.func @argmax
// CHECK: %[[G:.+]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.cmpf ogt
// CHECK: tensor.expand_shape %[[G]]#1
func.func @argmax(%x: tensor<?x16xf32>) -> tensor<?x1xi64> {
  %0 = tfm.argmax %x {axis = 1 : i64} : (tensor<?x16xf32>) -> tensor<?x1xi64>
  return %0 : tensor<?x1xi64>
}

// -----

// An op without a lowering is reported by name.
func.func @unsupported(%x: tensor<4x8xf32>) -> tensor<4x8x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{kiln cannot lower 'tfm.quantize' to linalg yet}}
  %0 = tfm.quantize %x : tensor<4x8xf32> to tensor<4x8x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<4x8x!quant.uniform<i8:f32, 0.1>>
}
