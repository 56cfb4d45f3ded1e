// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM

// The matmul family of tfm-to-linalg (Matmul.cpp): tfm.matmul becomes a
// linalg.fill of 0 and one contraction linalg.generic with loops
// (batch..., m, k, n) -- k a reduction, n innermost -- whose body is
// mulf + addf; transposes and broadcast batch dims live in its indexing
// maps. The epilogue (bias, activation, residual) is one more elementwise
// generic. The checks assert the maps, the iterator types, the body and the
// epilogue's scalar ops.

// NOTFM-NOT: = tfm.

// A 3-D lhs against a 2-D weight: the weight ignores the batch loop.
// CHECK-DAG: #[[LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul
// CHECK: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[B:.+]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[M:.+]] = tensor.dim %arg0, %c1
// CHECK: %[[E:.+]] = tensor.empty(%[[B]], %[[M]]) : tensor<?x?x32xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?x?x32xf32>)
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %arg1 : tensor<?x?x16xf32>, tensor<16x32xf32>) outs(%[[ACC]] : tensor<?x?x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:[^:]+]]: f32, %[[W:[^:]+]]: f32, %[[O:[^:]+]]: f32):
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[A]], %[[W]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[O]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @matmul(%x: tensor<?x?x16xf32>, %w: tensor<16x32xf32>) -> tensor<?x?x32xf32> {
  %0 = tfm.matmul %x, %w : (tensor<?x?x16xf32>, tensor<16x32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

// The full epilogue in one generic: (product + bias), GELU, + residual.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul_full_epilogue
// CHECK: %[[P:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0, %arg1 : tensor<?x16xf32>, tensor<16x32xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %arg2, %arg3 : tensor<?x32xf32>, tensor<32xf32>, tensor<?x32xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[B:[^:]+]]: f32, %[[RES:[^:]+]]: f32,
// CHECK-NEXT: %[[XB:.+]] = arith.addf %[[X]], %[[B]] : f32
// CHECK: math.erf
// CHECK: %[[G:.+]] = arith.mulf %[[XB]], %{{.+}} : f32
// CHECK-NEXT: %[[Y:.+]] = arith.addf %[[G]], %[[RES]] : f32
// CHECK-NEXT: linalg.yield %[[Y]]
func.func @matmul_full_epilogue(%x: tensor<?x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>, %r: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = tfm.matmul %x, %w bias %b activation gelu residual %r : (tensor<?x16xf32>, tensor<16x32xf32>, tensor<32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Bias only, and residual only.
// CHECK-LABEL: func.func @matmul_bias_residual
// CHECK: %[[P:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}} ins(%[[P]], %arg2 : tensor<4x16xf32>, tensor<16xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[B:[^:]+]]: f32,
// CHECK-NEXT: %[[Y:.+]] = arith.addf %[[X]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[Y]]
// CHECK: %[[P2:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}} ins(%[[P2]], %arg3 : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK-NEXT: ^bb0(%[[X2:[^:]+]]: f32, %[[R:[^:]+]]: f32,
// CHECK-NEXT: %[[Y2:.+]] = arith.addf %[[X2]], %[[R]] : f32
// CHECK-NEXT: linalg.yield %[[Y2]]
func.func @matmul_bias_residual(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>, %r: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = tfm.matmul %x, %w bias %b : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = tfm.matmul %x, %w residual %r : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Each activation in the epilogue.
// CHECK-LABEL: func.func @matmul_activations
// CHECK-DAG: %[[C:.+]] = arith.constant 4.471500e-02 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// relu
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NEXT: ^bb0(%[[X0:[^:]+]]: f32,
// CHECK-NEXT: arith.maximumf %[[X0]], %[[ZERO]] : f32
// gelu_tanh
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: arith.mulf %{{.+}}, %[[C]]
// CHECK: math.tanh
// silu
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NEXT: ^bb0(%[[X2:[^:]+]]: f32,
// CHECK-NEXT: arith.negf %[[X2]]
// CHECK-NEXT: math.exp
// CHECK-NEXT: arith.addf
// CHECK-NEXT: %[[SIG:.+]] = arith.divf
// CHECK-NEXT: arith.mulf %[[X2]], %[[SIG]]
// sigmoid
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NEXT: ^bb0(%[[X3:[^:]+]]: f32,
// CHECK-NEXT: arith.negf %[[X3]]
// CHECK-NEXT: math.exp
// CHECK-NEXT: arith.addf
// CHECK-NEXT: %[[S3:.+]] = arith.divf
// CHECK-NEXT: linalg.yield %[[S3]]
// tanh
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NEXT: ^bb0(%[[X4:[^:]+]]: f32,
// CHECK-NEXT: math.tanh %[[X4]]
func.func @matmul_activations(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = tfm.matmul %x, %w activation relu : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %1 = tfm.matmul %x, %w activation gelu_tanh : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %2 = tfm.matmul %x, %w activation silu : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %3 = tfm.matmul %x, %w activation sigmoid : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %4 = tfm.matmul %x, %w activation tanh : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0, %1, %2, %3, %4 : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// transpose_rhs reads rhs as (n, k): q x k^T over heads; transpose_lhs
// reads lhs as (k, m).
// CHECK-DAG: #[[Q:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[KT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-DAG: #[[S:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[AT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[O:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_transpose
// The batch dim is dynamic on both sides: each side must be the larger
// size or 1 (checked at run time), and a side that is 1 is repeated.
// CHECK-DAG: %[[BQ:.+]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[BK:.+]] = tensor.dim %arg1, %c0
// CHECK: %[[B0:.+]] = arith.maxsi %[[BQ]], %[[BK]] : index
// CHECK: tfm.runtime_check %{{.+}}, "tfm.matmul: cannot broadcast operand 0's dimension 0 of size {0} against size {1}"(%[[BQ]], %[[B0]] : index, index)
// CHECK: %[[QB:.+]] = scf.if
// CHECK: tfm.runtime_check %{{.+}}, "tfm.matmul: cannot broadcast operand 1's dimension 0 of size {0} against size {1}"(%[[BK]], %[[B0]] : index, index)
// CHECK: %[[KB:.+]] = scf.if
// CHECK-DAG: %[[SQ:.+]] = tensor.dim %[[QB]], %c2
// CHECK-DAG: %[[SK:.+]] = tensor.dim %[[KB]], %c2
// CHECK: tensor.empty(%[[B0]], %[[SQ]], %[[SK]]) : tensor<?x12x?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[KT]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[QB]], %[[KB]] : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[AT]], #[[B]], #[[O]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%arg2, %arg3 : tensor<?x64x32xf32>, tensor<64x16xf32>)
func.func @matmul_transpose(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %a: tensor<?x64x32xf32>, %b: tensor<64x16xf32>) -> (tensor<?x12x?x?xf32>, tensor<?x32x16xf32>) {
  %0 = tfm.matmul %q, %k {transpose_rhs} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
  %1 = tfm.matmul %a, %b {transpose_lhs} : (tensor<?x64x32xf32>, tensor<64x16xf32>) -> tensor<?x32x16xf32>
  return %0, %1 : tensor<?x12x?x?xf32>, tensor<?x32x16xf32>
}

// -----

// A static batch dim of 1 broadcasts by reading index 0.
// CHECK-DAG: #[[LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d2)>
// CHECK-DAG: #[[RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @matmul_batch_broadcast
// CHECK: tensor.empty() : tensor<3x4x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %arg1 : tensor<1x4x8xf32>, tensor<3x8x5xf32>)
func.func @matmul_batch_broadcast(%a: tensor<1x4x8xf32>, %b: tensor<3x8x5xf32>) -> tensor<3x4x5xf32> {
  %0 = tfm.matmul %a, %b : (tensor<1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<3x4x5xf32>
  return %0 : tensor<3x4x5xf32>
}

// Not covered: a quantized rhs (weight-only quantization); the pattern
// declines it and the pass reports "kiln cannot lower 'tfm.matmul'".
