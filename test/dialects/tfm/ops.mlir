// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Round-trip test of every `tfm` op: the custom form, and the generic form
// parsed back, must both print the custom form below.

//===----------------------------------------------------------------------===//
// Constants and shape computations
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @runtime_check
// CHECK: tfm.runtime_check %{{.*}}, "node 'n': size {0} is not {1}"(%{{.*}}, %{{.*}} : index, index)
// CHECK: tfm.runtime_check %{{.*}}, "always checked"
func.func @runtime_check(%ok: i1, %a: index, %b: index) {
  tfm.runtime_check %ok, "node 'n': size {0} is not {1}"(%a, %b : index, index)
  tfm.runtime_check %ok, "always checked"
  return
}

// CHECK-LABEL: func.func @constant_dense
func.func @constant_dense() -> tensor<3xi64> {
  // CHECK: tfm.constant dense<[0, 12, 64]> : tensor<3xi64>
  %0 = tfm.constant dense<[0, 12, 64]> : tensor<3xi64>
  return %0 : tensor<3xi64>
}

// CHECK-LABEL: func.func @constant_splat_scalar
func.func @constant_splat_scalar() -> (tensor<f32>, tensor<2x3xf16>) {
  // CHECK: tfm.constant dense<1.000000e+00> : tensor<f32>
  %0 = tfm.constant dense<1.0> : tensor<f32>
  // CHECK: tfm.constant dense<0.000000e+00> : tensor<2x3xf16>
  %1 = tfm.constant dense<0.0> : tensor<2x3xf16>
  return %0, %1 : tensor<f32>, tensor<2x3xf16>
}

// CHECK-LABEL: func.func @constant_resource
func.func @constant_resource() -> tensor<2x2xf32> {
  // CHECK: tfm.constant dense_resource<blob1> : tensor<2x2xf32>
  %0 = tfm.constant dense_resource<blob1> : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @shape
func.func @shape(%x: tensor<?x?x768xf32>) -> (tensor<3xi64>, tensor<2xi64>) {
  // CHECK: tfm.shape %{{.*}} : (tensor<?x?x768xf32>) -> tensor<3xi64>
  %0 = tfm.shape %x : (tensor<?x?x768xf32>) -> tensor<3xi64>
  // CHECK: tfm.shape %{{.*}} {end = 3 : i64, start = 1 : i64} : (tensor<?x?x768xf32>) -> tensor<2xi64>
  %1 = tfm.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x?x768xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<3xi64>, tensor<2xi64>
}

// CHECK-LABEL: func.func @constant_of_shape
func.func @constant_of_shape(%s: tensor<2xi64>) -> (tensor<?x?xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.constant_of_shape %{{.*}} {value = 0.000000e+00 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
  %0 = tfm.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
  // CHECK: tfm.constant_of_shape %{{.*}} {value = 1 : i64} : (tensor<2xi64>) -> tensor<?x?xi64>
  %1 = tfm.constant_of_shape %s {value = 1 : i64} : (tensor<2xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x?xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @constant_of_shape_static
func.func @constant_of_shape_static() -> tensor<2x3xf32> {
  %s = tfm.constant dense<[2, 3]> : tensor<2xi64>
  // CHECK: tfm.constant_of_shape %{{.*}} {value = 1.000000e+00 : f32} : (tensor<2xi64>) -> tensor<2x3xf32>
  %0 = tfm.constant_of_shape %s {value = 1.0 : f32} : (tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @range
func.func @range(%start: tensor<i64>, %limit: tensor<i64>, %delta: tensor<i64>) -> tensor<?xi64> {
  // CHECK: tfm.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %0 = tfm.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// CHECK-LABEL: func.func @range_float
func.func @range_float(%start: tensor<f32>, %limit: tensor<f32>, %delta: tensor<f32>) -> tensor<?xf32> {
  // CHECK: tfm.range %{{.*}} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %0 = tfm.range %start, %limit, %delta : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @neg
func.func @neg(%x: tensor<?x128xf32>, %i: tensor<?x?xi32>) -> (tensor<?x128xf32>, tensor<?x?xi32>) {
  // CHECK: tfm.neg %{{.*}} : tensor<?x128xf32>
  %0 = tfm.neg %x : tensor<?x128xf32>
  // CHECK: tfm.neg %{{.*}} : tensor<?x?xi32>
  %1 = tfm.neg %i : tensor<?x?xi32>
  return %0, %1 : tensor<?x128xf32>, tensor<?x?xi32>
}

// CHECK-LABEL: func.func @abs
func.func @abs(%x: tensor<?x128xf32>, %i: tensor<?x?xi32>) -> (tensor<?x128xf32>, tensor<?x?xi32>) {
  // CHECK: tfm.abs %{{.*}} : tensor<?x128xf32>
  %0 = tfm.abs %x : tensor<?x128xf32>
  // CHECK: tfm.abs %{{.*}} : tensor<?x?xi32>
  %1 = tfm.abs %i : tensor<?x?xi32>
  return %0, %1 : tensor<?x128xf32>, tensor<?x?xi32>
}

// CHECK-LABEL: func.func @relu
func.func @relu(%x: tensor<?x128xf32>, %i: tensor<?x?xi32>) -> (tensor<?x128xf32>, tensor<?x?xi32>) {
  // CHECK: tfm.relu %{{.*}} : tensor<?x128xf32>
  %0 = tfm.relu %x : tensor<?x128xf32>
  // CHECK: tfm.relu %{{.*}} : tensor<?x?xi32>
  %1 = tfm.relu %i : tensor<?x?xi32>
  return %0, %1 : tensor<?x128xf32>, tensor<?x?xi32>
}

// CHECK-LABEL: func.func @exp
func.func @exp(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  // CHECK: tfm.exp %{{.*}} : tensor<?x128xf32>
  %0 = tfm.exp %x : tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// CHECK-LABEL: func.func @log
func.func @log(%x: tensor<?x?xf16>) -> tensor<?x?xf16> {
  // CHECK: tfm.log %{{.*}} : tensor<?x?xf16>
  %0 = tfm.log %x : tensor<?x?xf16>
  return %0 : tensor<?x?xf16>
}

// CHECK-LABEL: func.func @sqrt
func.func @sqrt(%x: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  // CHECK: tfm.sqrt %{{.*}} : tensor<4x?xbf16>
  %0 = tfm.sqrt %x : tensor<4x?xbf16>
  return %0 : tensor<4x?xbf16>
}

// CHECK-LABEL: func.func @rsqrt
func.func @rsqrt(%x: tensor<?xf64>) -> tensor<?xf64> {
  // CHECK: tfm.rsqrt %{{.*}} : tensor<?xf64>
  %0 = tfm.rsqrt %x : tensor<?xf64>
  return %0 : tensor<?xf64>
}

// CHECK-LABEL: func.func @reciprocal
func.func @reciprocal(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  // CHECK: tfm.reciprocal %{{.*}} : tensor<?x128xf32>
  %0 = tfm.reciprocal %x : tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// CHECK-LABEL: func.func @tanh
func.func @tanh(%x: tensor<?x?xf16>) -> tensor<?x?xf16> {
  // CHECK: tfm.tanh %{{.*}} : tensor<?x?xf16>
  %0 = tfm.tanh %x : tensor<?x?xf16>
  return %0 : tensor<?x?xf16>
}

// CHECK-LABEL: func.func @erf
func.func @erf(%x: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  // CHECK: tfm.erf %{{.*}} : tensor<4x?xbf16>
  %0 = tfm.erf %x : tensor<4x?xbf16>
  return %0 : tensor<4x?xbf16>
}

// CHECK-LABEL: func.func @sigmoid
func.func @sigmoid(%x: tensor<?xf64>) -> tensor<?xf64> {
  // CHECK: tfm.sigmoid %{{.*}} : tensor<?xf64>
  %0 = tfm.sigmoid %x : tensor<?xf64>
  return %0 : tensor<?xf64>
}

// CHECK-LABEL: func.func @sin
func.func @sin(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  // CHECK: tfm.sin %{{.*}} : tensor<?x128xf32>
  %0 = tfm.sin %x : tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// CHECK-LABEL: func.func @cos
func.func @cos(%x: tensor<?x?xf16>) -> tensor<?x?xf16> {
  // CHECK: tfm.cos %{{.*}} : tensor<?x?xf16>
  %0 = tfm.cos %x : tensor<?x?xf16>
  return %0 : tensor<?x?xf16>
}

// CHECK-LABEL: func.func @floor
func.func @floor(%x: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  // CHECK: tfm.floor %{{.*}} : tensor<4x?xbf16>
  %0 = tfm.floor %x : tensor<4x?xbf16>
  return %0 : tensor<4x?xbf16>
}

// CHECK-LABEL: func.func @ceil
func.func @ceil(%x: tensor<?xf64>) -> tensor<?xf64> {
  // CHECK: tfm.ceil %{{.*}} : tensor<?xf64>
  %0 = tfm.ceil %x : tensor<?xf64>
  return %0 : tensor<?xf64>
}

// CHECK-LABEL: func.func @not
func.func @not(%x: tensor<?x?xi1>) -> tensor<?x?xi1> {
  // CHECK: tfm.not %{{.*}} : tensor<?x?xi1>
  %0 = tfm.not %x : tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @clip
func.func @clip(%x: tensor<?x8xf32>, %i: tensor<?xi64>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>, tensor<?x8xf32>) {
  // CHECK: tfm.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<?x8xf32>
  %0 = tfm.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<?x8xf32>
  // CHECK: tfm.clip %{{.*}} {min = -1.000000e+00 : f64} : tensor<?x8xf32>
  %1 = tfm.clip %x {min = -1.0 : f64} : tensor<?x8xf32>
  // CHECK: tfm.clip %{{.*}} {max = 1.000000e+01 : f64} : tensor<?xi64>
  %2 = tfm.clip %i {max = 10.0 : f64} : tensor<?xi64>
  // CHECK: tfm.clip %{{.*}} : tensor<?x8xf32>
  %3 = tfm.clip %x : tensor<?x8xf32>
  return %0, %1, %2, %3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xi64>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @gelu
func.func @gelu(%x: tensor<?x?x3072xf32>) -> (tensor<?x?x3072xf32>, tensor<?x?x3072xf32>) {
  // CHECK: tfm.gelu erf %{{.*}} : tensor<?x?x3072xf32>
  %0 = tfm.gelu erf %x : tensor<?x?x3072xf32>
  // CHECK: tfm.gelu tanh %{{.*}} : tensor<?x?x3072xf32>
  %1 = tfm.gelu tanh %x : tensor<?x?x3072xf32>
  return %0, %1 : tensor<?x?x3072xf32>, tensor<?x?x3072xf32>
}

// CHECK-LABEL: func.func @silu
func.func @silu(%x: tensor<?x?x11008xbf16>) -> tensor<?x?x11008xbf16> {
  // CHECK: tfm.silu %{{.*}} : tensor<?x?x11008xbf16>
  %0 = tfm.silu %x : tensor<?x?x11008xbf16>
  return %0 : tensor<?x?x11008xbf16>
}

//===----------------------------------------------------------------------===//
// Elementwise binary (broadcasting)
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @add
func.func @add(%x: tensor<?x128x768xf32>, %y: tensor<768xf32>, %a: tensor<?x1xi64>, %b: tensor<1x?xi64>) -> (tensor<?x128x768xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.add %{{.*}}, %{{.*}} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %0 = tfm.add %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: tfm.add %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %1 = tfm.add %a, %b : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x128x768xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @sub
func.func @sub(%x: tensor<?x128x768xf32>, %y: tensor<768xf32>, %a: tensor<?x1xi64>, %b: tensor<1x?xi64>) -> (tensor<?x128x768xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.sub %{{.*}}, %{{.*}} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %0 = tfm.sub %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: tfm.sub %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %1 = tfm.sub %a, %b : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x128x768xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @mul
func.func @mul(%x: tensor<?x128x768xf32>, %y: tensor<768xf32>, %a: tensor<?x1xi64>, %b: tensor<1x?xi64>) -> (tensor<?x128x768xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.mul %{{.*}}, %{{.*}} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %0 = tfm.mul %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: tfm.mul %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %1 = tfm.mul %a, %b : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x128x768xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @div
func.func @div(%x: tensor<?x128x768xf32>, %y: tensor<768xf32>, %a: tensor<?x1xi64>, %b: tensor<1x?xi64>) -> (tensor<?x128x768xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.div %{{.*}}, %{{.*}} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %0 = tfm.div %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: tfm.div %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %1 = tfm.div %a, %b : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x128x768xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @max
func.func @max(%x: tensor<?x128x768xf32>, %y: tensor<768xf32>, %a: tensor<?x1xi64>, %b: tensor<1x?xi64>) -> (tensor<?x128x768xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.max %{{.*}}, %{{.*}} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %0 = tfm.max %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: tfm.max %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %1 = tfm.max %a, %b : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x128x768xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @min
func.func @min(%x: tensor<?x128x768xf32>, %y: tensor<768xf32>, %a: tensor<?x1xi64>, %b: tensor<1x?xi64>) -> (tensor<?x128x768xf32>, tensor<?x?xi64>) {
  // CHECK: tfm.min %{{.*}}, %{{.*}} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %0 = tfm.min %x, %y : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: tfm.min %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %1 = tfm.min %a, %b : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  return %0, %1 : tensor<?x128x768xf32>, tensor<?x?xi64>
}

// CHECK-LABEL: func.func @pow
func.func @pow(%x: tensor<?x?xf32>, %y: tensor<f32>) -> tensor<?x?xf32> {
  // CHECK: tfm.pow %{{.*}}, %{{.*}} : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %0 = tfm.pow %x, %y : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// A declared result more static than the inferred one is a refinement.
// CHECK-LABEL: func.func @add_refined_result
func.func @add_refined_result(%x: tensor<?x4xf16>, %y: tensor<4xf16>) -> tensor<2x4xf16> {
  // CHECK: tfm.add %{{.*}}, %{{.*}} : (tensor<?x4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
  %0 = tfm.add %x, %y : (tensor<?x4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
  return %0 : tensor<2x4xf16>
}

// CHECK-LABEL: func.func @and
func.func @and(%x: tensor<?x?xi1>, %y: tensor<1x?xi1>) -> tensor<?x?xi1> {
  // CHECK: tfm.and %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  %0 = tfm.and %x, %y : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @or
func.func @or(%x: tensor<?x?xi1>, %y: tensor<i1>) -> tensor<?x?xi1> {
  // CHECK: tfm.or %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<i1>) -> tensor<?x?xi1>
  %0 = tfm.or %x, %y : (tensor<?x?xi1>, tensor<i1>) -> tensor<?x?xi1>
  return %0 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @compare
func.func @compare(%ids: tensor<?x?xi64>, %pad: tensor<i64>, %x: tensor<?x8xf32>, %y: tensor<8xf32>) -> (tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x8xi1>, tensor<?x8xi1>, tensor<?x8xi1>, tensor<?x8xi1>) {
  // CHECK: tfm.compare eq, %{{.*}}, %{{.*}} : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %0 = tfm.compare eq, %ids, %pad : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  // CHECK: tfm.compare ne, %{{.*}}, %{{.*}} : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %1 = tfm.compare ne, %ids, %pad : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  // CHECK: tfm.compare lt, %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  %2 = tfm.compare lt, %x, %y : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  // CHECK: tfm.compare le,
  %3 = tfm.compare le, %x, %y : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  // CHECK: tfm.compare gt,
  %4 = tfm.compare gt, %x, %y : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  // CHECK: tfm.compare ge,
  %5 = tfm.compare ge, %x, %y : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x8xi1>, tensor<?x8xi1>, tensor<?x8xi1>, tensor<?x8xi1>
}

// CHECK-LABEL: func.func @select
func.func @select(%mask: tensor<1x1x?x?xi1>, %scores: tensor<?x12x?x?xf32>, %neg_inf: tensor<f32>) -> tensor<?x12x?x?xf32> {
  // CHECK: tfm.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x1x?x?xi1>, tensor<?x12x?x?xf32>, tensor<f32>) -> tensor<?x12x?x?xf32>
  %0 = tfm.select %mask, %scores, %neg_inf : (tensor<1x1x?x?xi1>, tensor<?x12x?x?xf32>, tensor<f32>) -> tensor<?x12x?x?xf32>
  return %0 : tensor<?x12x?x?xf32>
}

// CHECK-LABEL: func.func @select_int
func.func @select_int(%c: tensor<?xi1>, %a: tensor<?xi64>, %b: tensor<i64>) -> tensor<?xi64> {
  // CHECK: tfm.select %{{.*}} : (tensor<?xi1>, tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %0 = tfm.select %c, %a, %b : (tensor<?xi1>, tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// CHECK-LABEL: func.func @cast
func.func @cast(%m: tensor<?x?xi64>, %x: tensor<?x4xf32>) -> (tensor<?x?xf32>, tensor<?x4xf16>, tensor<?x4xi1>, tensor<2x4xi32>) {
  // CHECK: tfm.cast %{{.*}} : tensor<?x?xi64> to tensor<?x?xf32>
  %0 = tfm.cast %m : tensor<?x?xi64> to tensor<?x?xf32>
  // CHECK: tfm.cast %{{.*}} : tensor<?x4xf32> to tensor<?x4xf16>
  %1 = tfm.cast %x : tensor<?x4xf32> to tensor<?x4xf16>
  // CHECK: tfm.cast %{{.*}} : tensor<?x4xf32> to tensor<?x4xi1>
  %2 = tfm.cast %x : tensor<?x4xf32> to tensor<?x4xi1>
  // CHECK: tfm.cast %{{.*}} : tensor<?x4xf32> to tensor<2x4xi32>
  %3 = tfm.cast %x : tensor<?x4xf32> to tensor<2x4xi32>
  return %0, %1, %2, %3 : tensor<?x?xf32>, tensor<?x4xf16>, tensor<?x4xi1>, tensor<2x4xi32>
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @quantize
func.func @quantize(%x: tensor<?x768xf32>) -> tensor<?x768x!quant.uniform<i8:f32, 5.000000e-02>> {
  // CHECK: tfm.quantize %{{.*}} : tensor<?x768xf32> to tensor<?x768x!quant.uniform<i8:f32, 5.000000e-02>>
  %0 = tfm.quantize %x : tensor<?x768xf32> to tensor<?x768x!quant.uniform<i8:f32, 0.05>>
  return %0 : tensor<?x768x!quant.uniform<i8:f32, 5.000000e-02>>
}

// CHECK-LABEL: func.func @quantize_zero_point
func.func @quantize_zero_point(%x: tensor<?x?xf16>) -> tensor<?x?x!quant.uniform<u8:f16, 1.000000e-01:128>> {
  // CHECK: tfm.quantize %{{.*}} : tensor<?x?xf16> to tensor<?x?x!quant.uniform<u8:f16, 1.000000e-01:128>>
  %0 = tfm.quantize %x : tensor<?x?xf16> to tensor<?x?x!quant.uniform<u8:f16, 0.1:128>>
  return %0 : tensor<?x?x!quant.uniform<u8:f16, 1.000000e-01:128>>
}

// CHECK-LABEL: func.func @quantize_per_axis
func.func @quantize_per_axis(%x: tensor<3x?xf32>) -> tensor<3x?x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01,3.000000e-01}>> {
  // CHECK: tfm.quantize %{{.*}} : tensor<3x?xf32> to tensor<3x?x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01,3.000000e-01}>>
  %0 = tfm.quantize %x : tensor<3x?xf32> to tensor<3x?x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>
  return %0 : tensor<3x?x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01,3.000000e-01}>>
}

// CHECK-LABEL: func.func @dequantize
func.func @dequantize(%q: tensor<?x768x!quant.uniform<i8:f32, 0.05>>) -> tensor<?x768xf32> {
  // CHECK: tfm.dequantize %{{.*}} : tensor<?x768x!quant.uniform<i8:f32, 5.000000e-02>> to tensor<?x768xf32>
  %0 = tfm.dequantize %q : tensor<?x768x!quant.uniform<i8:f32, 0.05>> to tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @dequantize_per_axis
func.func @dequantize_per_axis(%q: tensor<?x2x!quant.uniform<i8:f32:1, {1.000000e-01:1,2.000000e-01:-1}>>) -> tensor<?x2xf32> {
  // CHECK: tfm.dequantize %{{.*}} : tensor<?x2x!quant.uniform<i8:f32:1, {1.000000e-01:1,2.000000e-01:-1}>> to tensor<?x2xf32>
  %0 = tfm.dequantize %q : tensor<?x2x!quant.uniform<i8:f32:1, {0.1:1, 0.2:-1}>> to tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

//===----------------------------------------------------------------------===//
// Reductions and scans
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reduce
func.func @reduce(%x: tensor<?x?x768xf32>, %i: tensor<?x8xi64>) -> (tensor<?x?x1xf32>, tensor<?xf32>, tensor<?x?x1xf32>, tensor<1x1x1xf32>, tensor<?x?xf32>, tensor<?x?x1xf32>, tensor<?xf32>, tensor<?xi64>) {
  // CHECK: tfm.reduce mean %{{.*}} {axes = array<i64: 2>} : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
  %0 = tfm.reduce mean %x {axes = array<i64: 2>} : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
  // CHECK: tfm.reduce sum %{{.*}} {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x?x768xf32>) -> tensor<?xf32>
  %1 = tfm.reduce sum %x {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x?x768xf32>) -> tensor<?xf32>
  // CHECK: tfm.reduce max %{{.*}} {axes = array<i64: 2>}
  %2 = tfm.reduce max %x {axes = array<i64: 2>, keepdims = true} : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
  // CHECK: tfm.reduce min %{{.*}} {axes = array<i64: 0, 1, 2>} : (tensor<?x?x768xf32>) -> tensor<1x1x1xf32>
  %3 = tfm.reduce min %x {axes = array<i64: 0, 1, 2>} : (tensor<?x?x768xf32>) -> tensor<1x1x1xf32>
  // CHECK: tfm.reduce prod %{{.*}} {axes = array<i64: 2>, keepdims = false} : (tensor<?x?x768xf32>) -> tensor<?x?xf32>
  %4 = tfm.reduce prod %x {axes = array<i64: 2>, keepdims = false} : (tensor<?x?x768xf32>) -> tensor<?x?xf32>
  // CHECK: tfm.reduce sum_square %{{.*}} {axes = array<i64: 2>} : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
  %5 = tfm.reduce sum_square %x {axes = array<i64: 2>} : (tensor<?x?x768xf32>) -> tensor<?x?x1xf32>
  // CHECK: tfm.reduce l2 %{{.*}} {axes = array<i64: 0, 2>, keepdims = false} : (tensor<?x?x768xf32>) -> tensor<?xf32>
  %6 = tfm.reduce l2 %x {axes = array<i64: 0, 2>, keepdims = false} : (tensor<?x?x768xf32>) -> tensor<?xf32>
  // CHECK: tfm.reduce sum %{{.*}} {axes = array<i64: 1>, keepdims = false} : (tensor<?x8xi64>) -> tensor<?xi64>
  %7 = tfm.reduce sum %i {axes = array<i64: 1>, keepdims = false} : (tensor<?x8xi64>) -> tensor<?xi64>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<?x?x1xf32>, tensor<?xf32>, tensor<?x?x1xf32>, tensor<1x1x1xf32>, tensor<?x?xf32>, tensor<?x?x1xf32>, tensor<?xf32>, tensor<?xi64>
}

// CHECK-LABEL: func.func @argmax
func.func @argmax(%logits: tensor<?x?x50257xf32>) -> (tensor<?x?xi64>, tensor<?x?x1xi64>) {
  // CHECK: tfm.argmax %{{.*}} {axis = 2 : i64, keepdims = false} : (tensor<?x?x50257xf32>) -> tensor<?x?xi64>
  %0 = tfm.argmax %logits {axis = 2 : i64, keepdims = false} : (tensor<?x?x50257xf32>) -> tensor<?x?xi64>
  // CHECK: tfm.argmax %{{.*}} {axis = 2 : i64} : (tensor<?x?x50257xf32>) -> tensor<?x?x1xi64>
  %1 = tfm.argmax %logits {axis = 2 : i64} : (tensor<?x?x50257xf32>) -> tensor<?x?x1xi64>
  return %0, %1 : tensor<?x?xi64>, tensor<?x?x1xi64>
}

// CHECK-LABEL: func.func @cumsum
func.func @cumsum(%mask: tensor<?x?xi64>, %x: tensor<?x16xf32>) -> (tensor<?x?xi64>, tensor<?x16xf32>) {
  // CHECK: tfm.cumsum %{{.*}} {axis = 1 : i64} : tensor<?x?xi64>
  %0 = tfm.cumsum %mask {axis = 1 : i64} : tensor<?x?xi64>
  // CHECK: tfm.cumsum %{{.*}} {axis = 0 : i64, exclusive, reverse} : tensor<?x16xf32>
  %1 = tfm.cumsum %x {axis = 0 : i64, exclusive, reverse} : tensor<?x16xf32>
  return %0, %1 : tensor<?x?xi64>, tensor<?x16xf32>
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reshape
func.func @reshape(%x: tensor<?x?x768xf32>, %s: tensor<4xi64>) -> tensor<?x?x12x64xf32> {
  // CHECK: tfm.reshape %{{.*}}, %{{.*}} : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
  %0 = tfm.reshape %x, %s : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
  return %0 : tensor<?x?x12x64xf32>
}

// CHECK-LABEL: func.func @reshape_constant_shape
func.func @reshape_constant_shape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %s = tfm.constant dense<[-1, 4]> : tensor<2xi64>
  // CHECK: tfm.reshape %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %0 = tfm.reshape %x, %s : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32> {
  // CHECK: tfm.transpose %{{.*}} {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
  %0 = tfm.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// CHECK-LABEL: func.func @concat
func.func @concat(%past: tensor<?x12x?x64xf32>, %new: tensor<?x12x1x64xf32>, %a: tensor<2x3xi64>, %b: tensor<2x5xi64>) -> (tensor<?x12x?x64xf32>, tensor<2x8xi64>, tensor<2x3xi64>) {
  // CHECK: tfm.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x12x?x64xf32>, tensor<?x12x1x64xf32>) -> tensor<?x12x?x64xf32>
  %0 = tfm.concat %past, %new {axis = 2 : i64} : (tensor<?x12x?x64xf32>, tensor<?x12x1x64xf32>) -> tensor<?x12x?x64xf32>
  // CHECK: tfm.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3xi64>, tensor<2x5xi64>) -> tensor<2x8xi64>
  %1 = tfm.concat %a, %b {axis = 1 : i64} : (tensor<2x3xi64>, tensor<2x5xi64>) -> tensor<2x8xi64>
  // CHECK: tfm.concat %{{.*}} {axis = 0 : i64} : (tensor<2x3xi64>) -> tensor<2x3xi64>
  %2 = tfm.concat %a {axis = 0 : i64} : (tensor<2x3xi64>) -> tensor<2x3xi64>
  return %0, %1, %2 : tensor<?x12x?x64xf32>, tensor<2x8xi64>, tensor<2x3xi64>
}

// CHECK-LABEL: func.func @slice
func.func @slice(%x: tensor<1x1024x1024xf32>, %st: tensor<1xi64>, %en: tensor<1xi64>, %y: tensor<?x?x?xf32>, %st2: tensor<2xi64>, %en2: tensor<2xi64>) -> (tensor<1x?x1024xf32>, tensor<?x?x?xf32>) {
  // CHECK: tfm.slice %{{.*}}, %{{.*}}, %{{.*}} {axes = array<i64: 1>, steps = array<i64: 1>} : (tensor<1x1024x1024xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x1024xf32>
  %0 = tfm.slice %x, %st, %en {axes = array<i64: 1>, steps = array<i64: 1>} : (tensor<1x1024x1024xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x1024xf32>
  // CHECK: tfm.slice %{{.*}}, %{{.*}}, %{{.*}} {axes = array<i64: 2, 0>, steps = array<i64: -1, 2>} : (tensor<?x?x?xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x?xf32>
  %1 = tfm.slice %y, %st2, %en2 {axes = array<i64: 2, 0>, steps = array<i64: -1, 2>} : (tensor<?x?x?xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x?xf32>
  return %0, %1 : tensor<1x?x1024xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @slice_constant_bounds
func.func @slice_constant_bounds(%x: tensor<?x16xf32>) -> tensor<?x4xf32> {
  %st = tfm.constant dense<[2]> : tensor<1xi64>
  %en = tfm.constant dense<[-2]> : tensor<1xi64>
  // CHECK: tfm.slice %{{.*}} {axes = array<i64: 1>, steps = array<i64: 3>} : (tensor<?x16xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
  %0 = tfm.slice %x, %st, %en {axes = array<i64: 1>, steps = array<i64: 3>} : (tensor<?x16xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @split_equal
func.func @split_equal(%qkv: tensor<?x?x2304xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>) {
  // CHECK: tfm.split %{{.*}} {axis = 2 : i64} : (tensor<?x?x2304xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>)
  %q, %k, %v = tfm.split %qkv {axis = 2 : i64} : (tensor<?x?x2304xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>)
  return %q, %k, %v : tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>
}

// CHECK-LABEL: func.func @split_uneven
func.func @split_uneven(%x: tensor<10x?xf32>, %y: tensor<?x4xf32>) -> (tensor<4x?xf32>, tensor<4x?xf32>, tensor<2x?xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  // CHECK: tfm.split %{{.*}} {axis = 0 : i64} : (tensor<10x?xf32>) -> (tensor<4x?xf32>, tensor<4x?xf32>, tensor<2x?xf32>)
  %0:3 = tfm.split %x {axis = 0 : i64} : (tensor<10x?xf32>) -> (tensor<4x?xf32>, tensor<4x?xf32>, tensor<2x?xf32>)
  // CHECK: tfm.split %{{.*}} {axis = 0 : i64} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  %1:2 = tfm.split %y {axis = 0 : i64} : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return %0#0, %0#1, %0#2, %1#0, %1#1 : tensor<4x?xf32>, tensor<4x?xf32>, tensor<2x?xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @split_sizes
func.func @split_sizes(%x: tensor<?x?x4096xf32>, %y: tensor<?x?xf32>) -> (tensor<?x?x1024xf32>, tensor<?x?x3072xf32>, tensor<?x3xf32>, tensor<?x5xf32>) {
  // CHECK: tfm.split %{{.*}} {axis = 2 : i64, sizes = array<i64: 1024, 3072>} : (tensor<?x?x4096xf32>) -> (tensor<?x?x1024xf32>, tensor<?x?x3072xf32>)
  %0:2 = tfm.split %x {axis = 2 : i64, sizes = array<i64: 1024, 3072>} : (tensor<?x?x4096xf32>) -> (tensor<?x?x1024xf32>, tensor<?x?x3072xf32>)
  // CHECK: tfm.split %{{.*}} {axis = 1 : i64, sizes = array<i64: 3, 5>} : (tensor<?x?xf32>) -> (tensor<?x3xf32>, tensor<?x5xf32>)
  %1:2 = tfm.split %y {axis = 1 : i64, sizes = array<i64: 3, 5>} : (tensor<?x?xf32>) -> (tensor<?x3xf32>, tensor<?x5xf32>)
  return %0#0, %0#1, %1#0, %1#1 : tensor<?x?x1024xf32>, tensor<?x?x3072xf32>, tensor<?x3xf32>, tensor<?x5xf32>
}

// CHECK-LABEL: func.func @gather
func.func @gather(%s: tensor<3xi64>, %i: tensor<i64>, %table: tensor<?x768xf32>, %ids: tensor<?x?xi32>) -> (tensor<i64>, tensor<?x?x768xf32>, tensor<?x?x?xf32>) {
  // CHECK: tfm.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %0 = tfm.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  // CHECK: tfm.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<?x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
  %1 = tfm.gather %table, %ids {axis = 0 : i64} : (tensor<?x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
  // CHECK: tfm.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<?x768xf32>, tensor<?x?xi32>) -> tensor<?x?x?xf32>
  %2 = tfm.gather %table, %ids {axis = 1 : i64} : (tensor<?x768xf32>, tensor<?x?xi32>) -> tensor<?x?x?xf32>
  return %0, %1, %2 : tensor<i64>, tensor<?x?x768xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func.func @expand
func.func @expand(%kv: tensor<?x4x1x?x64xf32>, %s: tensor<5xi64>) -> tensor<?x4x?x?x64xf32> {
  // CHECK: tfm.expand %{{.*}}, %{{.*}} : (tensor<?x4x1x?x64xf32>, tensor<5xi64>) -> tensor<?x4x?x?x64xf32>
  %0 = tfm.expand %kv, %s : (tensor<?x4x1x?x64xf32>, tensor<5xi64>) -> tensor<?x4x?x?x64xf32>
  return %0 : tensor<?x4x?x?x64xf32>
}

// CHECK-LABEL: func.func @expand_constant_shape
func.func @expand_constant_shape(%x: tensor<?x1xf32>) -> tensor<2x?x8xf32> {
  %s = tfm.constant dense<[2, 1, 8]> : tensor<3xi64>
  // CHECK: tfm.expand %{{.*}}, %{{.*}} : (tensor<?x1xf32>, tensor<3xi64>) -> tensor<2x?x8xf32>
  %0 = tfm.expand %x, %s : (tensor<?x1xf32>, tensor<3xi64>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// CHECK-LABEL: func.func @squeeze
func.func @squeeze(%x: tensor<1x?xi64>, %y: tensor<?x1x?x1xf32>) -> (tensor<?xi64>, tensor<?x?xf32>) {
  // CHECK: tfm.squeeze %{{.*}} {axes = array<i64: 0>} : (tensor<1x?xi64>) -> tensor<?xi64>
  %0 = tfm.squeeze %x {axes = array<i64: 0>} : (tensor<1x?xi64>) -> tensor<?xi64>
  // CHECK: tfm.squeeze %{{.*}} {axes = array<i64: 1, 3>} : (tensor<?x1x?x1xf32>) -> tensor<?x?xf32>
  %1 = tfm.squeeze %y {axes = array<i64: 1, 3>} : (tensor<?x1x?x1xf32>) -> tensor<?x?xf32>
  return %0, %1 : tensor<?xi64>, tensor<?x?xf32>
}

// CHECK-LABEL: func.func @unsqueeze
func.func @unsqueeze(%mask: tensor<?x?xi64>, %s: tensor<f32>) -> (tensor<?x1x1x?xi64>, tensor<1xf32>) {
  // CHECK: tfm.unsqueeze %{{.*}} {axes = array<i64: 1, 2>} : (tensor<?x?xi64>) -> tensor<?x1x1x?xi64>
  %0 = tfm.unsqueeze %mask {axes = array<i64: 1, 2>} : (tensor<?x?xi64>) -> tensor<?x1x1x?xi64>
  // CHECK: tfm.unsqueeze %{{.*}} {axes = array<i64: 0>} : (tensor<f32>) -> tensor<1xf32>
  %1 = tfm.unsqueeze %s {axes = array<i64: 0>} : (tensor<f32>) -> tensor<1xf32>
  return %0, %1 : tensor<?x1x1x?xi64>, tensor<1xf32>
}

// CHECK-LABEL: func.func @trilu
func.func @trilu(%ones: tensor<?x?xf32>, %b: tensor<?x4x4xi1>) -> (tensor<?x?xf32>, tensor<?x4x4xi1>) {
  // CHECK: tfm.trilu %{{.*}} {upper = false} : tensor<?x?xf32>
  %0 = tfm.trilu %ones {upper = false, k = 0 : i64} : tensor<?x?xf32>
  // CHECK: tfm.trilu %{{.*}} {k = 1 : i64} : tensor<?x4x4xi1>
  %1 = tfm.trilu %b {k = 1 : i64} : tensor<?x4x4xi1>
  return %0, %1 : tensor<?x?xf32>, tensor<?x4x4xi1>
}

//===----------------------------------------------------------------------===//
// Transformer operations
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softmax
func.func @softmax(%scores: tensor<?x12x?x?xf32>) -> (tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>) {
  // CHECK: tfm.softmax %{{.*}} {axis = 3 : i64} : tensor<?x12x?x?xf32>
  %0 = tfm.softmax %scores {axis = 3 : i64} : tensor<?x12x?x?xf32>
  // CHECK: tfm.softmax %{{.*}} {axis = 3 : i64, log} : tensor<?x12x?x?xf32>
  %1 = tfm.softmax %scores {axis = 3 : i64, log} : tensor<?x12x?x?xf32>
  return %0, %1 : tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>
}

// CHECK-LABEL: func.func @quantize_probabilities
func.func @quantize_probabilities(%p: tensor<?x12x?x?xf32>) -> (tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>) {
  // CHECK: tfm.quantize_probabilities log2 %{{.*}} bits 4 : tensor<?x12x?x?xf32>
  %0 = tfm.quantize_probabilities log2 %p bits 4 : tensor<?x12x?x?xf32>
  // CHECK: tfm.quantize_probabilities uniform %{{.*}} bits 8 : tensor<?x12x?x?xf32>
  %1 = tfm.quantize_probabilities uniform %p bits 8 : tensor<?x12x?x?xf32>
  return %0, %1 : tensor<?x12x?x?xf32>, tensor<?x12x?x?xf32>
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<?x?x768xf32>, %gamma: tensor<768xf32>, %beta: tensor<768xf32>) -> tensor<?x?x768xf32> {
  // CHECK: tfm.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999996E-13 : f32} : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %0 = tfm.layer_norm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-12 : f32} : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// CHECK-LABEL: func.func @layer_norm_no_bias
func.func @layer_norm_no_bias(%x: tensor<?x?x768xf32>, %gamma: tensor<?x768xf32>) -> tensor<?x?x768xf32> {
  // CHECK: tfm.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<?x?x768xf32>, tensor<?x768xf32>) -> tensor<?x?x768xf32>
  %0 = tfm.layer_norm %x, %gamma {axis = 1 : i64} : (tensor<?x?x768xf32>, tensor<?x768xf32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<?x?x4096xf16>, %w: tensor<4096xf16>) -> (tensor<?x?x4096xf16>, tensor<?x?x4096xf16>) {
  // CHECK: tfm.rms_norm %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x4096xf16>, tensor<4096xf16>) -> tensor<?x?x4096xf16>
  %0 = tfm.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x?x4096xf16>, tensor<4096xf16>) -> tensor<?x?x4096xf16>
  // CHECK: tfm.rms_norm %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
  %1 = tfm.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x?x4096xf16>, tensor<4096xf16>) -> tensor<?x?x4096xf16>
  return %0, %1 : tensor<?x?x4096xf16>, tensor<?x?x4096xf16>
}

// CHECK-LABEL: func.func @rope
func.func @rope(%q: tensor<?x32x?x128xf32>, %cos: tensor<?x1x?x128xf32>, %sin: tensor<?x1x?x128xf32>) -> tensor<?x32x?x128xf32> {
  // CHECK: tfm.rope %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x32x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x1x?x128xf32>) -> tensor<?x32x?x128xf32>
  %0 = tfm.rope %q, %cos, %sin : (tensor<?x32x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x1x?x128xf32>) -> tensor<?x32x?x128xf32>
  return %0 : tensor<?x32x?x128xf32>
}

// CHECK-LABEL: func.func @rope_interleaved_partial
func.func @rope_interleaved_partial(%k: tensor<?x?x8x64xf32>, %cos: tensor<?x32xf32>, %sin: tensor<?x32xf32>) -> tensor<?x?x8x64xf32> {
  // CHECK: tfm.rope %{{.*}}, %{{.*}}, %{{.*}} {interleaved} : (tensor<?x?x8x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x?x8x64xf32>
  %0 = tfm.rope %k, %cos, %sin {interleaved} : (tensor<?x?x8x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x?x8x64xf32>
  return %0 : tensor<?x?x8x64xf32>
}

// CHECK-LABEL: func.func @embedding
func.func @embedding(%wte: tensor<50257x768xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x768xf32> {
  // CHECK: tfm.embedding %{{.*}}, %{{.*}} : (tensor<50257x768xf32>, tensor<?x?xi64>) -> tensor<?x?x768xf32>
  %0 = tfm.embedding %wte, %ids : (tensor<50257x768xf32>, tensor<?x?xi64>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// CHECK-LABEL: func.func @embedding_quantized
func.func @embedding_quantized(%wte: tensor<?x512x!quant.uniform<i8:f16, 0.02>>, %ids: tensor<?xi32>) -> tensor<?x512xf16> {
  // CHECK: tfm.embedding %{{.*}}, %{{.*}} : (tensor<?x512x!quant.uniform<i8:f16, 2.000000e-02>>, tensor<?xi32>) -> tensor<?x512xf16>
  %0 = tfm.embedding %wte, %ids : (tensor<?x512x!quant.uniform<i8:f16, 0.02>>, tensor<?xi32>) -> tensor<?x512xf16>
  return %0 : tensor<?x512xf16>
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%x: tensor<?x?x768xf32>, %w: tensor<768x3072xf32>) -> tensor<?x?x3072xf32> {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} : (tensor<?x?x768xf32>, tensor<768x3072xf32>) -> tensor<?x?x3072xf32>
  %0 = tfm.matmul %x, %w : (tensor<?x?x768xf32>, tensor<768x3072xf32>) -> tensor<?x?x3072xf32>
  return %0 : tensor<?x?x3072xf32>
}

// CHECK-LABEL: func.func @matmul_full_epilogue
func.func @matmul_full_epilogue(%x: tensor<?x?x768xf32>, %w: tensor<768x3072xf32>, %b: tensor<3072xf32>, %r: tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32> {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} bias %{{.*}} activation gelu residual %{{.*}} : (tensor<?x?x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>
  %0 = tfm.matmul %x, %w bias %b activation gelu residual %r : (tensor<?x?x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>
  return %0 : tensor<?x?x3072xf32>
}

// CHECK-LABEL: func.func @matmul_bias_only
func.func @matmul_bias_only(%x: tensor<?x768xf32>, %w: tensor<768x?xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} bias %{{.*}} : (tensor<?x768xf32>, tensor<768x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
  %0 = tfm.matmul %x, %w bias %b : (tensor<?x768xf32>, tensor<768x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @matmul_activations
func.func @matmul_activations(%x: tensor<?x64xf32>, %w: tensor<64x128xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} activation relu :
  %0 = tfm.matmul %x, %w activation relu : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} activation gelu_tanh :
  %1 = tfm.matmul %x, %w activation gelu_tanh : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} activation silu :
  %2 = tfm.matmul %x, %w activation silu : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} activation sigmoid :
  %3 = tfm.matmul %x, %w activation sigmoid : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} activation tanh :
  %4 = tfm.matmul %x, %w activation tanh : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  return %0, %1, %2, %3, %4 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}

// CHECK-LABEL: func.func @matmul_residual_only
func.func @matmul_residual_only(%x: tensor<?x?x768xf32>, %w: tensor<768x768xf32>, %r: tensor<?x?x768xf32>) -> tensor<?x?x768xf32> {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<?x?x768xf32>) -> tensor<?x?x768xf32>
  %0 = tfm.matmul %x, %w residual %r : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<?x?x768xf32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// CHECK-LABEL: func.func @matmul_transpose
func.func @matmul_transpose(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %a: tensor<?x64x32xf32>, %b: tensor<64x16xf32>) -> (tensor<?x12x?x?xf32>, tensor<?x32x16xf32>, tensor<?x12x32x?xf32>) {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} {transpose_rhs} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
  %0 = tfm.matmul %q, %k {transpose_rhs} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} {transpose_lhs} : (tensor<?x64x32xf32>, tensor<64x16xf32>) -> tensor<?x32x16xf32>
  %1 = tfm.matmul %a, %b {transpose_lhs} : (tensor<?x64x32xf32>, tensor<64x16xf32>) -> tensor<?x32x16xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} {transpose_lhs, transpose_rhs} : (tensor<?x64x32xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x32x?xf32>
  %2 = tfm.matmul %a, %k {transpose_lhs, transpose_rhs} : (tensor<?x64x32xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x32x?xf32>
  return %0, %1, %2 : tensor<?x12x?x?xf32>, tensor<?x32x16xf32>, tensor<?x12x32x?xf32>
}

// CHECK-LABEL: func.func @matmul_quantized_rhs
func.func @matmul_quantized_rhs(%x: tensor<?x?x4xf32>, %w: tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, %b: tensor<2xf32>) -> tensor<?x?x2xf32> {
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} bias %{{.*}} {transpose_rhs} : (tensor<?x?x4xf32>, tensor<2x4x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %0 = tfm.matmul %x, %w bias %b {transpose_rhs} : (tensor<?x?x4xf32>, tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<2xf32>) -> tensor<?x?x2xf32>
  return %0 : tensor<?x?x2xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %v: tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32> {
  // CHECK: tfm.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
  %0 = tfm.attention %q, %k, %v : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// A decoder's step: the caches and lengths are the function's cache
// arguments; the op is not pure (it appends to the caches), so it stays
// even when its result is unused.
// CHECK-LABEL: func.func @cached_attention
// CHECK-SAME: {tfm.cache_lengths = {context_limit = 2048 : i64, step = "sequence"}}
// CHECK-SAME: {tfm.cache}
func.func @cached_attention(%q: tensor<?x9x?x64xf32>, %k: tensor<?x3x?x64xf32>, %v: tensor<?x3x?x64xf32>, %len: tensor<?xi64> {tfm.cache_lengths = {context_limit = 2048 : i64, step = "sequence"}}, %kc: tensor<?x3x?x64xf32> {tfm.cache}, %vc: tensor<?x3x?x64xf32> {tfm.cache}) {
  // CHECK: tfm.cached_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<?x9x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?xi64>) -> tensor<?x9x?x64xf32>
  %0 = tfm.cached_attention %q, %k, %v, %kc, %vc, %len {scale = 0.125 : f32} : (tensor<?x9x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?xi64>) -> tensor<?x9x?x64xf32>
  return
}

// CHECK-LABEL: func.func @attention_float_mask_causal
func.func @attention_float_mask_causal(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %v: tensor<?x12x?x64xf32>, %m: tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32> {
  // CHECK: tfm.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {causal} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32>
  %0 = tfm.attention %q, %k, %v mask %m {causal} : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x1x1x?xf32>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// CHECK-LABEL: func.func @attention_bool_mask_scale
func.func @attention_bool_mask_scale(%q: tensor<?x12x?x64xf16>, %k: tensor<?x12x?x64xf16>, %v: tensor<?x12x?x64xf16>, %m: tensor<?x?xi1>) -> tensor<?x12x?x64xf16> {
  // CHECK: tfm.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>, tensor<?x?xi1>) -> tensor<?x12x?x64xf16>
  %0 = tfm.attention %q, %k, %v mask %m {scale = 0.125 : f32} : (tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>, tensor<?x?xi1>) -> tensor<?x12x?x64xf16>
  return %0 : tensor<?x12x?x64xf16>
}

// Grouped-query attention: 8 query heads share 2 key/value heads.
// CHECK-LABEL: func.func @attention_gqa
func.func @attention_gqa(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  // CHECK: tfm.attention %{{.*}}, %{{.*}}, %{{.*}} {causal} : (tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16>) -> tensor<?x8x?x128xbf16>
  %0 = tfm.attention %q, %k, %v {causal} : (tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16>) -> tensor<?x8x?x128xbf16>
  return %0 : tensor<?x8x?x128xbf16>
}

// Different value head dimension; result takes Dv.
// CHECK-LABEL: func.func @attention_value_dim
func.func @attention_value_dim(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x?x32xf32>, %v: tensor<2x4x?x48xf32>) -> tensor<2x4x16x48xf32> {
  // CHECK: tfm.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x16x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x48xf32>) -> tensor<2x4x16x48xf32>
  %0 = tfm.attention %q, %k, %v : (tensor<2x4x16x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x48xf32>) -> tensor<2x4x16x48xf32>
  return %0 : tensor<2x4x16x48xf32>
}

// CHECK-LABEL: func.func @conv
func.func @conv(%img: tensor<?x3x224x224xf32>, %w: tensor<768x3x16x16xf32>, %b: tensor<768xf32>) -> tensor<?x768x14x14xf32> {
  // CHECK: tfm.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 16, 16>} : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x768x14x14xf32>
  %0 = tfm.conv %img, %w, %b {strides = array<i64: 16, 16>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<?x768x14x14xf32>
  return %0 : tensor<?x768x14x14xf32>
}

// CHECK-LABEL: func.func @conv_no_bias_grouped
func.func @conv_no_bias_grouped(%x: tensor<?x8x?xf32>, %w: tensor<16x2x3xf32>) -> tensor<?x16x?xf32> {
  // CHECK: tfm.conv %{{.*}}, %{{.*}} {dilations = array<i64: 2>, group = 4 : i64, pads = array<i64: 1, 1>, strides = array<i64: 1>} : (tensor<?x8x?xf32>, tensor<16x2x3xf32>) -> tensor<?x16x?xf32>
  %0 = tfm.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 1, 1>, dilations = array<i64: 2>, group = 4 : i64} : (tensor<?x8x?xf32>, tensor<16x2x3xf32>) -> tensor<?x16x?xf32>
  return %0 : tensor<?x16x?xf32>
}

// CHECK-LABEL: func.func @conv_padded_strided
func.func @conv_padded_strided(%x: tensor<1x4x10x9xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x5x5xf32> {
  // CHECK: tfm.conv %{{.*}}, %{{.*}} {{{.*}}} : (tensor<1x4x10x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x5x5xf32>
  %0 = tfm.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x10x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}

// The blob holds [[0.0, 1.0], [2.0, 3.0]] after a 4-byte alignment header.
{-#
  dialect_resources: {
    builtin: {
      blob1: "0x04000000000000000000803F0000004000004040"
    }
  }
#-}

// CHECK-LABEL: func.func @scatter_nd
func.func @scatter_nd(%d: tensor<?x1x?x?xf32>, %i: tensor<?x1x?x?x4xi64>, %u: tensor<?x1x?x?xf32>, %d2: tensor<4x8xf32>, %i2: tensor<2x1xi64>, %u2: tensor<2x8xf32>) -> (tensor<?x1x?x?xf32>, tensor<4x8xf32>) {
  // CHECK: tfm.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  // CHECK: tfm.scatter_nd {{.*}} -> tensor<4x8xf32>
  %1 = tfm.scatter_nd %d2, %i2, %u2 : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x8xf32>) -> tensor<4x8xf32>
  return %0, %1 : tensor<?x1x?x?xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @quantized_matmul_per_token
func.func @quantized_matmul_per_token(%x: tensor<?x?x64xf32>, %w: tensor<128x64xi8>, %s: tensor<128x1xf32>, %b: tensor<128xf32>, %r: tensor<?x?x128xf32>) -> tensor<?x?x128xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} activation gelu residual %{{.*}} bits 8 group_size 0 lhs per_token {outlier_threshold = 6.000000e+00 : f32} : (tensor<?x?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>, tensor<128xf32>, tensor<?x?x128xf32>) -> tensor<?x?x128xf32>
  %0 = tfm.quantized_matmul %x, %w, %s bias %b activation gelu residual %r bits 8 group_size 0 lhs per_token {outlier_threshold = 6.0 : f32} : (tensor<?x?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>, tensor<128xf32>, tensor<?x?x128xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// CHECK-LABEL: func.func @quantized_matmul_channel_scale
func.func @quantized_matmul_channel_scale(%x: tensor<?x?x64xf32>, %w: tensor<128x64xi8>, %s: tensor<128x1xf32>, %c: tensor<64xf32>) -> tensor<?x?x128xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} channel_scale %{{.*}} bits 8 group_size 0 lhs per_token : (tensor<?x?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>, tensor<64xf32>) -> tensor<?x?x128xf32>
  %0 = tfm.quantized_matmul %x, %w, %s channel_scale %c bits 8 group_size 0 lhs per_token : (tensor<?x?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>, tensor<64xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// CHECK-LABEL: func.func @quantized_matmul_offset
func.func @quantized_matmul_offset(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x2xf32>, %o: tensor<8x2xf32>) -> tensor<?x8xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} offset %{{.*}} bits 4 group_size 32 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<?x8xf32>
  %0 = tfm.quantized_matmul %x, %w, %s offset %o bits 4 group_size 32 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @quantized_matmul_per_tensor
func.func @quantized_matmul_per_tensor(%x: tensor<?x?x64xf32>, %w: tensor<128x64xi8>, %s: tensor<128x1xf32>) -> tensor<?x?x128xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} bits 8 group_size 0 lhs per_tensor : (tensor<?x?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>) -> tensor<?x?x128xf32>
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor : (tensor<?x?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// CHECK-LABEL: func.func @dynamic_quantize
func.func @dynamic_quantize(%x: tensor<?x?x64xf32>) -> (tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>) {
  // CHECK: tfm.dynamic_quantize %{{.*}} : tensor<?x?x64xf32> -> tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<?x?x64xf32> -> tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %z : tensor<?x?x64xui8>, tensor<f32>, tensor<ui8>
}

// CHECK-LABEL: func.func @matmul_integer
func.func @matmul_integer(%q: tensor<?x?x64xui8>, %w: tensor<64x32xi8>, %z: tensor<ui8>, %wz: tensor<32xi8>) -> (tensor<?x?x32xi32>, tensor<?x?x32xi32>) {
  // CHECK: tfm.matmul_integer %{{.*}}, %{{.*}} lhs_zero_point %{{.*}} rhs_zero_point %{{.*}} : (tensor<?x?x64xui8>, tensor<64x32xi8>, tensor<ui8>, tensor<32xi8>) -> tensor<?x?x32xi32>
  %0 = tfm.matmul_integer %q, %w lhs_zero_point %z rhs_zero_point %wz : (tensor<?x?x64xui8>, tensor<64x32xi8>, tensor<ui8>, tensor<32xi8>) -> tensor<?x?x32xi32>
  // CHECK: tfm.matmul_integer %{{.*}}, %{{.*}} : (tensor<?x?x64xui8>, tensor<64x32xi8>) -> tensor<?x?x32xi32>
  %1 = tfm.matmul_integer %q, %w : (tensor<?x?x64xui8>, tensor<64x32xi8>) -> tensor<?x?x32xi32>
  return %0, %1 : tensor<?x?x32xi32>, tensor<?x?x32xi32>
}

// CHECK-LABEL: func.func @quantized_matmul_grouped
func.func @quantized_matmul_grouped(%x: tensor<?x80xf32>, %w: tensor<16x80xi8>, %s: tensor<16x3xf32>, %z: tensor<16x3xi8>) -> tensor<?x16xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} zero_point %{{.*}} bits 4 group_size 32 lhs none : (tensor<?x80xf32>, tensor<16x80xi8>, tensor<16x3xf32>, tensor<16x3xi8>) -> tensor<?x16xf32>
  %0 = tfm.quantized_matmul %x, %w, %s zero_point %z bits 4 group_size 32 lhs none : (tensor<?x80xf32>, tensor<16x80xi8>, tensor<16x3xf32>, tensor<16x3xi8>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @quantized_matmul_per_tensor_zero_point
func.func @quantized_matmul_per_tensor_zero_point(%x: tensor<?x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x1xf32>, %z: tensor<16x1xi8>) -> tensor<?x16xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} zero_point %{{.*}} bits 8 group_size 0 lhs per_tensor : (tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>, tensor<16x1xi8>) -> tensor<?x16xf32>
  %0 = tfm.quantized_matmul %x, %w, %s zero_point %z bits 8 group_size 0 lhs per_tensor : (tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>, tensor<16x1xi8>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @quantized_matmul_per_tensor_static
func.func @quantized_matmul_per_tensor_static(%x: tensor<?x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x1xf32>) -> tensor<?x16xf32> {
  // CHECK: tfm.quantized_matmul %{{.*}}, %{{.*}}, %{{.*}} bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 5.000000e-01 : f32, lhs_zero_point = 128 : i64} : (tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>) -> tensor<?x16xf32>
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 0.5 : f32, lhs_zero_point = 128 : i64} : (tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @linear_attention_noncausal
func.func @linear_attention_noncausal(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  // CHECK: tfm.linear_attention %{{.*}}, %{{.*}}, %{{.*}} feature_map elu_plus_one normalization denominator : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %0 = tfm.linear_attention %q, %k, %v feature_map elu_plus_one normalization denominator : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %0 : tensor<?x2x?x8xf32>
}

// CHECK-LABEL: func.func @linear_attention_retnet
func.func @linear_attention_retnet(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // CHECK: tfm.linear_attention %{{.*}}, %{{.*}}, %{{.*}} decay constant normalization retnet {causal, chunk_size = 32 : i64, log_decay = array<f32: -3.125000e-02, -1.562500e-02>, scale = 2.500000e-01 : f32} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %0 = tfm.linear_attention %q, %k, %v decay constant normalization retnet {causal, log_decay = array<f32: -0.03125, -0.015625>, scale = 0.25 : f32, chunk_size = 32} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// CHECK-LABEL: func.func @linear_attention_vector_gate_state
func.func @linear_attention_vector_gate_state(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %g: tensor<?x2x?x16xf32>, %s: tensor<?x2x17x17xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>) {
  // CHECK: tfm.linear_attention %{{.*}}, %{{.*}}, %{{.*}} gate %{{.*}} state %{{.*}} feature_map silu decay vector_gate {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>)
  %0, %1 = tfm.linear_attention %q, %k, %v gate %g state %s feature_map silu decay vector_gate {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>)
  return %0, %1 : tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>
}

// CHECK-LABEL: func.func @linear_attention_scalar_gate
func.func @linear_attention_scalar_gate(%q: tensor<?x2x?x16xf32>, %g: tensor<?x2x?xf32>) -> tensor<?x2x?x16xf32> {
  // CHECK: tfm.linear_attention %{{.*}}, %{{.*}}, %{{.*}} gate %{{.*}} decay scalar_gate {causal}
  %0 = tfm.linear_attention %q, %q, %q gate %g decay scalar_gate {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}
