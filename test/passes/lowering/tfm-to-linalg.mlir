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

// Two dynamic dims meeting: the result's size is the larger, each must be it
// or 1 (a run-time check naming the node), and an operand that is 1 at run
// time is repeated to the result's size before the elementwise generic.
// CHECK-DAG: #[[REPEAT:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @dynamic_broadcast
// CHECK: %[[A:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[B:.+]] = tensor.dim %arg1, %c0
// CHECK: %[[N:.+]] = arith.maxsi %[[A]], %[[B]]
// CHECK: %[[SAME:.+]] = arith.cmpi eq, %[[A]], %[[N]]
// CHECK: %[[UNIT:.+]] = arith.cmpi eq, %[[A]], %{{.+}}
// CHECK: %[[OK:.+]] = arith.ori %[[SAME]], %[[UNIT]]
// CHECK: tfm.runtime_check %[[OK]], "node 'sum' (tfm.add): cannot broadcast operand 0's dimension 0 of size {0} against size {1}"(%[[A]], %[[N]] : index, index)
// CHECK: %[[X:.+]] = scf.if %[[SAME]] -> (tensor<?x4xf32>) {
// CHECK:   scf.yield %arg0
// CHECK: } else {
// CHECK:   tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:   linalg.generic {indexing_maps = [#[[REPEAT]], #{{.+}}]
// CHECK: tfm.runtime_check {{.*}}operand 1's dimension 0
// CHECK: %[[Y:.+]] = scf.if
// CHECK: tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[Y]]
func.func @dynamic_broadcast(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = tfm.add %x, %y : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32> loc("sum")
  return %0 : tensor<?x4xf32>
}

// -----

// A dynamic dim against a static size: checked against it, repeated if 1.
// CHECK-LABEL: func.func @dynamic_against_static
// CHECK: %[[A:.+]] = tensor.dim %arg0, %c0
// CHECK: arith.cmpi eq, %[[A]], %c8
// CHECK: tfm.runtime_check {{.*}}of size {0} against size {1}"(%[[A]], %c8
// CHECK: scf.if
func.func @dynamic_against_static(%x: tensor<?x8xf32>, %y: tensor<8x1xf32>) -> tensor<8x8xf32> {
  %0 = tfm.add %x, %y : (tensor<?x8xf32>, tensor<8x1xf32>) -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// Expand broadcasts both ways against its target shape, whose sizes must
// not be negative.
// CHECK-LABEL: func.func @expand_dynamic
// CHECK: %[[S:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: tfm.runtime_check {{.*}}the target shape's dimension 0 is {0}, a negative size"(%[[S]] : index)
// CHECK: tfm.runtime_check {{.*}}cannot broadcast operand 0's dimension 0
// CHECK: scf.if
// CHECK: tfm.runtime_check {{.*}}cannot broadcast the target shape's dimension 0
// CHECK: tfm.runtime_check {{.*}}the target shape's dimension 1 is {0}, a negative size
func.func @expand_dynamic(%x: tensor<?x3xf32>, %s: tensor<2xi64>) -> tensor<?x3xf32> {
  %0 = tfm.expand %x, %s : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
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
