// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM

// The attention family of tfm-to-linalg (Attention.cpp): tfm.attention
// becomes a flash-attention style scf.for over blocks of 64 keys carrying
// the running row max m (from -inf), row sum l (from 0) and output
// accumulator. Per block: key/value slices (tensor.extract_slice), K^T
// (linalg.transpose), the scores contraction, scale/mask/causal masking,
// the block max and the online-softmax update (exp(x - m), the correction
// exp(m_old - m_new), the sums), and acc * corr + P x V. After the loop,
// acc / l (0 for rows with no visible key). The checks assert the loop and
// its carried state, the slices, the contractions' maps and iterators and
// the key scalar ops. (Scores exist only per key block, so memory grows
// linearly with the sequence length.)

// NOTFM-NOT: = tfm.

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[ID4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[ROW4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @attention
// CHECK-DAG: %[[BLOCK:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[SK:.+]] = tensor.dim %arg1, %c2
// CHECK: %[[M0:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.+}} : tensor<?x4x?xf32>)
// CHECK: %[[L0:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<?x4x?xf32>)
// CHECK: %[[ACC0:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<?x4x?x16xf32>)
// CHECK: %[[LOOP:.+]]:3 = scf.for %[[J0:.+]] = %c0 to %[[SK]] step %[[BLOCK]] iter_args(%[[M:.+]] = %[[M0]], %[[L:.+]] = %[[L0]], %[[ACC:.+]] = %[[ACC0]]) -> (tensor<?x4x?xf32>, tensor<?x4x?xf32>, tensor<?x4x?x16xf32>)
// CHECK: %[[REST:.+]] = arith.subi %[[SK]], %[[J0]]
// CHECK: %[[LEN:.+]] = arith.minsi %[[REST]], %[[BLOCK]]
// CHECK: %[[KB:.+]] = tensor.extract_slice %arg1[0, 0, %[[J0]], 0] [%{{.+}}, 4, %[[LEN]], 16] [1, 1, 1, 1]
// CHECK: %[[VB:.+]] = tensor.extract_slice %arg2[0, 0, %[[J0]], 0] [%{{.+}}, 4, %[[LEN]], 16] [1, 1, 1, 1]
// CHECK: %[[KT:.+]] = linalg.transpose ins(%[[KB]] : tensor<?x4x?x16xf32>) outs(%{{.+}} : tensor<?x4x16x?xf32>) permutation = [0, 1, 3, 2]
// CHECK: %[[S0:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<?x4x?x?xf32>)
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[X]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %[[KT]] : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) outs(%[[S0]] : tensor<?x4x?x?xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[SS:.+]] = linalg.generic {{.*}} ins(%[[S]] : tensor<?x4x?x?xf32>)
// CHECK-NEXT: ^bb0(%[[SV:[^:]+]]: f32,
// CHECK-NEXT: arith.mulf %[[SV]], %[[SCALE]] : f32
// CHECK: %[[BM:.+]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[SS]] : tensor<?x4x?x?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[MNEW:.+]] = linalg.generic {{.*}} ins(%[[M]], %[[BM]] : tensor<?x4x?xf32>, tensor<?x4x?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[SS]], %[[MNEW]] : tensor<?x4x?x?xf32>, tensor<?x4x?xf32>)
// CHECK-NEXT: ^bb0(%[[PX:[^:]+]]: f32, %[[PM:[^:]+]]: f32,
// CHECK-NEXT: %[[INF:.+]] = arith.cmpf oeq, %[[PM]], %[[NINF]] : f32
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[PX]], %[[PM]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[D]] : f32
// CHECK-NEXT: arith.select %[[INF]], %[[ZERO]], %[[E]] : f32
// CHECK: %[[CORR:.+]] = linalg.generic {{.*}} ins(%[[M]], %[[MNEW]] : tensor<?x4x?xf32>, tensor<?x4x?xf32>)
// CHECK: math.exp
// CHECK: %[[BS:.+]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[P]] : tensor<?x4x?x?xf32>)
// CHECK: arith.addf
// CHECK: %[[LNEW:.+]] = linalg.generic {{.*}} ins(%[[L]], %[[CORR]], %[[BS]] : tensor<?x4x?xf32>, tensor<?x4x?xf32>, tensor<?x4x?xf32>)
// CHECK-NEXT: ^bb0(%[[L1:[^:]+]]: f32, %[[C1:[^:]+]]: f32, %[[B1:[^:]+]]: f32,
// CHECK-NEXT: %[[LC:.+]] = arith.mulf %[[L1]], %[[C1]] : f32
// CHECK-NEXT: arith.addf %[[LC]], %[[B1]] : f32
// CHECK: %[[RESC:.+]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]], #[[ID4]]], {{.*}} ins(%[[ACC]], %[[CORR]] : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>)
// CHECK: arith.mulf
// CHECK: %[[ACCNEW:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[X]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[P]], %[[VB]] : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) outs(%[[RESC]] : tensor<?x4x?x16xf32>)
// CHECK: scf.yield %[[MNEW]], %[[LNEW]], %[[ACCNEW]] : tensor<?x4x?xf32>, tensor<?x4x?xf32>, tensor<?x4x?x16xf32>
// CHECK: %[[OUT:.+]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[LOOP]]#2, %[[LOOP]]#1 : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>)
// CHECK-NEXT: ^bb0(%[[O:[^:]+]]: f32, %[[OL:[^:]+]]: f32,
// CHECK-NEXT: %[[NONE:.+]] = arith.cmpf oeq, %[[OL]], %[[ZERO]] : f32
// CHECK-NEXT: %[[Q:.+]] = arith.divf %[[O]], %[[OL]] : f32
// CHECK-NEXT: arith.select %[[NONE]], %[[ZERO]], %[[Q]] : f32
// CHECK: return %[[OUT]]
func.func @attention(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %0 = tfm.attention %q, %k, %v : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// -----

// A float mask varying along the keys is sliced per block and added to the
// scaled scores; causal masking keeps key j0 + j for query i when
// j0 + j <= i + (Sk - Sq).
// CHECK-DAG: #[[MASK:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>
// The mask's key dim is dynamic: it must be the keys' or 1 (checked at run
// time), and one that is 1 is repeated to the keys' count.
// CHECK-LABEL: func.func @attention_mask_causal
// CHECK-DAG: %[[SQ:.+]] = arith.constant 8 : index
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: tfm.runtime_check %{{.+}}, "tfm.attention: cannot broadcast operand 0's dimension 3 of size {0} against size {1}"
// CHECK: %[[MR:.+]] = scf.if
// CHECK: tfm.runtime_check %{{.+}}, "tfm.attention: cannot broadcast the scores' dimension 3 of size {0} against size {1}"
// CHECK: %[[SK:.+]] = tensor.dim %arg1, %c2
// CHECK: scf.for %[[J0:.+]] = %c0 to %[[SK]] step %c64
// CHECK: %[[LEN:.+]] = arith.minsi
// CHECK: %[[S:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]
// CHECK: %[[MB:.+]] = tensor.extract_slice %[[MR]][0, 0, 0, %[[J0]]] [2, 1, 1, %[[LEN]]] [1, 1, 1, 1] : tensor<2x1x1x?xf32> to tensor<2x1x1x?xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[MASK]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[S]], %[[MB]] : tensor<2x4x8x?xf32>, tensor<2x1x1x?xf32>)
// CHECK-NEXT: ^bb0(%[[SV:[^:]+]]: f32, %[[MV:[^:]+]]: f32,
// CHECK-NEXT: %[[SC:.+]] = arith.mulf %[[SV]], %{{.+}} : f32
// CHECK-NEXT: %[[ADD:.+]] = arith.addf %[[SC]], %[[MV]] : f32
// CHECK-NEXT: %[[QI:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[KJ:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[KEY:.+]] = arith.addi %[[J0]], %[[KJ]] : index
// CHECK-NEXT: %[[OFF:.+]] = arith.subi %[[SK]], %[[SQ]] : index
// CHECK-NEXT: %[[LIM:.+]] = arith.addi %[[QI]], %[[OFF]] : index
// CHECK-NEXT: %[[VIS:.+]] = arith.cmpi sle, %[[KEY]], %[[LIM]] : index
// CHECK-NEXT: arith.select %[[VIS]], %[[ADD]], %[[NINF]] : f32
func.func @attention_mask_causal(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x?x16xf32>, %v: tensor<2x4x?x16xf32>, %m: tensor<2x1x1x?xf32>) -> tensor<2x4x8x16xf32> {
  %0 = tfm.attention %q, %k, %v mask %m {causal} : (tensor<2x4x8x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x1x1x?xf32>) -> tensor<2x4x8x16xf32>
  return %0 : tensor<2x4x8x16xf32>
}

// -----

// A boolean mask selects the score or -inf; a mask constant along the keys
// is not sliced. The explicit scale is used; the result takes the value
// head dim (32, not the query's 16).
// CHECK-DAG: #[[MASK:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, 0)>
// CHECK-LABEL: func.func @attention_bool_mask_scale
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f16
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFC00 : f16
// CHECK: scf.for {{.*}} -> (tensor<1x2x8xf16>, tensor<1x2x8xf16>, tensor<1x2x8x32xf16>)
// CHECK-NOT: tensor.extract_slice %arg3
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[MASK]], #{{.+}}], {{.*}} ins(%{{.+}}, %arg3 : tensor<1x2x8x?xf16>, tensor<8x1xi1>)
// CHECK-NEXT: ^bb0(%[[SV:[^:]+]]: f16, %[[MV:[^:]+]]: i1,
// CHECK-NEXT: %[[SC:.+]] = arith.mulf %[[SV]], %[[SCALE]] : f16
// CHECK-NEXT: arith.select %[[MV]], %[[SC]], %[[NINF]] : f16
// CHECK-NOT: linalg.index
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<1x2x8x?xf16>, tensor<1x2x?x32xf16>) outs(%{{.+}} : tensor<1x2x8x32xf16>)
func.func @attention_bool_mask_scale(%q: tensor<1x2x8x16xf16>, %k: tensor<1x2x?x16xf16>, %v: tensor<1x2x?x32xf16>, %m: tensor<8x1xi1>) -> tensor<1x2x8x32xf16> {
  %0 = tfm.attention %q, %k, %v mask %m {scale = 0.125 : f32} : (tensor<1x2x8x16xf16>, tensor<1x2x?x16xf16>, tensor<1x2x?x32xf16>, tensor<8x1xi1>) -> tensor<1x2x8x32xf16>
  return %0 : tensor<1x2x8x32xf16>
}

// -----

// Grouped-query attention: query head h reads key/value head h floordiv 4,
// in both contractions.
// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-LABEL: func.func @attention_gqa
// CHECK: scf.for
// CHECK: linalg.transpose {{.*}} permutation = [0, 1, 3, 2]
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KV]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %{{.+}} : tensor<?x8x?x16xf32>, tensor<?x2x16x?xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KV]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32>)
func.func @attention_gqa(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x8x?x16xf32> {
  %0 = tfm.attention %q, %k, %v : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %0 : tensor<?x8x?x16xf32>
}

// -----

// A dynamic head dim without a scale attribute: 1/sqrt(D) at run time.
// CHECK-LABEL: func.func @attention_dynamic_head_dim
// CHECK: %[[D:.+]] = tensor.dim %arg0, %c3
// CHECK: %[[DI:.+]] = arith.index_cast %[[D]] : index to i64
// CHECK: %[[DF:.+]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK: %[[SCALE:.+]] = math.rsqrt %[[DF]] : f32
// CHECK: scf.for
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f32
func.func @attention_dynamic_head_dim(%q: tensor<1x2x8x?xf32>, %k: tensor<1x2x?x?xf32>, %v: tensor<1x2x?x?xf32>) -> tensor<1x2x8x?xf32> {
  %0 = tfm.attention %q, %k, %v : (tensor<1x2x8x?xf32>, tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x8x?xf32>
  return %0 : tensor<1x2x8x?xf32>
}

// (What the lowering refuses, and its message: refusals.mlir.)
