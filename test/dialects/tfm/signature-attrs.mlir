// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// The attributes a model library's signature is read from (tfm.name,
// tfm.dims, tfm.weight) are verified where they are attached.

// A well-formed signature.
func.func @main_graph(%x: tensor<?x4xf32> {tfm.name = "x", tfm.dims = ["batch", ""]},
                      %w: tensor<2xf32> {tfm.weight = dense<1.0> : tensor<2xf32>})
    -> (tensor<?x4xf32> {tfm.name = "y", tfm.dims = ["batch", 4]}) {
  return %x : tensor<?x4xf32>
}

// -----

// expected-error @+1 {{'tfm.name' of argument 0 must be a non-empty string}}
func.func @empty_name(%x: tensor<4xf32> {tfm.name = ""}) {
  return
}

// -----

// expected-error @+1 {{'tfm.name' of result 0 must be a non-empty string}}
func.func @name_not_string(%x: tensor<4xf32>) -> (tensor<4xf32> {tfm.name = 3 : i64}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tfm.dims' of argument 0 has 1 entries for a value of rank 2}}
func.func @dims_rank(%x: tensor<?x4xf32> {tfm.dims = ["batch"]}) {
  return
}

// -----

// expected-error @+1 {{'tfm.dims' of argument 0 must be an array of dim names (strings) and sizes (integers)}}
func.func @dims_kind(%x: tensor<?xf32> {tfm.dims = [1.0 : f32]}) {
  return
}

// -----

// expected-error @+1 {{'tfm.weight' of argument 0 must be an elements attribute of type 'tensor<3xf32>'}}
func.func @weight_type(%w: tensor<3xf32> {tfm.weight = dense<1.0> : tensor<2xf32>}) {
  return
}

// -----

// expected-error @+1 {{'tfm.weight' belongs on arguments, not on result 0}}
func.func @weight_on_result(%x: tensor<2xf32>) -> (tensor<2xf32> {tfm.weight = dense<1.0> : tensor<2xf32>}) {
  return %x : tensor<2xf32>
}

// -----

// expected-error @+1 {{unknown tfm attribute 'tfm.shape' on argument 0}}
func.func @unknown(%x: tensor<2xf32> {tfm.shape = [2]}) {
  return
}
