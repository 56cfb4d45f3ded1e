// The mlir frontend takes tfm IR as the model. tfm.linear_attention has no
// generic lowering: a target without its kernel (CUDA, x86 without AVX2)
// refuses it up front, naming the op; a broken file is reported.
// RUN: not kiln compile %s --target=cuda -o %t.so 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: error: tfm.linear_attention needs kiln's chunked linear-attention kernel, which exists for x86 CPUs with AVX2 or AVX-512; this target (cuda) has none yet
// RUN: not kiln compile %s --mcpu=x86-64 -o %t.so 2>&1 | FileCheck %s --check-prefix=BASELINE
// BASELINE: this target (x86) has none yet
// RUN: echo 'func.func @main_graph( {' > %t.bad.mlir
// RUN: not kiln compile %t.bad.mlir -o %t.so 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: bad.mlir: error: expected non-function type
// RUN: kiln compile %s --emit=tfm | FileCheck %s --check-prefix=TFM
// TFM: tfm.linear_attention %arg0, %arg1, %arg2 feature_map elu_plus_one normalization denominator {causal}
func.func @main_graph(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %o = tfm.linear_attention %q, %k, %v feature_map elu_plus_one normalization denominator {causal} : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
