// tfm-fuse-integer-matmuls on statically quantized matmuls (QDQ): a
// tfm.matmul of a dequantized 8-bit weight becomes tfm.quantized_matmul on
// its codes ([N, K], checked byte by byte in the blobs: 0x, 4 bytes of
// alignment, the data), per_tensor_static when its lhs is a per-tensor
// quantize-dequantize pair, else weight-only; other dequantized constants
// fold into floats.
// RUN: kiln-opt %s --split-input-file --tfm-fuse-integer-matmuls | FileCheck %s

// int8 activations (scale 0.5, zero point -3: uint8 codes with zero point
// 125 on the kernel), int8 weight [K = 2, N = 3] per column: codes [N, K]
// = (1, 4), (-2, 5), (3, -128).
// CHECK-LABEL: func.func @static_int8
// CHECK-DAG: %[[W:.*]] = tfm.constant dense_resource<integer_matmul_weight> : tensor<3x2xi8>
// CHECK-DAG: %[[S:.*]] = tfm.constant dense_resource<integer_matmul_scale> : tensor<3x1xf32>
// CHECK: %[[Y:.*]] = tfm.quantized_matmul %arg0, %[[W]], %[[S]] bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 5.000000e-01 : f32, lhs_zero_point = 125 : i64, tfm.name = "mm"}
// CHECK-NOT: tfm.quantize
// CHECK-NOT: tfm.dequantize
// CHECK: return %[[Y]]
// CHECK: integer_matmul_weight: "0x010000000104FE050380"
// CHECK: integer_matmul_scale: "0x040000000000003F0000803F00000040"
func.func @static_int8(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %q = tfm.quantize %x : tensor<?x2xf32> to tensor<?x2x!quant.uniform<i8:f32, 0.5:-3>>
  %a = tfm.dequantize %q : tensor<?x2x!quant.uniform<i8:f32, 0.5:-3>> to tensor<?x2xf32>
  %wq = tfm.constant dense_resource<w> : tensor<2x3x!quant.uniform<i8:f32:1, {0.5, 1.0, 2.0}>>
  %w = tfm.dequantize %wq : tensor<2x3x!quant.uniform<i8:f32:1, {0.5, 1.0, 2.0}>> to tensor<2x3xf32>
  %y = tfm.matmul %a, %w {tfm.name = "mm"} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x0100000001FE03040580"
    }
  }
#-}

// -----

// A float lhs and a uint8 weight per tensor (scale 0.25, zero point 200):
// codes minus 200 do not fit in int8, so the kernel gets codes - 128,
// (0, 100) and (255, 200) -> (-128, -28), (127, 72), with zero point 72
// per channel; weight-only.
// CHECK-LABEL: func.func @weight_only_uint8
// CHECK-DAG: %[[W:.*]] = tfm.constant dense_resource<integer_matmul_weight> : tensor<2x2xi8>
// CHECK-DAG: %[[Z:.*]] = tfm.constant dense_resource<integer_matmul_zero_point> : tensor<2x1xi8>
// CHECK: tfm.quantized_matmul %arg0, %[[W]], %{{.*}} zero_point %[[Z]] bits 8 group_size 0 lhs none
// CHECK: integer_matmul_weight: "0x0100000080E47F48"
// CHECK: integer_matmul_scale: "0x040000000000803E0000803E"
// CHECK: integer_matmul_zero_point: "0x010000004848"
func.func @weight_only_uint8(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wq = tfm.constant dense_resource<w> : tensor<2x2x!quant.uniform<u8:f32, 0.25:200>>
  %w = tfm.dequantize %wq : tensor<2x2x!quant.uniform<u8:f32, 0.25:200>> to tensor<2x2xf32>
  %y = tfm.matmul %x, %w : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x0100000000FF64C8"
    }
  }
#-}

// -----

// Near misses stay matmuls, their weights folded: a weight with one scale
// per row of K (axis 0) cannot leave the sum, nor can a transposed one;
// and a dequantized bias is just floats: (3 - 1, -1 - 1) * 0.5 = (1, -1).
// The rows: (1, 2) * 1 and (2, 3) * 2.
// CHECK-LABEL: func.func @near_misses
// CHECK: %[[R:.*]] = tfm.constant dense_resource<dequantized> : tensor<2x2xf32>
// CHECK: %[[B:.*]] = tfm.constant dense_resource<dequantized_1> : tensor<2xf32>
// CHECK: %[[Y:.*]] = tfm.matmul %arg0, %[[R]] :
// CHECK: tfm.matmul %arg0, %[[R]] {transpose_rhs}
// CHECK: tfm.add %[[Y]], %[[B]]
// CHECK-NOT: tfm.quantized_matmul
// CHECK-NOT: tfm.dequantize
// CHECK: dequantized: "0x040000000000803F00000040000080400000C040"
// CHECK: dequantized_1: "0x040000000000803F000080BF"
func.func @near_misses(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %rq = tfm.constant dense_resource<rows> : tensor<2x2x!quant.uniform<i8:f32:0, {1.0, 2.0}>>
  %r = tfm.dequantize %rq : tensor<2x2x!quant.uniform<i8:f32:0, {1.0, 2.0}>> to tensor<2x2xf32>
  %bq = tfm.constant dense_resource<bias> : tensor<2x!quant.uniform<i8:f32, 0.5:1>>
  %b = tfm.dequantize %bq : tensor<2x!quant.uniform<i8:f32, 0.5:1>> to tensor<2xf32>
  %y = tfm.matmul %x, %r : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %t = tfm.matmul %x, %r {transpose_rhs} : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %z = tfm.add %y, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %z, %t : tensor<4x2xf32>, tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      rows: "0x0100000001020203",
      bias: "0x0100000003FF"
    }
  }
#-}

// -----

// A uint4 weight [K = 32, N = 2] in blocks of 16 along K (ONNX's blocked
// DequantizeLinear): weight-only, 4 bits, group size 16, scale and zero
// point [N, G] transposed from [G, N]: scales (1, 2; 3, 4) -> (1, 3; 2, 4),
// zero points (8, 9; 10, 11) -> (8, 10; 9, 11). Codes: column 0 all 5,
// column 1 all 6.
// CHECK-LABEL: func.func @blocked_uint4
// CHECK: tfm.quantized_matmul %arg0, %{{.*}}, %{{.*}} zero_point %{{.*}} bits 4 group_size 16 lhs none : (tensor<?x32xf32>, tensor<2x32xi8>, tensor<2x2xf32>, tensor<2x2xi8>) -> tensor<?x2xf32>
// CHECK-NOT: tfm.dequantize
// CHECK: blocked_matmul_weight: "0x0100000005050505050505050505050505050505050505050505050505050505050505050606060606060606060606060606060606060606060606060606060606060606"
// CHECK: blocked_matmul_scale: "0x040000000000803F000040400000004000008040"
// CHECK: blocked_matmul_zero_point: "0x01000000080A090B"
func.func @blocked_uint4(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
  %wq = tfm.constant dense_resource<w> : tensor<32x2x!quant.uniform<u4:f32:{0:16, 1:1}, {{1.0:8, 2.0:9}, {3.0:10, 4.0:11}}>>
  %w = tfm.dequantize %wq : tensor<32x2x!quant.uniform<u4:f32:{0:16, 1:1}, {{1.0:8, 2.0:9}, {3.0:10, 4.0:11}}>> to tensor<32x2xf32>
  %y = tfm.matmul %x, %w : (tensor<?x32xf32>, tensor<32x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x0100000005060506050605060506050605060506050605060506050605060506050605060506050605060506050605060506050605060506050605060506050605060506"
    }
  }
#-}
