// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM

// The reduction family of tfm-to-linalg (Reductions.cpp): tfm.reduce (every
// kind), tfm.argmax, tfm.cumsum and tfm.softmax. A reduction is a
// linalg.generic with "reduction" iterators over the reduced axes, writing a
// linalg.fill'ed accumulator that holds the kind's identity; mean and l2
// finish with an elementwise generic, keepdims re-inserts the unit dims
// with tensor.expand_shape. The checks assert the init value, the iterator
// types, the output map and the combiner in the body.

// NOTFM-NOT: = tfm.

// Sum over two axes of a float tensor and one axis of an integer one;
// float combiners may be reassociated (fastmath) so that LLVM vectorizes.
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[OUT3:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @reduce_sum
// CHECK-DAG: %[[ZI:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[ZF:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[D:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[ZF]] : f32) outs(%[[E]] : tensor<?xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID3]], #[[OUT3]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%arg0 : tensor<?x?x8xf32>) outs(%[[ACC]] : tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: f32, %[[OUT:[^:]+]]: f32):
// CHECK-NEXT: arith.addf %[[IN]], %[[OUT]] fastmath<reassoc,contract> : f32
// CHECK: %[[ACCI:.+]] = linalg.fill ins(%[[ZI]] : i64)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg1 : tensor<?x8xi64>) outs(%[[ACCI]] : tensor<?xi64>)
// CHECK-NEXT: ^bb0(%[[IN2:[^:]+]]: i64, %[[OUT2:[^:]+]]: i64):
// CHECK-NEXT: arith.addi %[[IN2]], %[[OUT2]] : i64
func.func @reduce_sum(%x: tensor<?x?x8xf32>, %i: tensor<?x8xi64>) -> (tensor<?xf32>, tensor<?xi64>) {
  %0 = tfm.reduce sum %x {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x?x8xf32>) -> tensor<?xf32>
  %1 = tfm.reduce sum %i {axes = array<i64: 1>, keepdims = false} : (tensor<?x8xi64>) -> tensor<?xi64>
  return %0, %1 : tensor<?xf32>, tensor<?xi64>
}

// -----

// Mean: the sum, divided by the element count (static here), then keepdims.
// CHECK-LABEL: func.func @reduce_mean
// CHECK-DAG: %[[N:.+]] = arith.constant 8.000000e+00 : f32
// CHECK-DAG: %[[ZF:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[ZF]] : f32)
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x?x8xf32>) outs(%[[ACC]] : tensor<?x?xf32>)
// CHECK: arith.addf
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[SUM]] : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: f32,
// CHECK-NEXT: arith.divf %[[IN]], %[[N]] : f32
// CHECK: tensor.expand_shape %[[MEAN]] {{\[}}[0], [1, 2]] output_shape [%{{.+}}, %{{.+}}, 1] : tensor<?x?xf32> into tensor<?x?x1xf32>
func.func @reduce_mean(%x: tensor<?x?x8xf32>) -> tensor<?x?x1xf32> {
  %0 = tfm.reduce mean %x {axes = array<i64: 2>} : (tensor<?x?x8xf32>) -> tensor<?x?x1xf32>
  return %0 : tensor<?x?x1xf32>
}

// -----

// Mean over a dynamic axis counts its size at run time.
// CHECK-LABEL: func.func @reduce_mean_dynamic
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: %[[D:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[I64:.+]] = arith.index_cast %[[D]] : index to i64
// CHECK: %[[F:.+]] = arith.sitofp %[[I64]] : i64 to f32
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK: arith.divf %{{.+}}, %[[F]] : f32
func.func @reduce_mean_dynamic(%x: tensor<?x4xf32>) -> tensor<4xf32> {
  %0 = tfm.reduce mean %x {axes = array<i64: 0>, keepdims = false} : (tensor<?x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Max starts from -inf (floats) or the least integer; min from +inf; all
// axes with keepdims reduce to a 0-d tensor expanded back to 1x1.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ALL:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @reduce_max_min
// CHECK-DAG: %[[IMIN:.+]] = arith.constant -2147483648 : i32
// CHECK-DAG: %[[PINF:.+]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[A0:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.+}} : tensor<4xf32>)
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<4x8xf32>) outs(%[[A0]] : tensor<4xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %[[MAX]] {{\[}}[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
// CHECK: %[[A1:.+]] = linalg.fill ins(%[[PINF]] : f32) outs(%{{.+}} : tensor<f32>)
// CHECK: %[[MIN:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%arg0 : tensor<4x8xf32>) outs(%[[A1]] : tensor<f32>)
// CHECK: arith.minimumf
// CHECK: tensor.expand_shape %[[MIN]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: %[[A2:.+]] = linalg.fill ins(%[[IMIN]] : i32) outs(%{{.+}} : tensor<4xi32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg1 : tensor<4x8xi32>) outs(%[[A2]] : tensor<4xi32>)
// CHECK: arith.maxsi
// CHECK: %[[A3:.+]] = linalg.fill ins(%{{.+}} : i32) outs(%{{.+}} : tensor<4xi32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg1 : tensor<4x8xi32>) outs(%[[A3]] : tensor<4xi32>)
// CHECK: arith.minsi
func.func @reduce_max_min(%x: tensor<4x8xf32>, %i: tensor<4x8xi32>) -> (tensor<4x1xf32>, tensor<1x1xf32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = tfm.reduce max %x {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %1 = tfm.reduce min %x {axes = array<i64: 0, 1>} : (tensor<4x8xf32>) -> tensor<1x1xf32>
  %2 = tfm.reduce max %i {axes = array<i64: 1>, keepdims = false} : (tensor<4x8xi32>) -> tensor<4xi32>
  %3 = tfm.reduce min %i {axes = array<i64: 1>, keepdims = false} : (tensor<4x8xi32>) -> tensor<4xi32>
  return %0, %1, %2, %3 : tensor<4x1xf32>, tensor<1x1xf32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @reduce_prod
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[ONE]] : f32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<4x8xf32>) outs(%[[ACC]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: f32, %[[OUT:[^:]+]]: f32):
// CHECK-NEXT: arith.mulf %[[IN]], %[[OUT]] fastmath<reassoc,contract> : f32
func.func @reduce_prod(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %0 = tfm.reduce prod %x {axes = array<i64: 1>, keepdims = false} : (tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// sum_square accumulates x * x; l2 is its square root.
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @reduce_sum_square_l2
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<4x8xf32>) outs(%{{.+}} : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]+]]: f32, %[[OUT:[^:]+]]: f32):
// CHECK-NEXT: %[[SQ:.+]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK-NEXT: arith.addf %[[OUT]], %[[SQ]] fastmath<reassoc,contract> : f32
// CHECK: %[[SS:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<4x8xf32>) outs(%{{.+}} : tensor<8xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[SS]] : tensor<8xf32>)
// CHECK-NEXT: ^bb0(%[[IN2:[^:]+]]: f32,
// CHECK-NEXT: math.sqrt %[[IN2]] : f32
func.func @reduce_sum_square_l2(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<8xf32>) {
  %0 = tfm.reduce sum_square %x {axes = array<i64: 1>, keepdims = false} : (tensor<4x8xf32>) -> tensor<4xf32>
  %1 = tfm.reduce l2 %x {axes = array<i64: 0>, keepdims = false} : (tensor<4x8xf32>) -> tensor<8xf32>
  return %0, %1 : tensor<4xf32>, tensor<8xf32>
}

// -----

// ArgMax: one reduction with two results, the running maximum (from -inf)
// and its index (from 0); a strictly greater element takes over, so the
// first occurrence wins. keepdims expands the index result.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @argmax
// CHECK-DAG: %[[Z:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[V0:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.+}} : tensor<?xf32>)
// CHECK: %[[I0:.+]] = linalg.fill ins(%[[Z]] : i64) outs(%{{.+}} : tensor<?xi64>)
// CHECK: %[[G:.+]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x16xf32>) outs(%[[V0]], %[[I0]] : tensor<?xf32>, tensor<?xi64>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[M:[^:]+]]: f32, %[[IDX:[^:]+]]: i64):
// CHECK-NEXT: %[[GT:.+]] = arith.cmpf ogt, %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[J:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[J64:.+]] = arith.index_cast %[[J]] : index to i64
// CHECK-NEXT: %[[NM:.+]] = arith.select %[[GT]], %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[NI:.+]] = arith.select %[[GT]], %[[J64]], %[[IDX]] : i64
// CHECK-NEXT: linalg.yield %[[NM]], %[[NI]] : f32, i64
// CHECK: tensor.expand_shape %[[G]]#1 {{\[}}[0, 1]] output_shape [%{{.+}}, 1] : tensor<?xi64> into tensor<?x1xi64>
func.func @argmax(%x: tensor<?x16xf32>) -> tensor<?x1xi64> {
  %0 = tfm.argmax %x {axis = 1 : i64} : (tensor<?x16xf32>) -> tensor<?x1xi64>
  return %0 : tensor<?x1xi64>
}

// -----

// Integer argmax over the leading axis compares signed, from the least i32.
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @argmax_int
// CHECK-DAG: %[[IMIN:.+]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[IMIN]] : i32)
// CHECK: %[[G:.+]]:2 = linalg.generic {indexing_maps = [#{{.+}}, #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<?x4xi32>)
// CHECK: arith.cmpi sgt, %{{.+}}, %{{.+}} : i32
// CHECK: linalg.index 0 : index
// CHECK: return %[[G]]#1 : tensor<4xi64>
func.func @argmax_int(%x: tensor<?x4xi32>) -> tensor<4xi64> {
  %0 = tfm.argmax %x {axis = 0 : i64, keepdims = false} : (tensor<?x4xi32>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CumSum: a masked reduction with the summed position j as an extra,
// innermost reduction loop; inclusive takes j <= i, exclusive reverse j > i.
// CHECK-DAG: #[[IN1:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[IN0:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @cumsum
// CHECK-DAG: %[[ZF:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ZI:.+]] = arith.constant 0 : i64
// CHECK: %[[A0:.+]] = linalg.fill ins(%[[ZI]] : i64) outs(%{{.+}} : tensor<?x?xi64>)
// CHECK: linalg.generic {indexing_maps = [#[[IN1]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x?xi64>) outs(%[[A0]] : tensor<?x?xi64>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: i64, %[[ACC:[^:]+]]: i64):
// CHECK-NEXT: %[[I:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[J:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[TAKE:.+]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK-NEXT: %[[V:.+]] = arith.select %[[TAKE]], %[[X]], %[[ZI]] : i64
// CHECK-NEXT: arith.addi %[[ACC]], %[[V]] : i64
// CHECK: %[[A1:.+]] = linalg.fill ins(%[[ZF]] : f32) outs(%{{.+}} : tensor<?x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IN0]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg1 : tensor<?x16xf32>) outs(%[[A1]] : tensor<?x16xf32>)
// CHECK-NEXT: ^bb0(%[[X2:[^:]+]]: f32, %[[ACC2:[^:]+]]: f32):
// CHECK-NEXT: %[[I2:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[J2:.+]] = linalg.index 2 : index
// CHECK-NEXT: arith.cmpi sgt, %[[J2]], %[[I2]] : index
// CHECK-NEXT: arith.select
// CHECK-NEXT: arith.addf %[[ACC2]], %{{.+}} : f32
func.func @cumsum(%mask: tensor<?x?xi64>, %x: tensor<?x16xf32>) -> (tensor<?x?xi64>, tensor<?x16xf32>) {
  %0 = tfm.cumsum %mask {axis = 1 : i64} : tensor<?x?xi64>
  %1 = tfm.cumsum %x {axis = 0 : i64, exclusive, reverse} : tensor<?x16xf32>
  return %0, %1 : tensor<?x?xi64>, tensor<?x16xf32>
}

// -----

// The other two scan directions: exclusive takes j < i, reverse j >= i.
// CHECK-LABEL: func.func @cumsum_variants
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.cmpi slt, %{{.+}}, %{{.+}} : index
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.cmpi sge, %{{.+}}, %{{.+}} : index
func.func @cumsum_variants(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = tfm.cumsum %x {axis = 1 : i64, exclusive} : tensor<4x8xf32>
  %1 = tfm.cumsum %x {axis = 1 : i64, reverse} : tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Softmax over the last axis: a max reduction (from -inf), exp(x - max)
// (0 where the max is -inf), a sum reduction (from 0), and a division
// (0 for an all-zero sum).
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @softmax
// CHECK-DAG: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[M0:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.+}} : tensor<2x?xf32>)
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<2x?x8xf32>) outs(%[[M0]] : tensor<2x?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[MAX]] : tensor<2x?x8xf32>, tensor<2x?xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[M:[^:]+]]: f32,
// CHECK-NEXT: %[[INF:.+]] = arith.cmpf oeq, %[[M]], %[[NINF]] : f32
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[D]] : f32
// CHECK-NEXT: arith.select %[[INF]], %[[Z]], %[[E]] : f32
// CHECK: %[[S0:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.+}} : tensor<2x?xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[EXP]] : tensor<2x?x8xf32>) outs(%[[S0]] : tensor<2x?xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[EXP]], %[[SUM]] : tensor<2x?x8xf32>, tensor<2x?xf32>)
// CHECK-NEXT: ^bb0(%[[A:[^:]+]]: f32, %[[B:[^:]+]]: f32,
// CHECK-NEXT: %[[ZS:.+]] = arith.cmpf oeq, %[[B]], %[[Z]] : f32
// CHECK-NEXT: %[[Q:.+]] = arith.divf %[[A]], %[[B]] : f32
// CHECK-NEXT: arith.select %[[ZS]], %[[Z]], %[[Q]] : f32
func.func @softmax(%x: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tfm.softmax %x {axis = 2 : i64} : tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// Log-softmax over a middle axis: x - max - log(sum).
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[MID:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @log_softmax
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[MID]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<2x?x8xf32>) outs(%{{.+}} : tensor<2x8xf32>)
// CHECK: arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic {{.*}} ins(%arg0, %[[MAX]] :
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[EXP]] :
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[MID]], #[[MID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[MAX]], %[[SUM]] :
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[M:[^:]+]]: f32, %[[S:[^:]+]]: f32,
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[L:.+]] = math.log %[[S]] : f32
// CHECK-NEXT: arith.subf %[[D]], %[[L]] : f32
func.func @log_softmax(%x: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tfm.softmax %x {axis = 1 : i64, log} : tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}
