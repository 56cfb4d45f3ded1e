// RUN: kiln-opt %s -split-input-file -kiln-x86-attention | FileCheck %s

// Attention with static head counts and dims calls the microkernel wrapper;
// a float mask of rank 2 is brought to rank 4 (NumPy alignment: unit dims
// prepended) and passed with the wrapper's computed broadcast strides.
// CHECK-LABEL: func.func @masked
// CHECK: tensor.expand_shape %arg3 {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, %{{.+}}, %{{.+}}]
// CHECK: %[[S:.+]] = arith.constant 1.250000e-01 : f32
// CHECK: call @kiln_attention_avx512_addmask(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[S]])
// CHECK-NOT: tfm.attention
// CHECK-LABEL: func.func private @kiln_attention_avx512_addmask
// CHECK: arith.select
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_attention_avx512
func.func @masked(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>, %m: tensor<?x?xf32>) -> tensor<?x4x?x64xf32> {
  %o = tfm.attention %q, %k, %v mask %m : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x?xf32>) -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// -----

// Causal grouped-query attention with a keep mask has its own wrapper.
// CHECK-LABEL: func.func @causal_gqa
// CHECK: call @kiln_attention_avx512_keepmask_causal
func.func @causal_gqa(%q: tensor<1x8x?x32xf32>, %k: tensor<1x2x?x32xf32>, %v: tensor<1x2x?x32xf32>, %m: tensor<1x1x?x?xi1>) -> tensor<1x8x?x32xf32> {
  %o = tfm.attention %q, %k, %v mask %m {causal} : (tensor<1x8x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x1x?x?xi1>) -> tensor<1x8x?x32xf32>
  return %o : tensor<1x8x?x32xf32>
}

// -----

// Near misses keep the generic lowering: a dynamic head dim, dynamic head
// counts.
// CHECK-LABEL: func.func @generic
// CHECK-COUNT-2: tfm.attention
func.func @generic(%q: tensor<1x2x?x?xf32>, %k: tensor<1x2x?x?xf32>, %v: tensor<1x2x?x?xf32>, %q2: tensor<1x?x?x16xf32>) -> (tensor<1x2x?x?xf32>, tensor<1x?x?x16xf32>) {
  %o = tfm.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  %p = tfm.attention %q2, %q2, %q2 : (tensor<1x?x?x16xf32>, tensor<1x?x?x16xf32>, tensor<1x?x?x16xf32>) -> tensor<1x?x?x16xf32>
  return %o, %p : tensor<1x2x?x?xf32>, tensor<1x?x?x16xf32>
}

// -----

// A decoder's cached attention calls its wrapper: both caches appended to
// in place (sequential calls on the caches' own buffers, no copy), then the
// causal items in parallel over what they hold.
// CHECK-LABEL: func.func @cached
// CHECK: %[[S:.+]] = arith.constant 1.250000e-01 : f32
// CHECK: call @kiln_cached_attention_avx512(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[S]])
// CHECK-NOT: tfm.cached_attention
// CHECK-LABEL: func.func private @kiln_cached_attention_avx512
// CHECK-NOT: memref.copy
// CHECK: call @kiln_uk_cache_append_avx512(%[[K:.+]], %[[KC:.+]], %[[L:.+]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}})
// CHECK: call @kiln_uk_cache_append_avx512(%[[V:.+]], %[[VC:.+]], %[[L]],
// CHECK-NOT: memref.copy
// CHECK: scf.parallel
// CHECK: func.call @kiln_uk_cached_attention_avx512(%{{.+}}, %[[KC]], %[[VC]], %{{.+}}, %[[L]],
func.func @cached(%q: tensor<?x9x?x64xf32>, %k: tensor<?x3x?x64xf32>, %v: tensor<?x3x?x64xf32>, %len: tensor<?xi64>, %kc: tensor<?x3x?x64xf32>, %vc: tensor<?x3x?x64xf32>) -> tensor<?x9x?x64xf32> {
  %o = tfm.cached_attention %q, %k, %v, %kc, %vc, %len : (tensor<?x9x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?xi64>) -> tensor<?x9x?x64xf32>
  return %o : tensor<?x9x?x64xf32>
}

