// tfm-attach-calibration: kiln calibrate's file onto the weight matmuls,
// in order (a matmul by a computed rhs has no entry), and refusals of a
// file that does not describe the model.
// RUN: kiln-opt %s --tfm-attach-calibration=file=%S/Inputs/two-matmuls.calibration.json | FileCheck %s
// RUN: not kiln-opt %s --tfm-attach-calibration=file=%S/Inputs/wrong-name.calibration.json 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not kiln-opt %s --tfm-attach-calibration=file=%S/Inputs/one-matmul.calibration.json 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not kiln-opt %s --tfm-attach-calibration=file=%S/Inputs/not-calibration.json 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not kiln-opt %s --tfm-attach-calibration=file=%t.missing.json 2>&1 | FileCheck %s --check-prefix=MISSING

// CHECK: tfm.matmul %arg0, %{{.*}} {tfm.lhs_max = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00>, tfm.lhs_min = array<f32: -1.000000e+00, -2.000000e+00, -3.000000e+00, -4.000000e+00>}
// CHECK: tfm.matmul %{{.*}} {tfm.lhs_max = array<f32: 2.500000e-01, 5.000000e-01>, tfm.lhs_min = array<f32: 0.000000e+00, -5.000000e-01>}
// CHECK: tfm.matmul %{{.*}}, %arg1 :
// NAME: error: the calibration file '{{.*}}wrong-name.calibration.json' does not describe this model (was it recorded from another model, or with other --shape options?): matmul #1 is 'matmul #1' with 2 input channels, the file has 'fc2' with 2
// COUNT: error: {{.*}}: it has ranges for 1 matmuls, the model has 2 to quantize
// FORMAT: error: the calibration file '{{.*}}not-calibration.json' is not a kiln calibration file (from kiln calibrate)
// MISSING: error: the calibration file '{{.*}}.missing.json' cannot be read: No such file or directory
func.func @main_graph(%x: tensor<?x?x4xf32> {tfm.name = "x"}, %r: tensor<2x2xf32> {tfm.name = "r"}) -> (tensor<?x?x2xf32> {tfm.name = "y"}) {
  %w1 = tfm.constant dense<1.0> : tensor<4x2xf32>
  %w2 = tfm.constant dense<2.0> : tensor<2x2xf32>
  %h = tfm.matmul %x, %w1 : (tensor<?x?x4xf32>, tensor<4x2xf32>) -> tensor<?x?x2xf32> loc("fc1")
  %g = tfm.matmul %h, %w2 : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %y = tfm.matmul %g, %r : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  return %y : tensor<?x?x2xf32>
}
