// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg=check-indices=false | FileCheck %s --check-prefix=NOCHECK

// The data-movement family of tfm-to-linalg (DataMovement.cpp): reshape
// (tensor.reshape of a shape resolved at run time), transpose
// (linalg.transpose), concat (tensor.concat), slice and split
// (tensor.extract_slice), squeeze/unsqueeze (tensor.collapse_shape /
// expand_shape), shape (tensor.from_elements of tensor.dim), expand (a
// broadcasting copy generic), constant_of_shape (linalg.fill), range and
// trilu (generics over linalg.index), gather and embedding (a parallel
// generic reading with tensor.extract, after a run-time range check of the
// indices unless check-indices=false) and scatter_nd (scf.for loops of
// tensor.insert). The checks assert those ops with their shapes, offsets,
// strides, reassociations and permutations; tfm.runtime_check ops are
// expected to remain where sizes or indices are only known at run time.

// NOTFM-NOT: = tfm.

// Reshape resolves a -1 entry as what is left of the element count, checks
// the entries and the count at run time, and reshapes to the sizes.
// CHECK-LABEL: func.func @reshape
// CHECK: %[[D0:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[TOTAL:.+]] = arith.muli %[[D0]], %c64
// CHECK: %[[E0:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[E1:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[SAFE:.+]] = arith.maxsi %{{.+}}, %c1
// CHECK: %[[INFERRED:.+]] = arith.divsi %[[TOTAL]], %[[SAFE]]
// CHECK: tfm.runtime_check %{{.+}}, "tfm.reshape: entry 0 of the target shape is {0}, a negative size"(%[[E0]] : index)
// CHECK: %[[S0:.+]] = arith.select %{{.+}}, %[[INFERRED]], %[[E0]]
// CHECK: tfm.runtime_check %{{.+}}, "tfm.reshape: entry 1 of the target shape is {0}, a negative size"(%[[E1]] : index)
// CHECK: %[[S1:.+]] = arith.select %{{.+}}, %[[INFERRED]], %[[E1]]
// CHECK: tfm.runtime_check %{{.+}}, "tfm.reshape: cannot reshape {0} elements into a shape of {1}"(%[[TOTAL]], %{{.+}} : index, index)
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[S0]], %[[S1]], %c16 : tensor<3xindex>
// CHECK: %[[R:.+]] = tensor.reshape %arg0(%[[SHAPE]]) : (tensor<?x64xf32>, tensor<3xindex>) -> tensor<?x?x16xf32>
// CHECK: return %[[R]]
func.func @reshape(%x: tensor<?x64xf32>, %s: tensor<3xi64>) -> tensor<?x?x16xf32> {
  %0 = tfm.reshape %x, %s : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// A fully static result folds the shape to a constant.
// CHECK-LABEL: func.func @reshape_static
// CHECK: %[[SHAPE:.+]] = arith.constant dense<[6, 4]> : tensor<2xindex>
// CHECK: tensor.reshape %arg0(%[[SHAPE]]) : (tensor<2x3x4xf32>, tensor<2xindex>) -> tensor<6x4xf32>
func.func @reshape_static(%x: tensor<2x3x4xf32>, %s: tensor<2xi64>) -> tensor<6x4xf32> {
  %0 = tfm.reshape %x, %s : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

// The init takes its dynamic sizes from the permuted input dims.
// CHECK-LABEL: func.func @transpose
// CHECK-DAG: %[[D0:.+]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[D1:.+]] = tensor.dim %arg0, %c1
// CHECK: %[[E:.+]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x12x?x64xf32>
// CHECK: linalg.transpose ins(%arg0 : tensor<?x?x12x64xf32>) outs(%[[E]] : tensor<?x12x?x64xf32>) permutation = [0, 2, 1, 3]
func.func @transpose(%x: tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32> {
  %0 = tfm.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// -----

// Concat: tensor.concat; one input is itself, and inputs statically empty
// along the axis are dropped.
// CHECK-LABEL: func.func @concat
// CHECK: %[[A:.+]] = tensor.concat dim(2) %arg0, %arg1 : (tensor<?x12x?x64xf32>, tensor<?x12x1x64xf32>) -> tensor<?x12x?x64xf32>
// CHECK: %[[B:.+]] = tensor.concat dim(1) %arg2, %arg3 : (tensor<2x3xi64>, tensor<2x5xi64>) -> tensor<2x8xi64>
// CHECK-NOT: tensor.concat
// CHECK: return %[[A]], %[[B]], %arg2, %arg2
func.func @concat(%past: tensor<?x12x?x64xf32>, %new: tensor<?x12x1x64xf32>, %a: tensor<2x3xi64>, %b: tensor<2x5xi64>, %e: tensor<2x0xi64>) -> (tensor<?x12x?x64xf32>, tensor<2x8xi64>, tensor<2x3xi64>, tensor<2x3xi64>) {
  %0 = tfm.concat %past, %new {axis = 2 : i64} : (tensor<?x12x?x64xf32>, tensor<?x12x1x64xf32>) -> tensor<?x12x?x64xf32>
  %1 = tfm.concat %a, %b {axis = 1 : i64} : (tensor<2x3xi64>, tensor<2x5xi64>) -> tensor<2x8xi64>
  %2 = tfm.concat %a {axis = 0 : i64} : (tensor<2x3xi64>) -> tensor<2x3xi64>
  %3 = tfm.concat %a, %e {axis = 1 : i64} : (tensor<2x3xi64>, tensor<2x0xi64>) -> tensor<2x3xi64>
  return %0, %1, %2, %3 : tensor<?x12x?x64xf32>, tensor<2x8xi64>, tensor<2x3xi64>, tensor<2x3xi64>
}

// -----

// Slice bounds wrap when negative and clamp to [0, size]; the size is
// ceildiv(end - start, step) and the step becomes the stride.
// CHECK-LABEL: func.func @slice
// CHECK-DAG: %[[Z64:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[N64:.+]] = arith.constant 16 : i64
// CHECK: %[[D0:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[ST:.+]] = tensor.extract %arg1[%c0] : tensor<1xi64>
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[ST]], %[[Z64]]
// CHECK: %[[WRAP:.+]] = arith.addi %[[ST]], %[[N64]]
// CHECK: %[[W:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[ST]]
// CHECK: %[[LO:.+]] = arith.maxsi %[[W]], %[[Z64]]
// CHECK: %[[HI:.+]] = arith.minsi %[[LO]], %[[N64]]
// CHECK: %[[START:.+]] = arith.index_cast %[[HI]] : i64 to index
// CHECK: tensor.extract %arg2[%c0] : tensor<1xi64>
// CHECK: %[[END:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[SPAN:.+]] = arith.subi %[[END]], %[[START]]
// CHECK: %[[POS:.+]] = arith.maxsi %[[SPAN]], %c0
// CHECK: %[[SIZE:.+]] = arith.ceildivsi %[[POS]], %c3
// CHECK: tensor.extract_slice %arg0[0, %[[START]]] [%[[D0]], %[[SIZE]]] [1, 3] : tensor<?x16xf32> to tensor<?x?xf32>
func.func @slice(%x: tensor<?x16xf32>, %st: tensor<1xi64>, %en: tensor<1xi64>) -> tensor<?x?xf32> {
  %0 = tfm.slice %x, %st, %en {axes = array<i64: 1>, steps = array<i64: 3>} : (tensor<?x16xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// (What the lowering refuses, and its message: refusals.mlir.)

// -----

// Split into equal pieces: consecutive slices of ceil(size / pieces),
// cast to the declared result types.
// CHECK-LABEL: func.func @split_equal
// CHECK: %[[S0:.+]] = tensor.extract_slice %arg0[0, 0, %c0] [%{{.+}}, %{{.+}}, %c8] [1, 1, 1] : tensor<?x?x24xf32> to tensor<?x?x?xf32>
// CHECK: %[[C0:.+]] = tensor.cast %[[S0]] : tensor<?x?x?xf32> to tensor<?x?x8xf32>
// CHECK: %[[S1:.+]] = tensor.extract_slice %arg0[0, 0, %c8] [%{{.+}}, %{{.+}}, %c8] [1, 1, 1]
// CHECK: %[[C1:.+]] = tensor.cast %[[S1]]
// CHECK: %[[S2:.+]] = tensor.extract_slice %arg0[0, 0, %c16] [%{{.+}}, %{{.+}}, %c8] [1, 1, 1]
// CHECK: %[[C2:.+]] = tensor.cast %[[S2]]
// CHECK: return %[[C0]], %[[C1]], %[[C2]]
func.func @split_equal(%qkv: tensor<?x?x24xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %q, %k, %v = tfm.split %qkv {axis = 2 : i64} : (tensor<?x?x24xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>)
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Split with given sizes: the offsets are their running sums; on a dynamic
// axis the sizes must add up to its size (checked at run time).
// CHECK-LABEL: func.func @split_sizes
// CHECK: tfm.runtime_check %{{.+}}, "tfm.split: the split sizes add up to 8 but dimension 1 is {0}"
// CHECK: %[[D:.+]] = tensor.dim %arg0, %c0
// CHECK: tensor.extract_slice %arg0[0, %c0] [%[[D]], %c3] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
// CHECK: tensor.cast %{{.+}} : tensor<?x?xf32> to tensor<?x3xf32>
// CHECK: tensor.extract_slice %arg0[0, %c3] [%{{.+}}, %c5] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
// CHECK: tensor.cast %{{.+}} : tensor<?x?xf32> to tensor<?x5xf32>
func.func @split_sizes(%y: tensor<?x?xf32>) -> (tensor<?x3xf32>, tensor<?x5xf32>) {
  %0:2 = tfm.split %y {axis = 1 : i64, sizes = array<i64: 3, 5>} : (tensor<?x?xf32>) -> (tensor<?x3xf32>, tensor<?x5xf32>)
  return %0#0, %0#1 : tensor<?x3xf32>, tensor<?x5xf32>
}

// -----

// Gather along axis 0: one reduction for the least and greatest index, a
// run-time range check, then a parallel generic over (indices..., rest)
// that wraps a negative index and reads the input with tensor.extract.
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ALL:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[IDX:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @gather
// CHECK-DAG: %[[IMAX:.+]] = arith.constant 2147483647 : i32
// CHECK-DAG: %[[IMIN:.+]] = arith.constant -2147483648 : i32
// CHECK: %[[LEAST0:.+]] = linalg.fill ins(%[[IMAX]] : i32)
// CHECK: %[[MOST0:.+]] = linalg.fill ins(%[[IMIN]] : i32)
// CHECK: %[[B:.+]]:2 = linalg.generic {indexing_maps = [#[[ID2]], #[[ALL]], #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%arg1 : tensor<2x?xi32>) outs(%[[LEAST0]], %[[MOST0]] : tensor<i32>, tensor<i32>)
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: tensor.extract %[[B]]#0[] : tensor<i32>
// CHECK: tensor.extract %[[B]]#1[] : tensor<i32>
// CHECK: %[[SIZE:.+]] = tensor.dim %arg0, %c0
// CHECK: tfm.runtime_check %{{.+}}, "tfm.gather: index {0} is out of range for dimension 0 of size {1}"(%{{.+}}, %[[SIZE]] : index, index)
// CHECK: %[[E:.+]] = tensor.empty(%{{.+}}) : tensor<2x?x16xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<2x?xi32>) outs(%[[E]] : tensor<2x?x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: i32,
// CHECK-NEXT: %[[I:.+]] = arith.index_cast %[[IN]] : i32 to index
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[I]], %c0
// CHECK: %[[WRAP:.+]] = arith.addi %[[I]], %{{.+}}
// CHECK: %[[J:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[I]]
// CHECK: %[[K:.+]] = linalg.index 2 : index
// CHECK: %[[V:.+]] = tensor.extract %arg0[%[[J]], %[[K]]] : tensor<?x16xf32>
// CHECK: linalg.yield %[[V]] : f32
// NOCHECK-LABEL: func.func @gather
// NOCHECK-NOT: tfm.runtime_check
// NOCHECK-NOT: iterator_types = ["reduction"
// NOCHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// NOCHECK: tensor.extract %arg0
func.func @gather(%table: tensor<?x16xf32>, %ids: tensor<2x?xi32>) -> tensor<2x?x16xf32> {
  %0 = tfm.gather %table, %ids {axis = 0 : i64} : (tensor<?x16xf32>, tensor<2x?xi32>) -> tensor<2x?x16xf32>
  return %0 : tensor<2x?x16xf32>
}

// -----

// Gather along a middle axis: the index tensor maps to loop d1, the other
// input dims read loops d0 and d2.
// CHECK-DAG: #[[IDX:.+]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @gather_axis1
// CHECK: tfm.runtime_check %{{.+}}, "tfm.gather: index {0} is out of range for dimension 1 of size {1}"(%{{.+}}, %c10 : index, index)
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<5xi64>)
// CHECK: %[[J:.+]] = arith.select
// CHECK: %[[A:.+]] = linalg.index 0 : index
// CHECK: %[[C:.+]] = linalg.index 2 : index
// CHECK: tensor.extract %arg0[%[[A]], %[[J]], %[[C]]] : tensor<4x10x3xf32>
func.func @gather_axis1(%x: tensor<4x10x3xf32>, %ids: tensor<5xi64>) -> tensor<4x5x3xf32> {
  %0 = tfm.gather %x, %ids {axis = 1 : i64} : (tensor<4x10x3xf32>, tensor<5xi64>) -> tensor<4x5x3xf32>
  return %0 : tensor<4x5x3xf32>
}

// -----

// Constant indices known to be in range need no check.
// CHECK-LABEL: func.func @gather_constant_index
// CHECK-NOT: tfm.runtime_check
// CHECK: linalg.generic {{.*}}iterator_types = []
// CHECK: tensor.extract %arg0[%{{.+}}] : tensor<3xi64>
func.func @gather_constant_index(%x: tensor<3xi64>) -> tensor<i64> {
  %i = tfm.constant dense<-1> : tensor<i64>
  %0 = tfm.gather %x, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// Embedding is a gather of table rows.
// CHECK-LABEL: func.func @embedding
// CHECK: tfm.runtime_check %{{.+}}, "tfm.embedding: index {0} is out of range for dimension 0 of size {1}"(%{{.+}}, %c100 : index, index)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<?x?xi64>) outs(%{{.+}} : tensor<?x?x16xf32>)
// CHECK: %[[I:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[I]], %c0
// CHECK: %[[WRAP:.+]] = arith.addi %[[I]], %c100
// CHECK: %[[J:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[I]]
// CHECK: %[[K:.+]] = linalg.index 2 : index
// CHECK: tensor.extract %arg0[%[[J]], %[[K]]] : tensor<100x16xf32>
// NOCHECK-LABEL: func.func @embedding
// NOCHECK-NOT: tfm.runtime_check
// NOCHECK: tensor.extract %arg0
func.func @embedding(%table: tensor<100x16xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x16xf32> {
  %0 = tfm.embedding %table, %ids : (tensor<100x16xf32>, tensor<?x?xi64>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// Expand to a constant shape: a broadcasting copy.
// CHECK-DAG: #[[COL0:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @expand
// CHECK: %[[E:.+]] = tensor.empty() : tensor<4x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[COL0]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<4x1xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: f32,
// CHECK-NEXT: linalg.yield %[[IN]] : f32
func.func @expand(%x: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %s = tfm.constant dense<[4, 8]> : tensor<2xi64>
  %0 = tfm.expand %x, %s : (tensor<4x1xf32>, tensor<2xi64>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Expand to a run-time shape of higher rank: the sizes are read from it
// and checked (not negative, and broadcast-compatible with the input).
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-LABEL: func.func @expand_dynamic
// CHECK: tensor.extract %arg1[%c0] : tensor<3xi64>
// CHECK: %[[S0:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[S1:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[S2:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: tfm.runtime_check %{{.+}}, "tfm.expand: the target shape's dimension 0 is {0}, a negative size"(%[[S0]] : index)
// CHECK: tfm.runtime_check %{{.+}}, "tfm.expand: the target shape's dimension 1 is {0}, a negative size"(%[[S1]] : index)
// CHECK: tfm.runtime_check %{{.+}}, "tfm.expand: cannot broadcast the target shape's dimension 2 of size {0} against size {1}"(%[[S2]], %c3 : index, index)
// CHECK: %[[E:.+]] = tensor.empty(%[[S1]]) : tensor<2x?x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<1x3xf32>) outs(%[[E]] : tensor<2x?x3xf32>)
func.func @expand_dynamic(%x: tensor<1x3xf32>, %s: tensor<3xi64>) -> tensor<2x?x3xf32> {
  %0 = tfm.expand %x, %s : (tensor<1x3xf32>, tensor<3xi64>) -> tensor<2x?x3xf32>
  return %0 : tensor<2x?x3xf32>
}

// -----

// Squeeze collapses each unit dim into a neighbour group; a squeezed dim
// that is dynamic in the type must be 1 at run time (checked) and is cast
// to 1 first.
// CHECK-LABEL: func.func @squeeze
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<1x?xi64> into tensor<?xi64>
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<?x1x?x1xf32> into tensor<?x?xf32>
// CHECK: tfm.runtime_check %{{.+}}, "tfm.squeeze: squeezed dimension 1 is {0}, not 1"
// CHECK: %[[C:.+]] = tensor.cast %arg2 : tensor<4x?xf32> to tensor<4x1xf32>
// CHECK: tensor.collapse_shape %[[C]] {{\[}}[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
func.func @squeeze(%x: tensor<1x?xi64>, %y: tensor<?x1x?x1xf32>, %z: tensor<4x?xf32>) -> (tensor<?xi64>, tensor<?x?xf32>, tensor<4xf32>) {
  %0 = tfm.squeeze %x {axes = array<i64: 0>} : (tensor<1x?xi64>) -> tensor<?xi64>
  %1 = tfm.squeeze %y {axes = array<i64: 1, 3>} : (tensor<?x1x?x1xf32>) -> tensor<?x?xf32>
  %2 = tfm.squeeze %z {axes = array<i64: 1>} : (tensor<4x?xf32>) -> tensor<4xf32>
  return %0, %1, %2 : tensor<?xi64>, tensor<?x?xf32>, tensor<4xf32>
}

// -----

// Unsqueeze expands with unit dims at the axes; a 0-d input has no groups.
// CHECK-LABEL: func.func @unsqueeze
// CHECK-DAG: %[[D0:.+]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[D1:.+]] = tensor.dim %arg0, %c1
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2, 3]] output_shape [%[[D0]], 1, 1, %[[D1]]] : tensor<?x?xi64> into tensor<?x1x1x?xi64>
// CHECK: tensor.expand_shape %arg1 [] output_shape [1] : tensor<f32> into tensor<1xf32>
func.func @unsqueeze(%mask: tensor<?x?xi64>, %s: tensor<f32>) -> (tensor<?x1x1x?xi64>, tensor<1xf32>) {
  %0 = tfm.unsqueeze %mask {axes = array<i64: 1, 2>} : (tensor<?x?xi64>) -> tensor<?x1x1x?xi64>
  %1 = tfm.unsqueeze %s {axes = array<i64: 0>} : (tensor<f32>) -> tensor<1xf32>
  return %0, %1 : tensor<?x1x1x?xi64>, tensor<1xf32>
}

// -----

// Shape: the dims (constants where static) as i64, in [start, end).
// CHECK-LABEL: func.func @shape
// CHECK-DAG: %[[C768:.+]] = arith.constant 768 : i64
// CHECK: %[[D0:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[I0:.+]] = arith.index_cast %[[D0]] : index to i64
// CHECK: %[[D1:.+]] = tensor.dim %arg0, %c1
// CHECK: %[[I1:.+]] = arith.index_cast %[[D1]] : index to i64
// CHECK: tensor.from_elements %[[I0]], %[[I1]], %[[C768]] : tensor<3xi64>
// CHECK: %[[D2:.+]] = tensor.dim %arg0, %c1
// CHECK: %[[I2:.+]] = arith.index_cast %[[D2]] : index to i64
// CHECK: tensor.from_elements %[[I2]], %[[C768]] : tensor<2xi64>
func.func @shape(%x: tensor<?x?x768xf32>) -> (tensor<3xi64>, tensor<2xi64>) {
  %0 = tfm.shape %x : (tensor<?x?x768xf32>) -> tensor<3xi64>
  %1 = tfm.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x?x768xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<3xi64>, tensor<2xi64>
}

// -----

// ConstantOfShape: sizes read from the shape (checked not negative), then
// linalg.fill with the value.
// CHECK-LABEL: func.func @constant_of_shape
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[S0:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: tfm.runtime_check %{{.+}}, "tfm.constant_of_shape: dimension 0 of the shape is {0}, a negative size"(%[[S0]] : index)
// CHECK: %[[S1:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: tfm.runtime_check %{{.+}}, "tfm.constant_of_shape: dimension 1 of the shape is {0}, a negative size"(%[[S1]] : index)
// CHECK: %[[E:.+]] = tensor.empty(%[[S0]], %[[S1]]) : tensor<?x?xf32>
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x?xf32>)
// CHECK: %[[E2:.+]] = tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x?xi64>
// CHECK: linalg.fill ins(%[[ONE]] : i64) outs(%[[E2]] : tensor<?x?xi64>)
func.func @constant_of_shape(%s: tensor<2xi64>) -> (tensor<?x?xf32>, tensor<?x?xi64>) {
  %0 = tfm.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
  %1 = tfm.constant_of_shape %s {value = 1 : i64} : (tensor<2xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x?xf32>, tensor<?x?xi64>
}

// -----

// Integer range: length ceildiv(limit - start, delta) (delta 0 divides by
// 1), at least 0; element i is start + i * delta.
// CHECK-LABEL: func.func @range
// CHECK: %[[START:.+]] = tensor.extract %arg0[] : tensor<i64>
// CHECK: %[[LIMIT:.+]] = tensor.extract %arg1[] : tensor<i64>
// CHECK: %[[DELTA:.+]] = tensor.extract %arg2[] : tensor<i64>
// CHECK: %[[SAFE:.+]] = arith.select %{{.+}}, %{{.+}}, %[[DELTA]] : i64
// CHECK: %[[SPAN:.+]] = arith.subi %[[LIMIT]], %[[START]] : i64
// CHECK: %[[N:.+]] = arith.ceildivsi %[[SPAN]], %[[SAFE]] : i64
// CHECK: %[[NI:.+]] = arith.index_cast %[[N]] : i64 to index
// CHECK: %[[LEN:.+]] = arith.maxsi %[[NI]], %c0 : index
// CHECK: %[[E:.+]] = tensor.empty(%[[LEN]]) : tensor<?xi64>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} outs(%[[E]] : tensor<?xi64>)
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: %[[I:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[I64:.+]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[M:.+]] = arith.muli %[[I64]], %[[DELTA]] : i64
// CHECK-NEXT: arith.addi %[[START]], %[[M]] : i64
func.func @range(%start: tensor<i64>, %limit: tensor<i64>, %delta: tensor<i64>) -> tensor<?xi64> {
  %0 = tfm.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// Float range: length ceil((limit - start) / delta).
// CHECK-LABEL: func.func @range_float
// CHECK: %[[START:.+]] = tensor.extract %arg0[] : tensor<f32>
// CHECK: %[[DELTA:.+]] = tensor.extract %arg2[] : tensor<f32>
// CHECK: %[[Q:.+]] = arith.divf %{{.+}}, %[[DELTA]] : f32
// CHECK: %[[C:.+]] = math.ceil %[[Q]] : f32
// CHECK: arith.fptosi %[[C]] : f32 to i64
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} outs(%{{.+}} : tensor<?xf32>)
// CHECK: linalg.index 0 : index
// CHECK: %[[F:.+]] = arith.sitofp %{{.+}} : i64 to f32
// CHECK: %[[M:.+]] = arith.mulf %[[F]], %[[DELTA]] : f32
// CHECK: arith.addf %[[START]], %[[M]] : f32
func.func @range_float(%start: tensor<f32>, %limit: tensor<f32>, %delta: tensor<f32>) -> tensor<?xf32> {
  %0 = tfm.range %start, %limit, %delta : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Trilu keeps col - row <= k (lower) or >= k (upper) over the last two dims
// and zeroes the rest.
// CHECK-LABEL: func.func @trilu
// CHECK-DAG: %[[FALSE:.+]] = arith.constant false
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: f32,
// CHECK-NEXT: %[[R:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[C:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[D:.+]] = arith.subi %[[C]], %[[R]] : index
// CHECK-NEXT: %[[K:.+]] = arith.cmpi sle, %[[D]], %c0 : index
// CHECK-NEXT: arith.select %[[K]], %[[IN]], %[[ZERO]] : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<?x4x4xi1>)
// CHECK-NEXT: ^bb0(%[[IN2:[^:]+]]: i1,
// CHECK-NEXT: %[[R2:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[C2:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[D2:.+]] = arith.subi %[[C2]], %[[R2]] : index
// CHECK-NEXT: %[[K2:.+]] = arith.cmpi sge, %[[D2]], %c1 : index
// CHECK-NEXT: arith.select %[[K2]], %[[IN2]], %[[FALSE]] : i1
func.func @trilu(%ones: tensor<?x?xf32>, %b: tensor<?x4x4xi1>) -> (tensor<?x?xf32>, tensor<?x4x4xi1>) {
  %0 = tfm.trilu %ones {upper = false, k = 0 : i64} : tensor<?x?xf32>
  %1 = tfm.trilu %b {k = 1 : i64} : tensor<?x4x4xi1>
  return %0, %1 : tensor<?x?xf32>, tensor<?x4x4xi1>
}

// -----

// ScatterND: each index component is checked in range first (like
// gather's, unless check-indices=false), then loops over the index tuples
// and the slice elements carry the data tensor; each update is inserted at
// its (wrapped) index.
// CHECK-LABEL: func.func @scatter_nd
// CHECK: tfm.runtime_check %{{.+}}, "tfm.scatter_nd: index {0} is out of range for dimension 0 of size {1}"
// NOCHECK-LABEL: func.func @scatter_nd
// NOCHECK-NOT: tfm.runtime_check
// NOCHECK: scf.for
// CHECK: %[[R:.+]] = scf.for %[[T:.+]] = %c0 to %c2 step %c1 iter_args(%[[D:.+]] = %arg0) -> (tensor<4x8xf32>)
// CHECK: scf.for %[[S:.+]] = %c0 to %c8 step %c1 iter_args(%[[D2:.+]] = %[[D]]) -> (tensor<4x8xf32>)
// CHECK: %[[IDX:.+]] = tensor.extract %arg1[%[[T]], %c0] : tensor<2x1xi64>
// CHECK: %[[I:.+]] = arith.index_cast %[[IDX]] : i64 to index
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[I]], %c0
// CHECK: %[[WRAP:.+]] = arith.addi %[[I]], %c4
// CHECK: %[[J:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[I]]
// CHECK: %[[U:.+]] = tensor.extract %arg2[%[[T]], %[[S]]] : tensor<2x8xf32>
// CHECK: %[[NEW:.+]] = tensor.insert %[[U]] into %[[D2]][%[[J]], %[[S]]] : tensor<4x8xf32>
// CHECK: scf.yield %[[NEW]]
// CHECK: return %[[R]]
func.func @scatter_nd(%d: tensor<4x8xf32>, %i: tensor<2x1xi64>, %u: tensor<2x8xf32>) -> tensor<4x8xf32> {
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Dynamic data, several index components and a dynamic slice dim.
// CHECK-LABEL: func.func @scatter_nd_dynamic
// CHECK: tfm.runtime_check %{{.+}}, "tfm.scatter_nd: index {0} is out of range for dimension 0 of size {1}"
// CHECK: tfm.runtime_check %{{.+}}, "tfm.scatter_nd: index {0} is out of range for dimension 1 of size {1}"
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract %arg1[%{{.+}}, %c0] : tensor<?x2xi64>
// CHECK: tensor.extract %arg1[%{{.+}}, %c1] : tensor<?x2xi64>
// CHECK: tensor.insert %{{.+}} into %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] : tensor<?x?x?xf32>
func.func @scatter_nd_dynamic(%d: tensor<?x?x?xf32>, %i: tensor<?x2xi64>, %u: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<?x?x?xf32>, tensor<?x2xi64>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}
