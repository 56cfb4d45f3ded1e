// tfm-fuse-integer-matmuls on what it cannot fuse: kiln has no other
// lowering for tfm.matmul_integer, so each is an error saying why.
// RUN: kiln-opt %s --split-input-file --tfm-fuse-integer-matmuls --verify-diagnostics

func.func @lhs_not_quantized(%q: tensor<4x2xui8>) -> tensor<4x3xi32> {
  %w = tfm.constant dense<3> : tensor<2x3xi8>
  // expected-error @+1 {{'tfm.matmul_integer' op cannot run: kiln runs an integer matmul only as ONNX Runtime's dynamic quantization exports it (DynamicQuantizeLinear, MatMulInteger, Cast, Mul by the two scales); here its A is neither the output of a DynamicQuantizeLinear nor gathered from an initializer}}
  %p = tfm.matmul_integer %q, %w : (tensor<4x2xui8>, tensor<2x3xi8>) -> tensor<4x3xi32>
  return %p : tensor<4x3xi32>
}

// -----

func.func @weight_not_constant(%x: tensor<4x2xf32>, %w: tensor<2x3xi8>) -> tensor<4x3xi32> {
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<4x2xf32> -> tensor<4x2xui8>, tensor<f32>, tensor<ui8>
  // expected-error @+1 {{here its B is not a constant (an initializer)}}
  %p = tfm.matmul_integer %q, %w lhs_zero_point %z : (tensor<4x2xui8>, tensor<2x3xi8>, tensor<ui8>) -> tensor<4x3xi32>
  return %p : tensor<4x3xi32>
}

// -----

func.func @not_rescaled(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<4x2xf32> -> tensor<4x2xui8>, tensor<f32>, tensor<ui8>
  %w = tfm.constant dense<3> : tensor<2x3xi8>
  // expected-error @+1 {{here its float result is not only multiplied by the scales}}
  %p = tfm.matmul_integer %q, %w lhs_zero_point %z : (tensor<4x2xui8>, tensor<2x3xi8>, tensor<ui8>) -> tensor<4x3xi32>
  %f = tfm.cast %p : tensor<4x3xi32> to tensor<4x3xf32>
  return %f : tensor<4x3xf32>
}

// -----

func.func @wrong_scale(%x: tensor<4x2xf32>, %t: tensor<f32>) -> tensor<4x3xf32> {
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<4x2xf32> -> tensor<4x2xui8>, tensor<f32>, tensor<ui8>
  %w = tfm.constant dense<3> : tensor<2x3xi8>
  // expected-error @+1 {{here the scale it is multiplied by is not the DynamicQuantizeLinear's times a constant}}
  %p = tfm.matmul_integer %q, %w lhs_zero_point %z : (tensor<4x2xui8>, tensor<2x3xi8>, tensor<ui8>) -> tensor<4x3xi32>
  %f = tfm.cast %p : tensor<4x3xi32> to tensor<4x3xf32>
  %y = tfm.mul %f, %t : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @quantizer_elsewhere(%x: tensor<4x2xf32>) -> tensor<4x2xui8> {
  // expected-error @+1 {{'tfm.dynamic_quantize' op cannot run: kiln runs DynamicQuantizeLinear only feeding integer matmuls}}
  %q, %s, %z = tfm.dynamic_quantize %x : tensor<4x2xf32> -> tensor<4x2xui8>, tensor<f32>, tensor<ui8>
  return %q : tensor<4x2xui8>
}
