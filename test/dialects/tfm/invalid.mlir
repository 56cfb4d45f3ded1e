// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier diagnostic of the `tfm` ops, plus a few ODS type
// constraint errors. Ops with inferred result types diagnose their operands
// in inferReturnTypes, after which MLIR reports "failed to infer returned
// types" at the same op, hence two expected errors for those.

//===----------------------------------------------------------------------===//
// ODS type constraints
//===----------------------------------------------------------------------===//

func.func @unranked_operand(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = "tfm.relu"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @exp_of_integers(%x: tensor<?x4xi32>) -> tensor<?x4xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = tfm.exp %x : tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// -----

func.func @not_of_floats(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = tfm.not %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unary_result_type_differs(%x: tensor<?x4xf32>) -> tensor<?x4xf16> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "tfm.neg"(%x) : (tensor<?x4xf32>) -> tensor<?x4xf16>
  return %0 : tensor<?x4xf16>
}

// -----

func.func @shape_operand_not_1d(%x: tensor<?x?xf32>, %s: tensor<2x2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of 64-bit signless integer values}}
  %0 = tfm.reshape %x, %s : (tensor<?x?xf32>, tensor<2x2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @range_operand_not_scalar(%a: tensor<1xi64>, %b: tensor<i64>) -> tensor<?xi64> {
  // expected-error @+1 {{operand #0 must be 0D tensor of numeric values}}
  %0 = tfm.range %a, %b, %b : (tensor<1xi64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

func.func @matmul_integer_lhs(%a: tensor<?x4xi32>, %b: tensor<4x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = tfm.matmul %a, %b : (tensor<?x4xi32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @gather_i16_indices(%x: tensor<?x4xf32>, %i: tensor<2xi16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32/64-bit integer values}}
  %0 = tfm.gather %x, %i {axis = 0 : i64} : (tensor<?x4xf32>, tensor<2xi16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @attention_integer_mask(%q: tensor<?x4x?x8xf32>, %m: tensor<?x?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+1 {{operand #3 must be ranked tensor of floating-point or 1-bit signless integer values}}
  %0 = tfm.attention %q, %q, %q mask %m : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Constants and shape computations
//===----------------------------------------------------------------------===//

func.func @constant_dynamic_shape() -> tensor<?xf32> {
  // expected-error @+1 {{'tfm.constant' op value must have a static shape}}
  %0 = tfm.constant dense_resource<blob> : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @shape_range_out_of_rank(%x: tensor<?x?x768xf32>) -> tensor<2xi64> {
  // expected-error @+2 {{'tfm.shape' op range [2, 4) is not within the input rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.shape %x {start = 2 : i64, end = 4 : i64} : (tensor<?x?x768xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

func.func @constant_of_shape_dynamic_length(%s: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.constant_of_shape' op shape operand must have a static length}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.constant_of_shape %s {value = 0.0 : f32} : (tensor<?xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @constant_of_shape_non_scalar_value(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.constant_of_shape' op value must be an integer or float scalar}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.constant_of_shape %s {value = dense<0.0> : tensor<f32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @range_mixed_element_types(%a: tensor<i64>, %b: tensor<i32>) -> tensor<?xi64> {
  // expected-error @+2 {{'tfm.range' op start, limit and delta must share an element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

func.func @range_zero_delta(%a: tensor<i64>, %b: tensor<i64>) -> tensor<?xi64> {
  %zero = tfm.constant dense<0> : tensor<i64>
  // expected-error @+2 {{'tfm.range' op delta must not be zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.range %a, %b, %zero : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @clip_min_above_max(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'tfm.clip' op min 6.000000e+00 is greater than max 0.000000e+00}}
  %0 = tfm.clip %x {min = 6.0 : f64, max = 0.0 : f64} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @add_element_types_differ(%x: tensor<?x4xf32>, %y: tensor<4xf16>) -> tensor<?x4xf32> {
  // expected-error @+2 {{operands have different element types ('f32' vs 'f16')}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.add %x, %y : (tensor<?x4xf32>, tensor<4xf16>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @mul_shapes_do_not_broadcast(%x: tensor<?x4xf32>, %y: tensor<3xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{operand shapes do not broadcast: 'tensor<3xf32>' against ?x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.mul %x, %y : (tensor<?x4xf32>, tensor<3xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @sub_wrong_result_shape(%x: tensor<2x4xi64>, %y: tensor<4xi64>) -> tensor<3x4xi64> {
  // expected-error @+2 {{'tfm.sub' op inferred type(s) 'tensor<2x4xi64>' are incompatible with return type(s) of operation 'tensor<3x4xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.sub %x, %y : (tensor<2x4xi64>, tensor<4xi64>) -> tensor<3x4xi64>
  return %0 : tensor<3x4xi64>
}

// -----

func.func @compare_element_types_differ(%x: tensor<?xi64>, %y: tensor<i32>) -> tensor<?xi1> {
  // expected-error @+2 {{'tfm.compare' op operands have different element types ('i64' vs 'i32')}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.compare eq, %x, %y : (tensor<?xi64>, tensor<i32>) -> tensor<?xi1>
  return %0 : tensor<?xi1>
}

// -----

func.func @compare_shapes_do_not_broadcast(%x: tensor<?x4xf32>, %y: tensor<5xf32>) -> tensor<?x4xi1> {
  // expected-error @+2 {{operand shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.compare lt, %x, %y : (tensor<?x4xf32>, tensor<5xf32>) -> tensor<?x4xi1>
  return %0 : tensor<?x4xi1>
}

// -----

func.func @select_branch_types_differ(%c: tensor<?xi1>, %a: tensor<?xf32>, %b: tensor<f16>) -> tensor<?xf32> {
  // expected-error @+2 {{'tfm.select' op branches have different element types ('f32' vs 'f16')}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.select %c, %a, %b : (tensor<?xi1>, tensor<?xf32>, tensor<f16>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @select_shapes_do_not_broadcast(%c: tensor<3xi1>, %a: tensor<4xf32>, %b: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+2 {{operand shapes do not broadcast: 'tensor<4xf32>' against 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.select %c, %a, %b : (tensor<3xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @cast_shape_differs(%x: tensor<?x4xf32>) -> tensor<?x5xi32> {
  // expected-error @+1 {{'tfm.cast' op result shape ?x5 differs from input shape ?x4}}
  %0 = tfm.cast %x : tensor<?x4xf32> to tensor<?x5xi32>
  return %0 : tensor<?x5xi32>
}

// -----

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

func.func @quantize_expressed_type_differs(%x: tensor<?x8xf16>) -> tensor<?x8x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{'tfm.quantize' op quantized type expresses 'f32' but the float tensor holds 'f16'}}
  %0 = tfm.quantize %x : tensor<?x8xf16> to tensor<?x8x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<?x8x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @quantize_shapes_differ(%x: tensor<?x8xf32>) -> tensor<?x4x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{'tfm.quantize' op shapes differ: ?x8 vs ?x4}}
  %0 = tfm.quantize %x : tensor<?x8xf32> to tensor<?x4x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<?x4x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @quantize_axis_out_of_range(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:5, {0.1, 0.2}>> {
  // expected-error @+1 {{'tfm.quantize' op quantized dimension 5 is out of range for rank 2}}
  %0 = tfm.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:5, {0.1, 0.2}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:5, {0.1, 0.2}>>
}

// -----

func.func @dequantize_scale_count(%q: tensor<?x3x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'tfm.dequantize' op has 2 scales for quantized dimension 1 of size 3}}
  %0 = tfm.dequantize %q : tensor<?x3x!quant.uniform<i8:f32:1, {0.1, 0.2}>> to tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @dequantize_expressed_type_differs(%q: tensor<4x!quant.uniform<u8:f32, 0.5:128>>) -> tensor<4xbf16> {
  // expected-error @+1 {{'tfm.dequantize' op quantized type expresses 'f32' but the float tensor holds 'bf16'}}
  %0 = tfm.dequantize %q : tensor<4x!quant.uniform<u8:f32, 0.5:128>> to tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// Reductions and scans
//===----------------------------------------------------------------------===//

func.func @reduce_empty_axes(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.reduce' op axes must be non-empty, sorted, unique and in [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.reduce sum %x {axes = array<i64>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @reduce_unsorted_axes(%x: tensor<?x?x8xf32>) -> tensor<?x1x1xf32> {
  // expected-error @+2 {{'tfm.reduce' op axes must be non-empty, sorted, unique and in [0, 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.reduce max %x {axes = array<i64: 2, 1>} : (tensor<?x?x8xf32>) -> tensor<?x1x1xf32>
  return %0 : tensor<?x1x1xf32>
}

// -----

func.func @argmax_axis_out_of_range(%x: tensor<?x?xf32>) -> tensor<?x?xi64> {
  // expected-error @+2 {{'tfm.argmax' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.argmax %x {axis = 2 : i64} : (tensor<?x?xf32>) -> tensor<?x?xi64>
  return %0 : tensor<?x?xi64>
}

// -----

func.func @cumsum_axis_out_of_range(%x: tensor<?x?xi64>) -> tensor<?x?xi64> {
  // expected-error @+1 {{'tfm.cumsum' op axis -1 is out of range for rank 2}}
  %0 = tfm.cumsum %x {axis = -1 : i64} : tensor<?x?xi64>
  return %0 : tensor<?x?xi64>
}

// -----

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

func.func @reshape_dynamic_shape_length(%x: tensor<?x?xf32>, %s: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.reshape' op shape operand must have a static length}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.reshape %x, %s : (tensor<?x?xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @reshape_two_minus_ones(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = tfm.constant dense<[-1, -1]> : tensor<2xi64>
  // expected-error @+1 {{'tfm.reshape' op shape has more than one -1 entry}}
  %0 = tfm.reshape %x, %s : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @reshape_negative_entry(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = tfm.constant dense<[4, -3]> : tensor<2xi64>
  // expected-error @+1 {{'tfm.reshape' op shape entry -3 is negative}}
  %0 = tfm.reshape %x, %s : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @reshape_element_count(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'tfm.reshape' op cannot reshape 6 elements into 4x2}}
  %0 = tfm.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  // expected-error @+2 {{'tfm.transpose' op permutation is not a permutation of [0, 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.transpose %x {permutation = array<i64: 0, 1, 1>} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

func.func @transpose_wrong_result(%x: tensor<?x12x?x64xf32>) -> tensor<?x64x?x12xf32> {
  // expected-error @+2 {{'tfm.transpose' op inferred type(s) 'tensor<?x?x12x64xf32>' are incompatible with return type(s) of operation 'tensor<?x64x?x12xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x12x?x64xf32>) -> tensor<?x64x?x12xf32>
  return %0 : tensor<?x64x?x12xf32>
}

// -----

func.func @concat_no_inputs() -> tensor<?xf32> {
  // expected-error @+2 {{'tfm.concat' op needs at least one input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.concat {axis = 0 : i64} : () -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'tfm.concat' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.concat %a, %a {axis = 2 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @concat_rank_differs(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'tfm.concat' op inputs differ in rank or element type: 'tensor<?x4xf32>' vs 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.concat %a, %b {axis = 0 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @concat_dimension_differs(%a: tensor<?x12x?x64xf32>, %b: tensor<?x8x?x64xf32>) -> tensor<?x12x?x64xf32> {
  // expected-error @+2 {{'tfm.concat' op inputs differ in dimension 1 (12 vs 8)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.concat %a, %b {axis = 2 : i64} : (tensor<?x12x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// -----

func.func @slice_axes_steps_count(%x: tensor<?x?xf32>, %b: tensor<1xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.slice' op has 1 axes but 2 steps}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.slice %x, %b, %b {axes = array<i64: 0>, steps = array<i64: 1, 1>} : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @slice_bound_length(%x: tensor<?x?xf32>, %st: tensor<1xi64>, %en: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.slice' op has 1 axes but a bound operand of length 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.slice %x, %st, %en {axes = array<i64: 1>, steps = array<i64: 1>} : (tensor<?x?xf32>, tensor<1xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @slice_axis_out_of_range(%x: tensor<?x?xf32>, %b: tensor<1xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.slice' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.slice %x, %b, %b {axes = array<i64: 2>, steps = array<i64: 1>} : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @slice_axis_twice(%x: tensor<?x?xf32>, %b: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.slice' op axis 1 appears twice}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.slice %x, %b, %b {axes = array<i64: 1, 1>, steps = array<i64: 1, 1>} : (tensor<?x?xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @slice_zero_step(%x: tensor<?x?xf32>, %b: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.slice' op step for axis 0 is zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.slice %x, %b, %b {axes = array<i64: 0>, steps = array<i64: 0>} : (tensor<?x?xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @split_axis_out_of_range(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  // expected-error @+1 {{'tfm.split' op axis 2 is out of range for rank 2}}
  %0:2 = tfm.split %x {axis = 2 : i64} : (tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

func.func @split_no_results(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'tfm.split' op needs at least one result}}
  tfm.split %x {axis = 1 : i64} : (tensor<?x8xf32>) -> ()
  return
}

// -----

func.func @split_sizes_count(%x: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  // expected-error @+1 {{'tfm.split' op has 3 sizes but 2 results}}
  %0:2 = tfm.split %x {axis = 1 : i64, sizes = array<i64: 4, 2, 2>} : (tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

func.func @split_negative_size(%x: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  // expected-error @+1 {{'tfm.split' op split size -2 is negative}}
  %0:2 = tfm.split %x {axis = 1 : i64, sizes = array<i64: 10, -2>} : (tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>)
  return %0#0, %0#1 : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

func.func @split_sizes_total(%x: tensor<?x8xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  // expected-error @+1 {{'tfm.split' op split sizes add up to 6 but dimension 1 is 8}}
  %0:2 = tfm.split %x {axis = 1 : i64, sizes = array<i64: 3, 3>} : (tensor<?x8xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  return %0#0, %0#1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

func.func @split_result_type(%x: tensor<?x?x2304xf32>) -> (tensor<?x?x768xf32>, tensor<?x?x768xf32>) {
  // expected-error @+1 {{'tfm.split' op result 1 has type 'tensor<?x?x768xf32>' but the split gives 'tensor<?x?x1152xf32>'}}
  %0:2 = tfm.split %x {axis = 2 : i64} : (tensor<?x?x2304xf32>) -> (tensor<?x?x1152xf32>, tensor<?x?x768xf32>)
  return %0#0, %0#1 : tensor<?x?x1152xf32>, tensor<?x?x768xf32>
}

// -----

func.func @gather_axis_out_of_range(%x: tensor<?x4xf32>, %i: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'tfm.gather' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.gather %x, %i {axis = 2 : i64} : (tensor<?x4xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @expand_dynamic_shape_length(%x: tensor<?x4xf32>, %s: tensor<?xi64>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'tfm.expand' op shape operand must have a static length}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.expand %x, %s : (tensor<?x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @expand_does_not_broadcast(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %s = tfm.constant dense<[2, 3]> : tensor<2xi64>
  // expected-error @+2 {{'tfm.expand' op input shape ?x4 does not broadcast to 2x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.expand %x, %s : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @squeeze_bad_axes(%x: tensor<1x?x1xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{'tfm.squeeze' op axes must be sorted, unique and in [0, 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.squeeze %x {axes = array<i64: 2, 0>} : (tensor<1x?x1xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @squeeze_not_one(%x: tensor<1x?x4xf32>) -> tensor<1x?xf32> {
  // expected-error @+2 {{'tfm.squeeze' op dimension 2 has size 4, not 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.squeeze %x {axes = array<i64: 2>} : (tensor<1x?x4xf32>) -> tensor<1x?xf32>
  return %0 : tensor<1x?xf32>
}

// -----

func.func @unsqueeze_bad_axes(%x: tensor<?x?xi64>) -> tensor<?x1x?x1xi64> {
  // expected-error @+2 {{'tfm.unsqueeze' op axes must be non-empty, sorted, unique and in [0, 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.unsqueeze %x {axes = array<i64: 1, 4>} : (tensor<?x?xi64>) -> tensor<?x1x?x1xi64>
  return %0 : tensor<?x1x?x1xi64>
}

// -----

func.func @trilu_rank_one(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'tfm.trilu' op needs a tensor of rank >= 2, got rank 1}}
  %0 = tfm.trilu %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Transformer operations
//===----------------------------------------------------------------------===//

func.func @quantize_probabilities_bits(%p: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'tfm.quantize_probabilities' op bits must be 4 or 8, got 3}}
  %0 = tfm.quantize_probabilities log2 %p bits 3 : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @softmax_axis_out_of_range(%x: tensor<?x12x?x?xf32>) -> tensor<?x12x?x?xf32> {
  // expected-error @+1 {{'tfm.softmax' op axis 4 is out of range for rank 4}}
  %0 = tfm.softmax %x {axis = 4 : i64} : tensor<?x12x?x?xf32>
  return %0 : tensor<?x12x?x?xf32>
}

// -----

func.func @layer_norm_axis_out_of_range(%x: tensor<?x?x768xf32>, %g: tensor<768xf32>) -> tensor<?x?x768xf32> {
  // expected-error @+1 {{'tfm.layer_norm' op axis 3 is out of range for rank 3}}
  %0 = tfm.layer_norm %x, %g {axis = 3 : i64} : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<?x?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf16>) -> tensor<?x?x768xf32> {
  // expected-error @+1 {{'tfm.layer_norm' op parameter element type 'f16' differs from input element type 'f32'}}
  %0 = tfm.layer_norm %x, %g, %b {axis = 2 : i64} : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf16>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// -----

func.func @layer_norm_scale_shape(%x: tensor<?x?x768xf32>, %g: tensor<512xf32>) -> tensor<?x?x768xf32> {
  // expected-error @+1 {{'tfm.layer_norm' op parameter shape 512 differs from the normalized shape 768}}
  %0 = tfm.layer_norm %x, %g {axis = 2 : i64} : (tensor<?x?x768xf32>, tensor<512xf32>) -> tensor<?x?x768xf32>
  return %0 : tensor<?x?x768xf32>
}

// -----

func.func @layer_norm_result_type(%x: tensor<?x?x768xf32>, %g: tensor<768xf32>) -> tensor<?x?x768xf16> {
  // expected-error @+1 {{'tfm.layer_norm' op result type 'tensor<?x?x768xf16>' differs from input type 'tensor<?x?x768xf32>'}}
  %0 = tfm.layer_norm %x, %g {axis = 2 : i64} : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf16>
  return %0 : tensor<?x?x768xf16>
}

// -----

func.func @rms_norm_scale_rank(%x: tensor<?x?x4096xf32>, %w: tensor<?x4096xf32>) -> tensor<?x?x4096xf32> {
  // expected-error @+1 {{'tfm.rms_norm' op parameter shape ?x4096 differs from the normalized shape 4096}}
  %0 = tfm.rms_norm %x, %w {axis = 2 : i64} : (tensor<?x?x4096xf32>, tensor<?x4096xf32>) -> tensor<?x?x4096xf32>
  return %0 : tensor<?x?x4096xf32>
}

// -----

func.func @rope_input_rank(%x: tensor<128xf32>, %c: tensor<?x128xf32>) -> tensor<128xf32> {
  // expected-error @+1 {{'tfm.rope' op input must have rank >= 2 ([..., seq, dim]), got 1}}
  %0 = tfm.rope %x, %c, %c : (tensor<128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<128xf32>
  return %0 : tensor<128xf32>
}

// -----

func.func @rope_result_type(%x: tensor<?x?x128xf32>, %c: tensor<?x128xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'tfm.rope' op result type 'tensor<?x?x64xf32>' differs from input type 'tensor<?x?x128xf32>'}}
  %0 = tfm.rope %x, %c, %c : (tensor<?x?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

func.func @rope_cos_sin_differ(%x: tensor<?x?x128xf32>, %c: tensor<?x128xf32>, %s: tensor<?x64xf32>) -> tensor<?x?x128xf32> {
  // expected-error @+1 {{'tfm.rope' op cos and sin types differ: 'tensor<?x128xf32>' vs 'tensor<?x64xf32>'}}
  %0 = tfm.rope %x, %c, %s : (tensor<?x?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// -----

func.func @rope_cos_element_type(%x: tensor<?x?x128xf32>, %c: tensor<?x128xf16>) -> tensor<?x?x128xf32> {
  // expected-error @+1 {{'tfm.rope' op cos/sin element type 'f16' differs from input element type 'f32'}}
  %0 = tfm.rope %x, %c, %c : (tensor<?x?x128xf32>, tensor<?x128xf16>, tensor<?x128xf16>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// -----

func.func @rope_cos_rank(%x: tensor<?x?x128xf32>, %c: tensor<128xf32>) -> tensor<?x?x128xf32> {
  // expected-error @+1 {{'tfm.rope' op cos/sin must have rank in [2, 3], got 1}}
  %0 = tfm.rope %x, %c, %c : (tensor<?x?x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// -----

func.func @rope_odd_rotary(%x: tensor<?x?x128xf32>, %c: tensor<?x63xf32>) -> tensor<?x?x128xf32> {
  // expected-error @+1 {{'tfm.rope' op rotary dimension 63 is odd}}
  %0 = tfm.rope %x, %c, %c : (tensor<?x?x128xf32>, tensor<?x63xf32>, tensor<?x63xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// -----

func.func @rope_rotary_too_large(%x: tensor<?x?x64xf32>, %c: tensor<?x128xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'tfm.rope' op rotary dimension 128 exceeds the feature dimension 64}}
  %0 = tfm.rope %x, %c, %c : (tensor<?x?x64xf32>, tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

func.func @rope_cos_does_not_broadcast(%x: tensor<?x32x16x128xf32>, %c: tensor<?x1x8x128xf32>) -> tensor<?x32x16x128xf32> {
  // expected-error @+1 {{'tfm.rope' op cos/sin of shape ?x1x8x128 does not broadcast to ?x32x16x128}}
  %0 = tfm.rope %x, %c, %c : (tensor<?x32x16x128xf32>, tensor<?x1x8x128xf32>, tensor<?x1x8x128xf32>) -> tensor<?x32x16x128xf32>
  return %0 : tensor<?x32x16x128xf32>
}

// -----

func.func @embedding_table_rank(%t: tensor<50257xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x?xf32> {
  // expected-error @+2 {{'tfm.embedding' op table must have rank 2 ([vocab, hidden]), got rank 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.embedding %t, %ids : (tensor<50257xf32>, tensor<?x?xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

func.func @matmul_rank_one(%a: tensor<768xf32>, %b: tensor<768x64xf32>) -> tensor<64xf32> {
  // expected-error @+2 {{'tfm.matmul' op operands must have rank >= 2, got 1 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b : (tensor<768xf32>, tensor<768x64xf32>) -> tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @matmul_rhs_element_type(%a: tensor<?x64xf32>, %b: tensor<64x32x!quant.uniform<i8:f16, 0.1>>) -> tensor<?x32xf32> {
  // expected-error @+2 {{'tfm.matmul' op rhs element type '!quant.uniform<i8:f16, 1.000000e-01>' does not compute in the lhs element type 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b : (tensor<?x64xf32>, tensor<64x32x!quant.uniform<i8:f16, 0.1>>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<?x?x64xf32>, %b: tensor<32x128xf32>) -> tensor<?x?x128xf32> {
  // expected-error @+2 {{'tfm.matmul' op contraction dimensions differ: 64 vs 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b : (tensor<?x?x64xf32>, tensor<32x128xf32>) -> tensor<?x?x128xf32>
  return %0 : tensor<?x?x128xf32>
}

// -----

func.func @matmul_contraction_transposed(%a: tensor<?x64xf32>, %b: tensor<64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{'tfm.matmul' op contraction dimensions differ: 64 vs 128}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b {transpose_rhs} : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @matmul_batch(%a: tensor<3x?x64xf32>, %b: tensor<2x64x8xf32>) -> tensor<3x?x8xf32> {
  // expected-error @+2 {{'tfm.matmul' op batch dimensions 3 and 2 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b : (tensor<3x?x64xf32>, tensor<2x64x8xf32>) -> tensor<3x?x8xf32>
  return %0 : tensor<3x?x8xf32>
}

// -----

func.func @matmul_bias_element_type(%a: tensor<?x64xf32>, %b: tensor<64x8xf32>, %c: tensor<8xf16>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.matmul' op bias element type 'f16' differs from 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b bias %c : (tensor<?x64xf32>, tensor<64x8xf32>, tensor<8xf16>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @matmul_bias_shape(%a: tensor<?x64xf32>, %b: tensor<64x8xf32>, %c: tensor<16xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.matmul' op bias of shape 16 does not broadcast to ?x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b bias %c : (tensor<?x64xf32>, tensor<64x8xf32>, tensor<16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @matmul_residual_grows_result(%a: tensor<?x64xf32>, %b: tensor<64x8xf32>, %r: tensor<2x?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.matmul' op residual of shape 2x?x8 does not broadcast to ?x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b residual %r : (tensor<?x64xf32>, tensor<64x8xf32>, tensor<2x?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @matmul_residual_element_type(%a: tensor<?x64xf16>, %b: tensor<64x8xf16>, %r: tensor<?x8xf32>) -> tensor<?x8xf16> {
  // expected-error @+2 {{'tfm.matmul' op residual element type 'f32' differs from 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %a, %b residual %r : (tensor<?x64xf16>, tensor<64x8xf16>, tensor<?x8xf32>) -> tensor<?x8xf16>
  return %0 : tensor<?x8xf16>
}

// -----

func.func @attention_rank(%q: tensor<?x?x64xf32>, %k: tensor<?x12x?x64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op query, key and value must have rank 4 ([batch, heads, seq, dim]), got 3, 4 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %k : (tensor<?x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

func.func @attention_element_types(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf16>) -> tensor<?x12x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op query, key and value element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %k : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>) -> tensor<?x12x?x64xf32>
  return %0 : tensor<?x12x?x64xf32>
}

// -----

func.func @attention_batch(%q: tensor<2x12x?x64xf32>, %k: tensor<3x12x?x64xf32>, %v: tensor<2x12x?x64xf32>) -> tensor<2x12x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op batch sizes differ: 2, 3, 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %v : (tensor<2x12x?x64xf32>, tensor<3x12x?x64xf32>, tensor<2x12x?x64xf32>) -> tensor<2x12x?x64xf32>
  return %0 : tensor<2x12x?x64xf32>
}

// -----

func.func @attention_kv_heads(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x8x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op key and value head counts differ: 2 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %v : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

func.func @attention_gqa_not_multiple(%q: tensor<?x8x?x64xf32>, %k: tensor<?x3x?x64xf32>) -> tensor<?x8x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op query heads (8) are not a multiple of key/value heads (3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %k : (tensor<?x8x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

func.func @attention_head_dims(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x32xf32>) -> tensor<?x8x?x32xf32> {
  // expected-error @+2 {{'tfm.attention' op query and key head dims differ: 64 vs 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %k : (tensor<?x8x?x64xf32>, tensor<?x8x?x32xf32>, tensor<?x8x?x32xf32>) -> tensor<?x8x?x32xf32>
  return %0 : tensor<?x8x?x32xf32>
}

// -----

func.func @attention_kv_seq(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x16x64xf32>, %v: tensor<?x8x32x64xf32>) -> tensor<?x8x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op key and value sequence lengths differ: 16 vs 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %v : (tensor<?x8x?x64xf32>, tensor<?x8x16x64xf32>, tensor<?x8x32x64xf32>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

func.func @attention_negative_scale(%q: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op scale must be positive and finite, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %q, %q {scale = -1.0 : f32} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

func.func @attention_mask_element_type(%q: tensor<?x8x?x64xf32>, %m: tensor<?x?xf16>) -> tensor<?x8x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op mask element type 'f16' is neither i1 nor the query element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %q, %q mask %m : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x?xf16>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

func.func @attention_mask_shape(%q: tensor<?x8x?x64xf32>, %m: tensor<?x4x?x?xi1>) -> tensor<?x8x?x64xf32> {
  // expected-error @+2 {{'tfm.attention' op mask of shape ?x4x?x? does not broadcast to ?x8x?x?}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %q, %q mask %m : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x4x?x?xi1>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

func.func @conv_rank(%x: tensor<?x3xf32>, %w: tensor<8x3xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.conv' op input must have rank >= 3 and the weight the same rank, got 2 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64>, pads = array<i64>, dilations = array<i64>} : (tensor<?x3xf32>, tensor<8x3xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @conv_weight_element_type(%x: tensor<?x3x?xf32>, %w: tensor<8x3x3xf16>) -> tensor<?x8x?xf32> {
  // expected-error @+2 {{'tfm.conv' op weight element type 'f16' does not compute in 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<?x3x?xf32>, tensor<8x3x3xf16>) -> tensor<?x8x?xf32>
  return %0 : tensor<?x8x?xf32>
}

// -----

func.func @conv_attribute_lengths(%x: tensor<?x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x?x?xf32> {
  // expected-error @+2 {{'tfm.conv' op expects 2 strides and dilations and 4 pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : (tensor<?x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x?x?xf32>
  return %0 : tensor<?x8x?x?xf32>
}

// -----

func.func @conv_zero_stride(%x: tensor<?x3x?xf32>, %w: tensor<8x3x3xf32>) -> tensor<?x8x?xf32> {
  // expected-error @+2 {{'tfm.conv' op strides and dilations must be positive, pads non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 0>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<?x3x?xf32>, tensor<8x3x3xf32>) -> tensor<?x8x?xf32>
  return %0 : tensor<?x8x?xf32>
}

// -----

func.func @conv_zero_group(%x: tensor<?x3x?xf32>, %w: tensor<8x3x3xf32>) -> tensor<?x8x?xf32> {
  // expected-error @+2 {{'tfm.conv' op group must be positive, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 0 : i64} : (tensor<?x3x?xf32>, tensor<8x3x3xf32>) -> tensor<?x8x?xf32>
  return %0 : tensor<?x8x?xf32>
}

// -----

func.func @conv_channels(%x: tensor<?x4x?xf32>, %w: tensor<8x3x3xf32>) -> tensor<?x8x?xf32> {
  // expected-error @+2 {{'tfm.conv' op input has 4 channels but the weight expects 3 x 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<?x4x?xf32>, tensor<8x3x3xf32>) -> tensor<?x8x?xf32>
  return %0 : tensor<?x8x?xf32>
}

// -----

func.func @conv_filters_groups(%x: tensor<?x4x?xf32>, %w: tensor<6x1x3xf32>) -> tensor<?x6x?xf32> {
  // expected-error @+2 {{'tfm.conv' op 6 filters do not divide into 4 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 4 : i64} : (tensor<?x4x?xf32>, tensor<6x1x3xf32>) -> tensor<?x6x?xf32>
  return %0 : tensor<?x6x?xf32>
}

// -----

func.func @conv_bias_shape(%x: tensor<?x3x?xf32>, %w: tensor<8x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x8x?xf32> {
  // expected-error @+2 {{'tfm.conv' op bias must have shape [8], got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w, %b {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<?x3x?xf32>, tensor<8x3x3xf32>, tensor<4xf32>) -> tensor<?x8x?xf32>
  return %0 : tensor<?x8x?xf32>
}

// -----

func.func @conv_kernel_too_large(%x: tensor<?x3x4x?xf32>, %w: tensor<8x3x5x5xf32>) -> tensor<?x8x?x?xf32> {
  // expected-error @+2 {{'tfm.conv' op kernel does not fit spatial dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<?x3x4x?xf32>, tensor<8x3x5x5xf32>) -> tensor<?x8x?x?xf32>
  return %0 : tensor<?x8x?x?xf32>
}

// -----

// The element count is checked against a constant shape even when the
// declared result type is dynamic.
func.func @reshape_constant_shape_count(%x: tensor<2x3xf32>) -> tensor<?x2xf32> {
  %s = tfm.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+1 {{'tfm.reshape' op cannot reshape 6 elements into shape 4x2}}
  %0 = tfm.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @reshape_minus_one_does_not_divide(%x: tensor<2x3xf32>) -> tensor<?x4xf32> {
  %s = tfm.constant dense<[-1, 4]> : tensor<2xi64>
  // expected-error @+1 {{'tfm.reshape' op cannot reshape 6 elements into shape -1x4}}
  %0 = tfm.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Dynamic dimensions print as '?' in diagnostics.
func.func @attention_batch_dynamic(%q: tensor<2x4x8x16xf32>, %k: tensor<3x4x8x16xf32>, %v: tensor<?x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  // expected-error @+2 {{'tfm.attention' op batch sizes differ: 2, 3, ?}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.attention %q, %k, %v : (tensor<2x4x8x16xf32>, tensor<3x4x8x16xf32>, tensor<?x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %0 : tensor<2x4x8x16xf32>
}

// -----

func.func @conv_bias_dynamic_filters(%x: tensor<1x3x8x8xf32>, %w: tensor<?x3x3x3xf32>, %b: tensor<4x4xf32>) -> tensor<1x?x6x6xf32> {
  // expected-error @+2 {{'tfm.conv' op bias must have shape [?], got 4x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<?x3x3x3xf32>, tensor<4x4xf32>) -> tensor<1x?x6x6xf32>
  return %0 : tensor<1x?x6x6xf32>
}

// -----

// Quantized weights need one scale per element of the quantized dimension.
func.func @matmul_per_axis_scales(%x: tensor<?x64xf32>, %w: tensor<64x32x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<?x32xf32> {
  // expected-error @+2 {{'tfm.matmul' op has 2 scales for quantized dimension 1 of size 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul %x, %w : (tensor<?x64xf32>, tensor<64x32x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @embedding_per_axis_rank(%t: tensor<16x4x!quant.uniform<i8:f32:2, {0.1, 0.2}>>, %ids: tensor<?xi64>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'tfm.embedding' op quantized dimension 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.embedding %t, %ids : (tensor<16x4x!quant.uniform<i8:f32:2, {0.1, 0.2}>>, tensor<?xi64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @scatter_nd_dynamic_index_length(%d: tensor<4x8xf32>, %i: tensor<2x?xi64>, %u: tensor<2x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'tfm.scatter_nd' op indices need a static last dimension (the index length)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<4x8xf32>, tensor<2x?xi64>, tensor<2x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scatter_nd_index_length(%d: tensor<4x8xf32>, %i: tensor<2x3xi64>, %u: tensor<2xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'tfm.scatter_nd' op index length 3 is not in [1, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<4x8xf32>, tensor<2x3xi64>, tensor<2xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scatter_nd_element_type(%d: tensor<4x8xf32>, %i: tensor<2x1xi64>, %u: tensor<2x8xf16>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'tfm.scatter_nd' op updates element type 'f16' differs from data element type 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x8xf16>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scatter_nd_updates_shape(%d: tensor<4x8xf32>, %i: tensor<2x1xi64>, %u: tensor<2x7xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{'tfm.scatter_nd' op updates have shape 2x7 but the indices select 2x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.scatter_nd %d, %i, %u : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x7xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @runtime_check_too_many_values(%ok: i1, %a: index) {
  // expected-error @+1 {{'tfm.runtime_check' op takes at most 2 values, got 3}}
  tfm.runtime_check %ok, "{0} {1} {2}"(%a, %a, %a : index, index, index)
  return
}

// -----

func.func @runtime_check_missing_placeholder(%ok: i1, %a: index, %b: index) {
  // expected-error @+1 {{'tfm.runtime_check' op message must contain}}
  tfm.runtime_check %ok, "size {0}"(%a, %b : index, index)
  return
}

// -----

func.func @runtime_check_extra_placeholder(%ok: i1, %a: index) {
  // expected-error @+1 {{'tfm.runtime_check' op message has a placeholder {1} for 1 value(s)}}
  tfm.runtime_check %ok, "size {0} against {1}"(%a : index)
  return
}

// -----

func.func @quantized_matmul_offset_per_token(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>, %o: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op offset goes with weight-only quantization (lhs none) and instead of a zero_point}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s offset %o bits 8 group_size 0 lhs per_token : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_offset_type(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x2xf32>, %o: tensor<8x2xf16>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op offset element type 'f16' differs from 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s offset %o bits 4 group_size 32 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>, tensor<8x2xf16>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_offset_shape(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x2xf32>, %o: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op offset must be [N, groups] = 8x2, got 8x1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s offset %o bits 4 group_size 32 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_bits(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op bits must be 4 or 8, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 3 group_size 0 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_group(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x3xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op group_size must be 0 or a positive multiple of 16, got 24}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 4 group_size 24 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x3xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_weight_rank(%x: tensor<?x64xf32>, %w: tensor<64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op needs lhs of rank >= 1 and a weight [N, K], got ranks 2 and 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs none : (tensor<?x64xf32>, tensor<64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_contraction(%x: tensor<?x32xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op lhs has 32 columns but the weight [N, K] has K = 64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs none : (tensor<?x32xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_scale_shape(%x: tensor<?x80xf32>, %w: tensor<8x80xi8>, %s: tensor<8x2xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op scale must be [N, groups] = 8x3, got 8x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 4 group_size 32 lhs none : (tensor<?x80xf32>, tensor<8x80xi8>, tensor<8x2xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_scale_type(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf16>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op scale element type 'f16' differs from 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf16>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_per_token_grouped(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x2xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op per_token lhs quantization needs symmetric per-channel weights (bits = 8, group_size = 0, no zero_point)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 32 lhs per_token : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_channel_scale_outliers(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>, %c: tensor<64xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op channel_scale needs per_token lhs quantization without outlier_threshold}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s channel_scale %c bits 8 group_size 0 lhs per_token {outlier_threshold = 6.0 : f32} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<64xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_channel_scale_shape(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>, %c: tensor<32xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op channel_scale must be [K] = [64] of 'f32', got 'tensor<32xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s channel_scale %c bits 8 group_size 0 lhs per_token : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<32xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_outliers_weight_only(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op outlier_threshold needs per_token lhs quantization}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs none {outlier_threshold = 6.0 : f32} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_outlier_threshold(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op outlier_threshold must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_token {outlier_threshold = 0.0 : f32} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_bias(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>, %b: tensor<16xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op bias of shape 16 does not broadcast to ?x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bias %b bits 8 group_size 0 lhs none : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>, tensor<16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_per_tensor_grouped(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x2xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op per_tensor lhs quantization needs per-channel int8 weights (bits = 8, group_size = 0)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 32 lhs per_tensor : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @dynamic_quantize_shape(%x: tensor<?x64xf32>) -> tensor<?x32xui8> {
  // expected-error @+1 {{'tfm.dynamic_quantize' op output shape ?x32 differs from input shape ?x64}}
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<?x64xf32> -> tensor<?x32xui8>, tensor<f32>, tensor<ui8>
  return %q : tensor<?x32xui8>
}

// -----

func.func @matmul_integer_rhs_rank(%q: tensor<?x64xui8>, %w: tensor<2x64x32xi8>) -> tensor<?x32xi32> {
  // expected-error @+2 {{'tfm.matmul_integer' op needs lhs of rank >= 1 and a 2-D rhs [K, N], got ranks 2 and 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul_integer %q, %w : (tensor<?x64xui8>, tensor<2x64x32xi8>) -> tensor<?x32xi32>
  return %0 : tensor<?x32xi32>
}

// -----

func.func @matmul_integer_contraction(%q: tensor<?x48xui8>, %w: tensor<64x32xi8>) -> tensor<?x32xi32> {
  // expected-error @+2 {{'tfm.matmul_integer' op lhs has 48 columns but rhs [K, N] has K = 64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul_integer %q, %w : (tensor<?x48xui8>, tensor<64x32xi8>) -> tensor<?x32xi32>
  return %0 : tensor<?x32xi32>
}

// -----

func.func @matmul_integer_zero_point_type(%q: tensor<?x64xui8>, %w: tensor<64x32xi8>, %z: tensor<i8>) -> tensor<?x32xi32> {
  // expected-error @+2 {{'tfm.matmul_integer' op lhs zero point element type 'i8' differs from 'ui8'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul_integer %q, %w lhs_zero_point %z : (tensor<?x64xui8>, tensor<64x32xi8>, tensor<i8>) -> tensor<?x32xi32>
  return %0 : tensor<?x32xi32>
}

// -----

func.func @matmul_integer_zero_point_shape(%q: tensor<?x64xui8>, %w: tensor<64x32xi8>, %z: tensor<16xi8>) -> tensor<?x32xi32> {
  // expected-error @+2 {{'tfm.matmul_integer' op rhs zero point must be 0-D or [N], got 16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.matmul_integer %q, %w rhs_zero_point %z : (tensor<?x64xui8>, tensor<64x32xi8>, tensor<16xi8>) -> tensor<?x32xi32>
  return %0 : tensor<?x32xi32>
}

// -----

func.func @quantized_matmul_static_without_scale(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op lhs_scale and lhs_zero_point go with (and only with) per_tensor_static lhs quantization}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor_static : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_scale_without_static(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op lhs_scale and lhs_zero_point go with (and only with) per_tensor_static lhs quantization}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor {lhs_scale = 0.5 : f32, lhs_zero_point = 0 : i64} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @quantized_matmul_static_zero_point(%x: tensor<?x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'tfm.quantized_matmul' op per_tensor_static needs a positive finite lhs_scale and an lhs_zero_point in [0, 255]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.quantized_matmul %x, %w, %s bits 8 group_size 0 lhs per_tensor_static {lhs_scale = 0.5 : f32, lhs_zero_point = 256 : i64} : (tensor<?x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @linear_attention_rank(%q: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op query, key and value must have rank 4 ([batch, heads, seq, dim]), got 3, 3 and 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q  : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

func.func @linear_attention_types(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf16>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op query, key and value element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %k, %k  : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_heads(%q: tensor<?x2x?x16xf32>, %k: tensor<?x3x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op head counts differ: 2, 3, 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %k, %k  : (tensor<?x2x?x16xf32>, tensor<?x3x?x16xf32>, tensor<?x3x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_head_dims(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x8xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op query and key head dims differ: 16 vs 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %k, %q  : (tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_decay_needs_causal(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op decay 'constant' needs 'causal'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q decay constant {log_decay = array<f32: -0.1, -0.2>} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_retnet_needs_decay(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op normalization 'retnet' needs decay 'constant'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q normalization retnet {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_log_decay_missing(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op 'log_decay' must be given exactly when decay is 'constant'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q decay constant {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_log_decay_count(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op 'log_decay' has 1 values for 2 heads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q decay constant {causal, log_decay = array<f32: -0.1>} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_log_decay_positive(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op 'log_decay' values must be finite and <= 0, got 5.000000e-01}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q decay constant {causal, log_decay = array<f32: -0.1, 0.5>} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_gate_missing(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op a 'gate' operand must be given exactly when decay is 'scalar_gate' or 'vector_gate'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q decay scalar_gate {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_gate_shape(%q: tensor<?x2x?x16xf32>, %g: tensor<?x2x?xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op gate 'tensor<?x2x?xf32>' does not match [B, H, T, Dk] of the query's element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q gate %g decay vector_gate {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_state_noncausal(%q: tensor<?x2x?x16xf32>, %s: tensor<?x2x17x17xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>) {
  // expected-error @+2 {{'tfm.linear_attention' op a 'state' needs 'causal'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0, %1 = tfm.linear_attention %q, %q, %q state %s  : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>)
  return %0, %1 : tensor<?x2x?x16xf32>, tensor<?x2x17x17xf32>
}

// -----

func.func @linear_attention_state_shape(%q: tensor<?x2x?x16xf32>, %s: tensor<?x2x16x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>) {
  // expected-error @+2 {{'tfm.linear_attention' op state 'tensor<?x2x16x16xf32>' does not match [B, H, Dk + 1, Dv + 1] of the query's element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0, %1 = tfm.linear_attention %q, %q, %q state %s {causal} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>)
  return %0, %1 : tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>
}

// -----

func.func @linear_attention_scale(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op scale must be positive and finite, got -1.000000e+00}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q {scale = -1.0 : f32} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_epsilon(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op epsilon must be finite and >= 0, got -1.000000e+00}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q {epsilon = -1.0 : f32} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_chunk(%q: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op chunk_size must be positive, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %q, %q {chunk_size = 0} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %0 : tensor<?x2x?x16xf32>
}

// -----

func.func @linear_attention_batch(%q: tensor<2x2x?x16xf32>, %k: tensor<3x2x?x16xf32>) -> tensor<2x2x?x16xf32> {
  // expected-error @+2 {{'tfm.linear_attention' op batch sizes differ: 2, 3, 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.linear_attention %q, %k, %k  : (tensor<2x2x?x16xf32>, tensor<3x2x?x16xf32>, tensor<3x2x?x16xf32>) -> tensor<2x2x?x16xf32>
  return %0 : tensor<2x2x?x16xf32>
}

// -----

func.func @cached_attention_rank(%q: tensor<?x4x?x8xf32>, %c: tensor<?x2x?x8xf32>, %bad: tensor<?x?x8xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op query, key, value and the caches must have rank 4 ([batch, heads, seq, dim]), got 'tensor<?x?x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %bad, %bad, %c, %c, %len : (tensor<?x4x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_lengths(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %len: tensor<?x1xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op lengths must have rank 1 ([batch]), got 'tensor<?x1xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %k, %k, %len : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_element_types(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %c: tensor<?x2x?x8xf16>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op query, key, value and cache element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %c, %c, %len : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf16>, tensor<?x2x?x8xf16>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_batch(%q: tensor<2x4x?x8xf32>, %k: tensor<2x2x?x8xf32>, %c: tensor<3x2x?x8xf32>, %len: tensor<2xi64>) -> tensor<2x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op batch sizes differ: 2 vs 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %c, %c, %len : (tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<3x2x?x8xf32>, tensor<3x2x?x8xf32>, tensor<2xi64>) -> tensor<2x4x?x8xf32>
  return %0 : tensor<2x4x?x8xf32>
}

// -----

func.func @cached_attention_kv_heads(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %c: tensor<?x4x?x8xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op key/value head counts differ: 2 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %c, %c, %len : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_gqa(%q: tensor<?x3x?x8xf32>, %k: tensor<?x2x?x8xf32>, %len: tensor<?xi64>) -> tensor<?x3x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op query heads (3) are not a multiple of key/value heads (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %k, %k, %len : (tensor<?x3x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?xi64>) -> tensor<?x3x?x8xf32>
  return %0 : tensor<?x3x?x8xf32>
}

// -----

func.func @cached_attention_new_tokens(%q: tensor<?x4x3x8xf32>, %k: tensor<?x2x2x8xf32>, %c: tensor<?x2x?x8xf32>, %len: tensor<?xi64>) -> tensor<?x4x3x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op new-token counts differ: 3, 2, 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %c, %c, %len : (tensor<?x4x3x8xf32>, tensor<?x2x2x8xf32>, tensor<?x2x2x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?xi64>) -> tensor<?x4x3x8xf32>
  return %0 : tensor<?x4x3x8xf32>
}

// -----

func.func @cached_attention_capacity(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %kc: tensor<?x2x16x8xf32>, %vc: tensor<?x2x32x8xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op key and value cache capacities differ: 16 vs 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %kc, %vc, %len : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>, tensor<?x2x32x8xf32>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_head_dims(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %c: tensor<?x2x?x16xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op query, key and key cache head dims differ: 8, 8, 16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %c, %k, %len : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_value_dims(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %c: tensor<?x2x?x16xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op value and value cache head dims differ: 8 vs 16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %k, %c, %len : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

func.func @cached_attention_scale(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  // expected-error @+2 {{'tfm.cached_attention' op scale must be positive and finite, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tfm.cached_attention %q, %k, %k, %k, %k, %len {scale = 0.0 : f32} : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?xi64>) -> tensor<?x4x?x8xf32>
  return %0 : tensor<?x4x?x8xf32>
}

// -----

// expected-error @+1 {{'tfm.cache' of argument 0 must be a unit attribute on a rank-4 tensor ([batch, heads, context, dim])}}
func.func @cache_attribute_rank(%c: tensor<?x8xf32> {tfm.cache}) {
  return
}

// -----

// expected-error @+1 {{'tfm.cache_lengths' of argument 0 must be {context_limit = N > 0, step = "DIM"} on a rank-1 i64 tensor}}
func.func @cache_lengths_attribute(%l: tensor<?xi64> {tfm.cache_lengths = {context_limit = 0 : i64, step = "sequence"}}) {
  return
}
