// RUN: kiln-opt %s -split-input-file -kiln-x86-quantized-matmul | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-x86-quantized-matmul=isa=avx2 | FileCheck %s --check-prefix=AVX2
// RUN: not kiln-opt %s -split-input-file -kiln-x86-quantized-matmul=isa=sse2 2>&1 | FileCheck %s --check-prefix=BADISA

// BADISA: kiln-x86-quantized-matmul: unknown isa 'sse2' (amx, avx512vnni or avx2)

// Per-token int8: the codes [N = 40, K = 18] are packed into ceil(40/32)
// panels of [ceil(18/4), 4 * 32] bytes (avx2: 3 panels of [5, 64]), with
// the channels' code sums and scales padded to whole panels; bias and
// activation are fused; the wrapper quantizes rows, then runs the GEMM.
// CHECK-LABEL: func.func @per_token
// CHECK-DAG: tfm.constant dense_resource<packed_qweight{{.*}}> : tensor<2x5x128xi8>
// CHECK-DAG: tfm.constant dense_resource<packed_qweight_sum{{.*}}> : tensor<64xi32>
// CHECK-DAG: tfm.constant dense_resource<packed_qweight_scale{{.*}}> : tensor<64xf32>
// CHECK: call @kiln_qgemm_avx512vnni_bias_act1({{.*}}) : (tensor<?x?xf32>, tensor<?x?x128xi8>, tensor<?xi32>, tensor<?xf32>, index, tensor<?xf32>) -> tensor<?x?xf32>
// CHECK-NOT: tfm.quantized_matmul
// CHECK-NOT: tfm.relu
// CHECK-LABEL: func.func private @kiln_qgemm_avx512vnni_bias_act1
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_quantize_rows_avx512vnni
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_qgemm_avx512vnni
// AVX2-LABEL: func.func @per_token
// AVX2: tensor<3x5x64xi8>
// AVX2: call @kiln_qgemm_avx2_bias_act1
func.func @per_token(%x: tensor<?x18xf32>, %b: tensor<40xf32>) -> tensor<?x40xf32> {
  %w = tfm.constant dense<3> : tensor<40x18xi8>
  %s = tfm.constant dense<0.5> : tensor<40x1xf32>
  %y = tfm.quantized_matmul %x, %w, %s bias %b activation relu bits 8 group_size 0 lhs per_token : (tensor<?x18xf32>, tensor<40x18xi8>, tensor<40x1xf32>, tensor<40xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// -----

// LLM.int8(): the wrapper finds the outlier columns first; the threshold's
// bits are in its name.
// CHECK-LABEL: func.func @outliers
// CHECK: call @kiln_qgemm_avx512vnni_outliers0x40c00000(
// CHECK-LABEL: func.func private @kiln_qgemm_avx512vnni_outliers0x40c00000
// CHECK: arith.constant 6.000000e+00 : f32
// CHECK: call @kiln_uk_find_outliers_avx512vnni
// CHECK: %[[Z:.+]] = arith.constant 128 : i64
// CHECK: call @kiln_uk_qgemm_avx512vnni({{[^,]+}}, {{[^,]+}}, {{[^,]+}}, %[[Z]],
func.func @outliers(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
  %w = tfm.constant dense<1> : tensor<8x16xi8>
  %s = tfm.constant dense<0.5> : tensor<8x1xf32>
  %y = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_token {outlier_threshold = 6.0 : f32} : (tensor<?x16xf32>, tensor<8x16xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Weight-only int4 in groups of 32: K = 40 rows of 16 bytes per panel (two
// nibbles a byte), each group's 32 scales then 32 offsets [panels, groups,
// 64]: halves, as scale 0.25 and offset -8 * 0.25 are; a static residual
// is fused.
// CHECK-LABEL: func.func @weight_only
// CHECK-DAG: tfm.constant dense_resource<packed_qweight{{.*}}> : tensor<1x40x16xi8>
// CHECK-DAG: tfm.constant dense_resource<packed_qweight_params{{.*}}> : tensor<1x2x64xf16>
// CHECK: call @kiln_wgemm_avx512vnni_w4_g32_h_res(
// CHECK-NOT: tfm.add
// CHECK-LABEL: func.func private @kiln_wgemm_avx512vnni_w4_g32_h_res
// The 8th argument (half) is 1.
// CHECK: func.call @kiln_uk_wgemm_avx512vnni(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %c1_i64,
func.func @weight_only(%x: tensor<3x40xf32>, %r: tensor<3x20xf32>) -> tensor<3x20xf32> {
  %w = tfm.constant dense<5> : tensor<20x40xi8>
  %s = tfm.constant dense<0.25> : tensor<20x2xf32>
  %z = tfm.constant dense<8> : tensor<20x2xi8>
  %y = tfm.quantized_matmul %x, %w, %s zero_point %z residual %r bits 4 group_size 32 lhs none : (tensor<3x40xf32>, tensor<20x40xi8>, tensor<20x2xf32>, tensor<20x2xi8>, tensor<3x20xf32>) -> tensor<3x20xf32>
  return %y : tensor<3x20xf32>
}

// -----

// A scale that is no half (0.1) keeps the parameters f32; so does an
// offset below the normal half range (1e-6).
// CHECK-LABEL: func.func @weight_only_f32_params
// CHECK: tfm.constant dense_resource<packed_qweight_params{{.*}}> : tensor<1x1x64xf32>
// CHECK: call @kiln_wgemm_avx512vnni_w8_g32(
// CHECK: tfm.constant dense_resource<packed_qweight_params{{.*}}> : tensor<1x1x64xf32>
// CHECK: call @kiln_wgemm_avx512vnni_w8_g32(
// CHECK-LABEL: func.func private @kiln_wgemm_avx512vnni_w8_g32(
// CHECK: func.call @kiln_uk_wgemm_avx512vnni(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %c0_i64{{[_0-9]*}},
func.func @weight_only_f32_params(%x: tensor<3x32xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = tfm.constant dense<5> : tensor<4x32xi8>
  %s = tfm.constant dense<0.1> : tensor<4x1xf32>
  %o = tfm.constant dense<0.5> : tensor<4x1xf32>
  %y = tfm.quantized_matmul %x, %w, %s offset %o bits 8 group_size 32 lhs none : (tensor<3x32xf32>, tensor<4x32xi8>, tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<3x4xf32>
  %w2 = tfm.constant dense<6> : tensor<4x32xi8>
  %s2 = tfm.constant dense<0.5> : tensor<4x1xf32>
  %o2 = tfm.constant dense<1.0e-6> : tensor<4x1xf32>
  %y2 = tfm.quantized_matmul %x, %w2, %s2 offset %o2 bits 8 group_size 32 lhs none : (tensor<3x32xf32>, tensor<4x32xi8>, tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<3x4xf32>
  return %y, %y2 : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A residual with dynamic dims could broadcast at run time: the fused call
// is guarded by the row counts, the unfused one adds it as a tfm op.
// CHECK-LABEL: func.func @dynamic_residual
// CHECK: %[[SAME:.+]] = arith.cmpi eq
// CHECK: scf.if %[[SAME]]
// CHECK: call @kiln_qgemm_avx512vnni_res(
// CHECK: } else {
// CHECK: call @kiln_qgemm_avx512vnni(
// CHECK: tfm.add
func.func @dynamic_residual(%x: tensor<?x?x16xf32>, %r: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = tfm.constant dense<1> : tensor<8x16xi8>
  %s = tfm.constant dense<0.5> : tensor<8x1xf32>
  %y = tfm.quantized_matmul %x, %w, %s residual %r bits 8 group_size 0 lhs per_token : (tensor<?x?x16xf32>, tensor<8x16xi8>, tensor<8x1xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Per tensor (ONNX DynamicQuantizeLinear): the wrapper finds the tensor's
// scale and zero point first, quantizes rows with them and passes the zero
// point to the GEMM; the weight is packed as for per token.
// CHECK-LABEL: func.func @per_tensor
// CHECK-DAG: tfm.constant dense_resource<packed_qweight{{.*}}> : tensor<1x4x128xi8>
// CHECK: call @kiln_qgemm_tensor_avx512vnni(
// CHECK-LABEL: func.func private @kiln_qgemm_tensor_avx512vnni(
// CHECK: %[[Z:.+]] = {{(func.)?}}call @kiln_uk_tensor_quant_params_avx512vnni
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_quantize_rows_affine_avx512vnni({{.*}}, %[[Z]],
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_qgemm_avx512vnni({{[^,]+}}, {{[^,]+}}, {{[^,]+}}, %[[Z]],
// AVX2-LABEL: func.func @per_tensor
// AVX2: call @kiln_qgemm_tensor_avx2(
func.func @per_tensor(%x: tensor<?x?x16xf32>) -> tensor<?x?x8xf32> {
  %w = tfm.constant dense<1> : tensor<8x16xi8>
  %s = tfm.constant dense<0.5> : tensor<8x1xf32>
  %y = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor : (tensor<?x?x16xf32>, tensor<8x16xi8>, tensor<8x1xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Static per tensor: the scale (its exact bits) and zero point are
// constants of the wrapper, named by them.
// CHECK-LABEL: func.func @per_tensor_static
// CHECK: call @kiln_qgemm_tensor_avx512vnni_static0x3d4ccccd_z3(
// CHECK-LABEL: func.func private @kiln_qgemm_tensor_avx512vnni_static0x3d4ccccd_z3
// CHECK-NOT: tensor_quant_params
// CHECK: %[[S:.+]] = arith.constant 5.000000e-02 : f32
// CHECK: memref.store %[[S]]
// CHECK: %[[Z:.+]] = arith.constant 3 : i64
// CHECK: func.call @kiln_uk_quantize_rows_affine_avx512vnni({{.*}}, %[[Z]],
func.func @per_tensor_static(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
  %w = tfm.constant dense<1> : tensor<8x16xi8>
  %s = tfm.constant dense<0.5> : tensor<8x1xf32>
  %y = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 0.05 : f32, lhs_zero_point = 3 : i64} : (tensor<?x16xf32>, tensor<8x16xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A weight zero point (uint8 weights) per tensor: packed as one int32 per
// channel padded to the panel; the wrapper keeps the rows' code sums for
// the GEMM's correction.
// CHECK-LABEL: func.func @per_tensor_weight_zero_point
// CHECK-DAG: tfm.constant dense_resource<packed_qweight_zero_point{{.*}}> : tensor<32xi32>
// CHECK: call @kiln_qgemm_tensor_avx512vnni_wz(
// CHECK-LABEL: func.func private @kiln_qgemm_tensor_avx512vnni_wz(
// CHECK: memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?xi32>
// CHECK: call @kiln_uk_quantize_rows_affine_avx512vnni(
// CHECK: call @kiln_uk_qgemm_avx512vnni(
func.func @per_tensor_weight_zero_point(%x: tensor<?x16xf32>) -> tensor<?x8xf32> {
  %w = tfm.constant dense<1> : tensor<8x16xi8>
  %s = tfm.constant dense<0.5> : tensor<8x1xf32>
  %z = tfm.constant dense<-100> : tensor<8x1xi8>
  %y = tfm.quantized_matmul %x, %w, %s zero_point %z bits 8 group_size 0 lhs per_tensor : (tensor<?x16xf32>, tensor<8x16xi8>, tensor<8x1xf32>, tensor<8x1xi8>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
