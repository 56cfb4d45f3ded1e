// tfm-quantize-matmuls: each scheme's integer codes, checked byte by byte
// in the resource blobs (a blob prints as 0x, its alignment as 4 bytes,
// then its data), with round-half-even ties, saturation, a zero channel
// and a last group shorter than the others.
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls=scheme=w8a8 | FileCheck %s --check-prefix=W8A8
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls=scheme=llm-int8 | FileCheck %s --check-prefix=INT8
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w4 group-size=16 grid=min-max" | FileCheck %s --check-prefix=W4
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w8 group-size=16 grid=min-max" | FileCheck %s --check-prefix=W8
// RUN: kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w4 group-size=16" | FileCheck %s --check-prefix=LEAST
// RUN: not kiln-opt %s --split-input-file --tfm-quantize-matmuls=scheme=int3 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w4 group-size=24" 2>&1 | FileCheck %s --check-prefix=BADGROUP
// RUN: not kiln-opt %s --split-input-file --tfm-quantize-matmuls="scheme=w4 grid=mse" 2>&1 | FileCheck %s --check-prefix=BADGRID

// BAD: tfm-quantize-matmuls: unknown scheme 'int3' (w8a8, llm-int8, w8a8-static, w8, w4)
// BADGROUP: tfm-quantize-matmuls: group-size must be a positive multiple of 16, got 24
// BADGRID: tfm-quantize-matmuls: unknown grid 'mse' (least-error, min-max)

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
// Group 1: (0.25, 0.5, -0.75, 0): scale 1.25 / 15 (as a half
// 0.0833129883, 0x3DAAA000), offset -0.75: codes 12, 15, 0, 9.
// W4-LABEL: func.func @groups
// W4: %[[W:.*]] = tfm.constant dense_resource<quantized_weight> : tensor<1x20xi8>
// W4: %[[S:.*]] = tfm.constant dense_resource<weight_scale> : tensor<1x2xf32>
// W4: %[[O:.*]] = tfm.constant dense_resource<weight_offset> : tensor<1x2xf32>
// W4: tfm.quantized_matmul %arg0, %[[W]], %[[S]] offset %[[O]] bits 4 group_size 16 lhs none : (tensor<2x20xf32>, tensor<1x20xi8>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<2x1xf32>
// W4: quantized_weight: "0x01000000000F0202040404040404040404040404
// W4-SAME: 0C0F0009"
// W4: weight_scale: "0x040000000000803F00A0AA3D"
// W4: weight_offset: "0x04000000000080BF000040BF"
// The same with 8 bits, stored minus 128 (offset lo + 128 * scale), the
// scales and offsets rounded to halves (all are in the normal half range):
// scale 15/255 -> 0.058837890625 (0x3D710000), offset -1 + 128 * that =
// 6.53125 (0x40D10000, exact); on that grid the 0.5, 1.5 and 2.5 are no
// ties any more: group 0 codes -128, 127, -103, -86, -69.
// W8-LABEL: func.func @groups
// W8: tfm.quantized_matmul {{.*}} offset {{.*}} bits 8 group_size 16 lhs none
// W8: quantized_weight: "0x01000000807F99AABB
// W8: weight_scale: "0x040000000000713D
// W8: weight_offset: "0x040000000000D140
func.func @groups(%x: tensor<2x20xf32>) -> tensor<2x1xf32> {
  %w = tfm.constant dense<[[-1.0, 14.0, 0.5, 1.5, 2.5, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 0.25, 0.5, -0.75, 0.0]]> : tensor<1x20xf32>
  %y = tfm.matmul %x, %w {transpose_rhs} : (tensor<2x20xf32>, tensor<1x20xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// The least-error grid. W = (0, 1, ..., 14, 15.5), each error weighted by
// sqrt(sigma^2 + W^2): min-max steps of 15.5 / 15 (offset 0) misplace
// every weight a little (weighted squared error 15.96); the search takes
// codes 0..15 (15.5 clipped by a grid of 15.5 steps) and refits scale
// 1.01403, offset -0.07426 to them by least squares (error 3.25), then
// rounds both to halves: 1.013672 (0x3F81C000), -0.074219 (0xBD982000).
// With calibrated inputs channel 15 (|x| up to 4) counts 16 times the
// others (|x| up to 1), so the fit leans its way: scale 1.04413 -> half
// 1.043945, offset -0.23356 -> -0.233521 (weighted error 10.23, min-max
// 15.99). All checked against numpy's lstsq.
// W4-LABEL: func.func @least_error
// W4: weight_scale: "0x040000000040843F"
// W4: weight_offset: "0x0400000000000000"
// LEAST-LABEL: func.func @least_error
// LEAST: tfm.quantized_matmul {{.*}} bits 4 group_size 16 lhs none
// LEAST: quantized_weight: "0x01000000000102030405060708090A0B0C0D0E0F"
// LEAST: weight_scale: "0x0400000000C0813F"
// LEAST: weight_offset: "0x04000000002098BD"
func.func @least_error(%x: tensor<2x16xf32>) -> tensor<2x1xf32> {
  %w = tfm.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.5]]> : tensor<1x16xf32>
  %y = tfm.matmul %x, %w {transpose_rhs} : (tensor<2x16xf32>, tensor<1x16xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// LEAST-LABEL: func.func @weighted
// LEAST: quantized_weight: "0x01000000000102030405060708090A0B0C0D0E0F"
// LEAST: weight_scale: "0x0400000000A0853F"
// LEAST: weight_offset: "0x0400000000206FBE"
func.func @weighted(%x: tensor<2x16xf32>) -> tensor<2x1xf32> {
  %w = tfm.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.5]]> : tensor<1x16xf32>
  %y = tfm.matmul %x, %w {transpose_rhs, tfm.lhs_min = array<f32: 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -4.0>, tfm.lhs_max = array<f32: 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0>} : (tensor<2x16xf32>, tensor<1x16xf32>) -> tensor<2x1xf32>
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
