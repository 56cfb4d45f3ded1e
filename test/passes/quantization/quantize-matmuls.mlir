// tfm-quantize-matmuls: each scheme's integer codes, checked byte by byte
// in the resource blobs (a blob prints as 0x, its alignment as 4 bytes,
// then its data), with round-half-even ties, saturation, a zero channel
// and a last group shorter than the others.
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls=scheme=w8a8 | FileCheck %s --check-prefix=W8A8
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls=scheme=llm-int8 | FileCheck %s --check-prefix=INT8
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w4 group-size=16" | FileCheck %s --check-prefix=W4
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w8 group-size=16" | FileCheck %s --check-prefix=W8
// RUN: not kiln-opt %s --split-input-file --tfm-quantize-matmuls=scheme=int3 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w4 group-size=24" 2>&1 | FileCheck %s --check-prefix=BADGROUP

// BAD: tfm-quantize-matmuls: unknown scheme 'int3' (w8a8, llm-int8, w8a8-static, w8, w4)
// BADGROUP: tfm-quantize-matmuls: group-size must be a positive multiple of 16, got 24

// Weight [K = 4, N = 2]: channel 0 is (127, 0.5, 1.5, -2.5), scale 1;
// channel 1 is all zeros (scale 1, codes 0).
// W8A8-LABEL: func.func @per_channel
// W8A8: %[[W:.*]] = tfm.constant dense_resource<quantized_weight> : tensor<2x4xi8>
// W8A8: %[[S:.*]] = tfm.constant dense_resource<weight_scale> : tensor<2x1xf32>
// W8A8: tfm.quantized_matmul %arg0, %[[W]], %[[S]] bias %arg1 activation gelu bits 8 group_size 0 lhs per_token {tfm.name = "fc"} : (tensor<?x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>, tensor<2xf32>) -> tensor<?x2xf32>
// W8A8-NOT: tfm.matmul
// W8A8: quantized_weight: "0x010000007F0002FE00000000"
// W8A8: weight_scale: "0x040000000000803F0000803F"
// INT8-LABEL: func.func @per_channel
// INT8: tfm.quantized_matmul {{.*}} bits 8 group_size 0 lhs per_token {outlier_threshold = 6.000000e+00 : f32, tfm.name = "fc"}
func.func @per_channel(%x: tensor<?x4xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  %w = tfm.constant dense<[[127.0, 0.0], [0.5, 0.0], [1.5, 0.0], [-2.5, 0.0]]> : tensor<4x2xf32>
  %y = tfm.matmul %x, %w bias %b activation gelu {tfm.name = "fc"} : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Weight [N = 1, K = 20] (transpose_rhs), groups of 16 then 4.
// Group 0: lo = -1, hi = 14, scale 1, offset -1: codes round(w + 1)
// (0.5 -> 2, 1.5 -> 2, 2.5 -> 4: ties to even).
// Group 1: (0.25, 0.5, -0.75, 0): scale 1.25 / 15, offset -0.75: codes
// 12, 15, 0, 9.
// W4-LABEL: func.func @groups
// W4: %[[W:.*]] = tfm.constant dense_resource<quantized_weight> : tensor<1x20xi8>
// W4: %[[S:.*]] = tfm.constant dense_resource<weight_scale> : tensor<1x2xf32>
// W4: %[[O:.*]] = tfm.constant dense_resource<weight_offset> : tensor<1x2xf32>
// W4: tfm.quantized_matmul %arg0, %[[W]], %[[S]] offset %[[O]] bits 4 group_size 16 lhs none : (tensor<2x20xf32>, tensor<1x20xi8>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<2x1xf32>
// W4: quantized_weight: "0x01000000000F0202040404040404040404040404
// W4-SAME: 0C0F0009"
// W4: weight_scale: "0x040000000000803F
// W4: weight_offset: "0x04000000000080BF000040BF"
// The same with 8 bits, stored minus 128 (offset lo + 128 * scale):
// scales 15/255 and 1.25/255; group 0 codes -128, 127, -102, -86, -68
// W8-LABEL: func.func @groups
// W8: tfm.quantized_matmul {{.*}} offset {{.*}} bits 8 group_size 16 lhs none
// W8: quantized_weight: "0x01000000807F9AAABC
func.func @groups(%x: tensor<2x20xf32>) -> tensor<2x1xf32> {
  %w = tfm.constant dense<[[-1.0, 14.0, 0.5, 1.5, 2.5, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 0.25, 0.5, -0.75, 0.0]]> : tensor<1x20xf32>
  %y = tfm.matmul %x, %w {transpose_rhs} : (tensor<2x20xf32>, tensor<1x20xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Near misses: a weight that is an input, a transposed lhs.
// W8A8-LABEL: func.func @left_alone
// W8A8-NOT: tfm.quantized_matmul
// W8A8: tfm.matmul
// W8A8: tfm.matmul
// W8A8-NOT: tfm.quantized_matmul
func.func @left_alone(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %xt: tensor<4x3xf32>) -> (tensor<?x2xf32>, tensor<3x2xf32>) {
  %c = tfm.constant dense<1.0> : tensor<4x2xf32>
  %y = tfm.matmul %x, %w : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %z = tfm.matmul %xt, %c {transpose_lhs} : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<3x2xf32>
}
