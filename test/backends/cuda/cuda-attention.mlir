// RUN: kiln-opt %s --kiln-cuda-attention | FileCheck %s

// Attention becomes a call of a kernel variant named by its head dims,
// mask kind and causality; a lower-rank mask is unsqueezed to rank 4; the
// scale is an operand.
// CHECK-LABEL: func.func @bert
// CHECK: %[[M:.+]] = tfm.unsqueeze %arg3 {axes = array<i64: 0, 1>}
// CHECK: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK: call @kiln_cuda_attention_d16_v16_addmask(%arg0, %arg1, %arg2, %{{.+}}, %[[SCALE]])
// CHECK-NOT: tfm.attention
func.func @bert(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>, %v: tensor<?x?x?x16xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x?x16xf32> {
  %o = tfm.attention %q, %k, %v mask %m : (tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?xf32>) -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}

// CHECK-LABEL: func.func @gqa_causal
// CHECK: call @kiln_cuda_attention_d8_v8_keepmask_causal(
func.func @gqa_causal(%q: tensor<2x4x5x8xf32>, %k: tensor<2x2x7x8xf32>, %v: tensor<2x2x7x8xf32>, %m: tensor<2x1x5x7xi1>) -> tensor<2x4x5x8xf32> {
  %o = tfm.attention %q, %k, %v mask %m {causal, scale = 0.5 : f32} : (tensor<2x4x5x8xf32>, tensor<2x2x7x8xf32>, tensor<2x2x7x8xf32>, tensor<2x1x5x7xi1>) -> tensor<2x4x5x8xf32>
  return %o : tensor<2x4x5x8xf32>
}

// A dynamic head dim stays with the generic lowering.
// CHECK-LABEL: func.func @dynamic_head
// CHECK: tfm.attention
func.func @dynamic_head(%q: tensor<1x1x4x?xf32>, %k: tensor<1x1x4x?xf32>, %v: tensor<1x1x4x?xf32>) -> tensor<1x1x4x?xf32> {
  %o = tfm.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<1x1x4x?xf32>, tensor<1x1x4x?xf32>, tensor<1x1x4x?xf32>) -> tensor<1x1x4x?xf32>
  return %o : tensor<1x1x4x?xf32>
}

// The kernel: one thread per query row, keys one at a time, online softmax.
// CHECK-LABEL: func.func private @kiln_cuda_attention_d16_v16_addmask
// CHECK: gpu.launch
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}
// CHECK: math.exp
// CHECK: math.exp
