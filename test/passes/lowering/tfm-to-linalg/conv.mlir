// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM

// The convolution family of tfm-to-linalg (Conv.cpp): a 2-D, group-1
// tfm.conv becomes linalg.conv_2d_nchw_fchw (strides and dilations as
// attributes) into a zero-filled init, after a tensor.pad of the input by
// the begin/end pads when any is non-zero; a bias [M] is viewed as
// [M, 1, 1] (tensor.expand_shape) and added by a broadcasting generic. The
// checks assert the pad, the conv's attributes and operands, the output
// size arithmetic for dynamic dims and the bias epilogue.

// NOTFM-NOT: = tfm.

// ViT-style patch embedding: no padding, stride = kernel, with bias.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT: tensor.pad
// CHECK: %[[N:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[E:.+]] = tensor.empty(%[[N]]) : tensor<?x8x8x8xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?x8x8x8xf32>)
// CHECK: %[[CONV:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<4> : tensor<2xi64>} ins(%arg0, %arg1 : tensor<?x3x32x32xf32>, tensor<8x3x4x4xf32>) outs(%[[ACC]] : tensor<?x8x8x8xf32>)
// CHECK: %[[B3:.+]] = tensor.expand_shape %arg2 {{\[}}[0, 1, 2]] output_shape [8, 1, 1] : tensor<8xf32> into tensor<8x1x1xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[BIAS]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[CONV]], %[[B3]] : tensor<?x8x8x8xf32>, tensor<8x1x1xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32, %[[B:[^:]+]]: f32,
// CHECK-NEXT: arith.addf %[[X]], %[[B]] : f32
func.func @conv(%img: tensor<?x3x32x32xf32>, %w: tensor<8x3x4x4xf32>, %b: tensor<8xf32>) -> tensor<?x8x8x8xf32> {
  %0 = tfm.conv %img, %w, %b {strides = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x3x32x32xf32>, tensor<8x3x4x4xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

// Padding: begin pads low, end pads high, zeros; no bias, no epilogue.
// CHECK-LABEL: func.func @conv_padded_strided
// CHECK: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.+]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[Z]] : f32
// CHECK: } : tensor<1x4x10x9xf32> to tensor<1x4x12x11xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.+}} : tensor<1x6x5x5xf32>)
// CHECK: %[[CONV:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %arg1 : tensor<1x4x12x11xf32>, tensor<6x4x3x3xf32>) outs(%[[ACC]] : tensor<1x6x5x5xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[CONV]]
func.func @conv_padded_strided(%x: tensor<1x4x10x9xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x5x5xf32> {
  %0 = tfm.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x10x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}

// -----

// Dynamic spatial dims: O = (P - dilation * (K - 1) - 1) / stride + 1 from
// the padded input P; asymmetric pads, per-dim strides and dilations.
// CHECK-LABEL: func.func @conv_dynamic
// CHECK: %[[P:.+]] = tensor.pad %arg0 low[0, 0, 1, 0] high[0, 0, 2, 0]
// CHECK: } : tensor<1x4x?x?xf32> to tensor<1x4x?x?xf32>
// CHECK: %[[H:.+]] = tensor.dim %[[P]], %c2
// CHECK: %[[OH:.+]] = arith.subi %[[H]], %c4 : index
// CHECK: %[[W:.+]] = tensor.dim %[[P]], %c3
// CHECK: %[[SW:.+]] = arith.subi %[[W]], %c2 : index
// CHECK: %[[SW1:.+]] = arith.subi %[[SW]], %c1 : index
// CHECK: %[[QW:.+]] = arith.divsi %[[SW1]], %c2 : index
// CHECK: %[[OW:.+]] = arith.addi %[[QW]], %c1 : index
// CHECK: %[[E:.+]] = tensor.empty(%[[OH]], %[[OW]]) : tensor<1x6x?x?xf32>
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>} ins(%[[P]], %arg1 : tensor<1x4x?x?xf32>, tensor<6x4x3x3xf32>)
func.func @conv_dynamic(%x: tensor<1x4x?x?xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x?x?xf32> {
  %0 = tfm.conv %x, %w {strides = array<i64: 1, 2>, pads = array<i64: 1, 0, 2, 0>, dilations = array<i64: 2, 1>} : (tensor<1x4x?x?xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x?x?xf32>
  return %0 : tensor<1x6x?x?xf32>
}

// (What the lowering refuses, and its message: refusals.mlir.)
