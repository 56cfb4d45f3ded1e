// tfm-quantize-softmax: attention probabilities (a softmax whose users all
// multiply it by the values) are rounded; any other softmax is not.
// RUN: kiln-opt %s --split-input-file --tfm-quantize-softmax | FileCheck %s
// RUN: kiln-opt %s --split-input-file --tfm-quantize-softmax="scheme=uniform bits=8" | FileCheck %s --check-prefix=UNIFORM
// RUN: not kiln-opt %s --split-input-file --tfm-quantize-softmax=scheme=cubic 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: tfm-quantize-softmax: scheme must be log2 or uniform and bits 4 or 8, got 'cubic' and 4

// CHECK-LABEL: func.func @attention
// CHECK: %[[P:.*]] = tfm.softmax
// CHECK: %[[Q:.*]] = tfm.quantize_probabilities log2 %[[P]] bits 4
// CHECK: tfm.matmul %[[Q]], %arg2
// UNIFORM-LABEL: func.func @attention
// UNIFORM: tfm.quantize_probabilities uniform %{{.*}} bits 8
func.func @attention(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %s = tfm.matmul %q, %k {transpose_rhs} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x?xf32>
  %p = tfm.softmax %s {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = tfm.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// A softmax that is an output (a classifier's) is left alone.
// CHECK-LABEL: func.func @classifier
// CHECK-NOT: tfm.quantize_probabilities
func.func @classifier(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %p = tfm.softmax %x {axis = 1 : i64} : tensor<?x10xf32>
  return %p : tensor<?x10xf32>
}
