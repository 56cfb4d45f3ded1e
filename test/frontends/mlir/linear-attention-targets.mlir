// The mlir frontend takes tfm IR as the model. tfm.linear_attention has no
// generic lowering: a target without its kernel (x86 without AVX2) refuses
// it up front, naming the op; the CUDA kernel takes static head dims only;
// a broken file is reported.
// RUN: kiln compile %s --target=cuda --emit=linalg -o - | FileCheck %s --check-prefix=CUDA
// CUDA: call @kiln_cuda_linear_attention_k16_v16_elu_plus_one_none_denominator_causal(
// RUN: sed 's/x16xf32/x?xf32/g' %s > %t.dyn.mlir
// RUN: not kiln compile %t.dyn.mlir --target=cuda -o %t.so 2>&1 | FileCheck %s --check-prefix=CUDADYN
// CUDADYN: error: the CUDA linear-attention kernel needs static head dims (key ?, value ?)
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
