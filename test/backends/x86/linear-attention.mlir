// RUN: kiln-opt %s -split-input-file -kiln-x86-linear-attention=isa=avx2 | FileCheck %s

// RetNet: the flags and per-head log decays go to a wrapper that runs one
// microkernel call per (batch, head).
// CHECK-LABEL: func.func @retnet
// CHECK-DAG: %[[LD:.+]] = tfm.constant dense<[-3.125000e-02, -1.562500e-02]> : tensor<2xf32>
// CHECK-DAG: %[[FM:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[DC:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[NM:.+]] = arith.constant 2 : i64
// CHECK-DAG: %[[CH:.+]] = arith.constant 64 : i64
// CHECK: call @kiln_linear_attention_avx2(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FM]], %[[DC]], %[[NM]], %{{.+}}, %{{.+}}, %{{.+}}, %[[CH]])
// CHECK-NOT: tfm.linear_attention
// CHECK-LABEL: func.func private @kiln_linear_attention_avx2(
// CHECK: %[[ITEMS:.+]] = arith.muli
// CHECK: scf.parallel (%{{.+}}) = (%{{.+}}) to (%[[ITEMS]])
// CHECK: func.call @kiln_uk_linear_attention_avx2
func.func @retnet(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = tfm.linear_attention %q, %k, %v decay constant normalization retnet {causal, log_decay = array<f32: -0.03125, -0.015625>} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// -----

// A vector gate and a state: the wrapper takes the rank-4 gate and the
// state, and returns the new state it allocates ([B, H, Dk + 1, Dv + 1]).
// CHECK-LABEL: func.func @gla_decode
// CHECK: %[[R:.+]]:2 = call @kiln_linear_attention_avx2_gate4_state(
// CHECK-LABEL: func.func private @kiln_linear_attention_avx2_gate4_state(
// CHECK: %[[SO:.+]] = memref.alloc(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {alignment = 64 : i64} : memref<?x?x?x?xf32>
// CHECK: func.call @kiln_uk_linear_attention_avx2
// CHECK: return %{{.+}}, %{{.+}} : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
func.func @gla_decode(%q: tensor<1x2x1x16xf32>, %g: tensor<1x2x1x16xf32>, %s: tensor<1x2x17x17xf32>) -> (tensor<1x2x1x16xf32>, tensor<1x2x17x17xf32>) {
  %o, %n = tfm.linear_attention %q, %q, %q gate %g state %s decay vector_gate {causal, chunk_size = 16} : (tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x17x17xf32>) -> (tensor<1x2x1x16xf32>, tensor<1x2x17x17xf32>)
  return %o, %n : tensor<1x2x1x16xf32>, tensor<1x2x17x17xf32>
}
