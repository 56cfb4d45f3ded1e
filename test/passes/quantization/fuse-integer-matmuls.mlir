// tfm-fuse-integer-matmuls: ONNX Runtime's dynamically quantized matmuls
// become tfm.quantized_matmul; the weight codes minus their zero point are
// checked byte by byte in the blobs (a blob prints as 0x, its alignment as
// 4 bytes, then its data).
// RUN: kiln-opt %s --split-input-file --tfm-fuse-integer-matmuls | FileCheck %s

// Weight [K = 2, N = 3] with one zero point per column (0, 1, 0) and one
// scale per column: codes [N, K] = (1, 4), (-3, 4), (3, -128).
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[W:.*]] = tfm.constant dense_resource<integer_matmul_weight> : tensor<3x2xi8>
// CHECK-DAG: %[[S:.*]] = tfm.constant dense_resource<integer_matmul_scale> : tensor<3x1xf32>
// CHECK: %[[Y:.*]] = tfm.quantized_matmul %arg0, %[[W]], %[[S]] bits 8 group_size 0 lhs per_tensor {tfm.name = "mm"} : (tensor<?x?x2xf32>, tensor<3x2xi8>, tensor<3x1xf32>) -> tensor<?x?x3xf32>
// CHECK-NOT: tfm.dynamic_quantize
// CHECK-NOT: tfm.matmul_integer
// CHECK-NOT: tfm.cast
// CHECK: return %[[Y]]
// CHECK: integer_matmul_weight: "0x010000000104FD040380"
// CHECK: integer_matmul_scale: "0x040000000000003F0000803F00000040"
func.func @dynamic(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<?x?x2xf32> -> tensor<?x?x2xui8>, tensor<f32>, tensor<ui8>
  %w = tfm.constant dense<[[1, -2, 3], [4, 5, -128]]> : tensor<2x3xi8>
  %wz = tfm.constant dense<[0, 1, 0]> : tensor<3xi8>
  %ws = tfm.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf32>
  %p = tfm.matmul_integer %q, %w lhs_zero_point %z rhs_zero_point %wz {tfm.name = "mm"} : (tensor<?x?x2xui8>, tensor<2x3xi8>, tensor<ui8>, tensor<3xi8>) -> tensor<?x?x3xi32>
  %f = tfm.cast %p : tensor<?x?x3xi32> to tensor<?x?x3xf32>
  %scale = tfm.mul %s, %ws : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
  %y = tfm.mul %f, %scale : (tensor<?x?x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

// -----

// Operands the other way round, one scalar weight scale and zero point,
// and one quantizer shared by two matmuls.
// CHECK-LABEL: func.func @commuted_shared
// CHECK: tfm.quantized_matmul %arg0, {{.*}} lhs per_tensor
// CHECK: tfm.quantized_matmul %arg0, {{.*}} lhs per_tensor
// CHECK-NOT: tfm.dynamic_quantize
func.func @commuted_shared(%x: tensor<4x2xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<4x2xf32> -> tensor<4x2xui8>, tensor<f32>, tensor<ui8>
  %w = tfm.constant dense<3> : tensor<2x3xi8>
  %wz = tfm.constant dense<0> : tensor<i8>
  %ws = tfm.constant dense<0.25> : tensor<f32>
  %scale = tfm.mul %ws, %s : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %p = tfm.matmul_integer %q, %w lhs_zero_point %z rhs_zero_point %wz : (tensor<4x2xui8>, tensor<2x3xi8>, tensor<ui8>, tensor<i8>) -> tensor<4x3xi32>
  %f = tfm.cast %p : tensor<4x3xi32> to tensor<4x3xf32>
  %y = tfm.mul %scale, %f : (tensor<f32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %p2 = tfm.matmul_integer %q, %w lhs_zero_point %z : (tensor<4x2xui8>, tensor<2x3xi8>, tensor<ui8>) -> tensor<4x3xi32>
  %f2 = tfm.cast %p2 : tensor<4x3xi32> to tensor<4x3xf32>
  %y2 = tfm.mul %f2, %scale : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  return %y, %y2 : tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// Codes gathered from a uint8 table with zero point 128: the table becomes
// floats (code - 128) quantized statically at scale 1, zero point 128; the
// two constant scales multiply into the weight's.
// CHECK-LABEL: func.func @gathered
// CHECK-DAG: %[[T:.*]] = tfm.constant dense_resource<integer_matmul_table> : tensor<3x2xf32>
// CHECK: %[[E:.*]] = tfm.gather %[[T]], %arg0 {axis = 0 : i64} : (tensor<3x2xf32>, tensor<?xi64>) -> tensor<?x2xf32>
// CHECK: tfm.quantized_matmul %[[E]], {{.*}} bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 1.000000e+00 : f32, lhs_zero_point = 128 : i64}
// CHECK-NOT: tfm.matmul_integer
// CHECK: integer_matmul_scale: "0x04000000000000BF0000003F"
// CHECK: integer_matmul_table: "0x04000000000000C30000FE42000000000000803F0000803F0000803F"
func.func @gathered(%ids: tensor<?xi64>) -> tensor<?x2xf32> {
  %table = tfm.constant dense<[[0, 255], [128, 129], [129, 129]]> : tensor<3x2xui8>
  %e = tfm.gather %table, %ids {axis = 0 : i64} : (tensor<3x2xui8>, tensor<?xi64>) -> tensor<?x2xui8>
  %ez = tfm.constant dense<128> : tensor<ui8>
  %w = tfm.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %es = tfm.constant dense<0.5> : tensor<f32>
  %ws = tfm.constant dense<[-1.0, 1.0]> : tensor<2xf32>
  %p = tfm.matmul_integer %e, %w lhs_zero_point %ez : (tensor<?x2xui8>, tensor<2x2xi8>, tensor<ui8>) -> tensor<?x2xi32>
  %f = tfm.cast %p : tensor<?x2xi32> to tensor<?x2xf32>
  %scale = tfm.mul %es, %ws : (tensor<f32>, tensor<2xf32>) -> tensor<2xf32>
  %y = tfm.mul %f, %scale : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// uint8 weights whose codes minus their zero point do not fit in int8
// (200 - 10 = 190): the codes shifted by 128 (72) with the zero point
// 10 - 128 = -118 per channel.
// CHECK-LABEL: func.func @uint8_weights
// CHECK-DAG: %[[W:.*]] = tfm.constant dense_resource<integer_matmul_weight> : tensor<3x2xi8>
// CHECK-DAG: %[[Z:.*]] = tfm.constant dense_resource<integer_matmul_zero_point> : tensor<3x1xi8>
// CHECK: tfm.quantized_matmul %arg0, %[[W]], %{{.*}} zero_point %[[Z]] bits 8 group_size 0 lhs per_tensor
// CHECK: integer_matmul_weight: "0x01000000484848484848"
// CHECK: integer_matmul_zero_point: "0x010000008A8A8A"
func.func @uint8_weights(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<4x2xf32> -> tensor<4x2xui8>, tensor<f32>, tensor<ui8>
  %w = tfm.constant dense<200> : tensor<2x3xui8>
  %wz = tfm.constant dense<10> : tensor<ui8>
  %ws = tfm.constant dense<0.25> : tensor<f32>
  %p = tfm.matmul_integer %q, %w lhs_zero_point %z rhs_zero_point %wz : (tensor<4x2xui8>, tensor<2x3xui8>, tensor<ui8>, tensor<ui8>) -> tensor<4x3xi32>
  %f = tfm.cast %p : tensor<4x3xi32> to tensor<4x3xf32>
  %scale = tfm.mul %s, %ws : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %y = tfm.mul %f, %scale : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
