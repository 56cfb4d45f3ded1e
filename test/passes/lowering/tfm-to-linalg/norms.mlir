// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM

// The norm family of tfm-to-linalg (Norms.cpp): tfm.layer_norm and
// tfm.rms_norm over dims [axis, rank). The statistics are reductions
// (linalg.generic with "reduction" iterators over those dims into
// zero-filled accumulators): for layer_norm the sum, divided by the count
// into the mean, then the sum of squares of x - mean; for rms_norm the sum
// of squares of x. One parallel generic then computes
// (x [- mean]) * rsqrt(sumsq / count + epsilon) * scale [+ bias]. The checks
// assert the reduction structure, the operands and maps of the final
// generic and its scalar ops.

// NOTFM-NOT: = tfm.

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[PARAM:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[N:.+]] = arith.constant 6.400000e+01 : f32
// CHECK-DAG: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[A0:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x?x64xf32>) outs(%[[A0]] : tensor<?x?xf32>)
// CHECK: arith.addf
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[SUM]] : tensor<?x?xf32>)
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK: %[[A1:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[MEAN]] : tensor<?x?x64xf32>, tensor<?x?xf32>) outs(%[[A1]] : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[M:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[D2:.+]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[D2]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[PARAM]], #[[PARAM]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[SQ]], %[[MEAN]], %arg1, %arg2 : tensor<?x?x64xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[X1:[^:]+]]: f32, %[[S1:[^:]+]]: f32, %[[M1:[^:]+]]: f32, %[[G1:[^:]+]]: f32, %[[B1:[^:]+]]: f32,
// CHECK-NEXT: %[[C:.+]] = arith.subf %[[X1]], %[[M1]] : f32
// CHECK-NEXT: %[[VAR:.+]] = arith.divf %[[S1]], %[[N]] : f32
// CHECK-NEXT: %[[VE:.+]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT: %[[INV:.+]] = math.rsqrt %[[VE]] : f32
// CHECK-NEXT: %[[NORM:.+]] = arith.mulf %[[C]], %[[INV]] : f32
// CHECK-NEXT: %[[SC:.+]] = arith.mulf %[[NORM]], %[[G1]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.addf %[[SC]], %[[B1]] : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32
func.func @layer_norm(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %0 = tfm.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// Normalizing over two dims, one dynamic: the count is computed at run
// time; no bias, so the result is the scaled value.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[PARAM:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @layer_norm_no_bias
// CHECK: %[[D:.+]] = tensor.dim %arg0, %c1
// CHECK: %[[CNT:.+]] = arith.muli %[[D]], %c8
// CHECK: %[[I:.+]] = arith.index_cast %[[CNT]] : index to i64
// CHECK: %[[N:.+]] = arith.sitofp %[[I]] : i64 to f32
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x?x8xf32>)
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xf32>)
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction"]} ins(%arg0, %[[MEAN]] :
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[PARAM]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[SQ]], %[[MEAN]], %arg1 : tensor<2x?x8xf32>, tensor<2xf32>, tensor<2xf32>, tensor<?x8xf32>)
// CHECK: math.rsqrt
// CHECK: %[[NORM:.+]] = arith.mulf
// CHECK-NEXT: %[[Y:.+]] = arith.mulf %[[NORM]], %{{.+}} : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32
func.func @layer_norm_no_bias(%x: tensor<2x?x8xf32>, %gamma: tensor<?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tfm.layer_norm %x, %gamma {axis = 1 : i64} : (tensor<2x?x8xf32>, tensor<?x8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// RMS norm: no mean; one sum of squares, then x * rsqrt(ms + eps) * w.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[PARAM:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @rms_norm
// CHECK-DAG: %[[N:.+]] = arith.constant 6.400000e+01 : f16
// CHECK-DAG: %[[Z:.+]] = arith.constant 0.000000e+00 : f16
// CHECK-DAG: %[[EPS:.+]] = arith.constant 1.013280e-06 : f16
// CHECK: %[[A0:.+]] = linalg.fill ins(%[[Z]] : f16)
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x?x64xf16>) outs(%[[A0]] : tensor<?x?xf16>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f16, %[[ACC:[^:]+]]: f16):
// CHECK-NEXT: %[[X2:.+]] = arith.mulf %[[X]], %[[X]] : f16
// CHECK-NEXT: arith.addf %[[ACC]], %[[X2]] : f16
// CHECK-NOT: arith.subf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[PARAM]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[SQ]], %arg1 : tensor<?x?x64xf16>, tensor<?x?xf16>, tensor<64xf16>)
// CHECK-NEXT: ^bb0(%[[X1:[^:]+]]: f16, %[[S1:[^:]+]]: f16, %[[W1:[^:]+]]: f16,
// CHECK-NEXT: %[[MS:.+]] = arith.divf %[[S1]], %[[N]] : f16
// CHECK-NEXT: %[[MSE:.+]] = arith.addf %[[MS]], %[[EPS]] : f16
// CHECK-NEXT: %[[INV:.+]] = math.rsqrt %[[MSE]] : f16
// CHECK-NEXT: %[[NORM:.+]] = arith.mulf %[[X1]], %[[INV]] : f16
// CHECK-NEXT: %[[Y:.+]] = arith.mulf %[[NORM]], %[[W1]] : f16
// CHECK-NEXT: linalg.yield %[[Y]] : f16
func.func @rms_norm(%x: tensor<?x?x64xf16>, %w: tensor<64xf16>) -> tensor<?x?x64xf16> {
  %0 = tfm.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x?x64xf16>, tensor<64xf16>) -> tensor<?x?x64xf16>
  return %0 : tensor<?x?x64xf16>
}
