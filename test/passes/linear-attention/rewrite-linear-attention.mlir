// RUN: kiln-opt %s -tfm-rewrite-linear-attention | FileCheck %s

// Static-T forms (the mask a folded constant), then the near misses the
// pass must leave alone. Dynamic-T masks, built from the shapes, are
// checked on real exports (test/passes/linear-attention/exports.test).

// RetNet's parallel form: scale, the row-normalised decay mask, the
// row-sum clamp. gamma_h = 1 - 2^(-5-h): log gammas -0.0317, -0.0157.
// CHECK-LABEL: func.func @retnet
// CHECK: %[[O:.+]] = tfm.linear_attention %arg0, %arg1, %arg2 decay constant normalization retnet {causal, log_decay = array<f32: -0.03174{{[0-9]+}}, -0.01574{{[0-9]+}}>, scale = 2.500000e-01 : f32}
// CHECK-NOT: tfm.matmul
// CHECK: return %[[O]]
func.func @retnet(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %c = tfm.constant dense<0.25> : tensor<f32>
  %ss = tfm.mul %s, %c : (tensor<?x2x8x8xf32>, tensor<f32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.690424875, 0.712696645, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.550407055, 0.568162121, 0.586489932, 0.0, 0.0, 0.0, 0.0, 0.0], [0.465382002, 0.480394325, 0.495890916, 0.511887397, 0.0, 0.0, 0.0, 0.0], [0.406379051, 0.419488053, 0.433019926, 0.44698831, 0.461407288, 0.0, 0.0, 0.0], [0.362158937, 0.373841484, 0.385900886, 0.398349302, 0.411199279, 0.424463772, 0.0, 0.0], [0.327315162, 0.337873716, 0.348772868, 0.360023606, 0.37163727, 0.383625569, 0.396000588, 0.0], [0.298876842, 0.308518031, 0.318470225, 0.328743458, 0.339348086, 0.350294799, 0.361594631, 0.373258974]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.698793251, 0.709885208, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.563848312, 0.572798285, 0.581890321, 0.0, 0.0, 0.0, 0.0, 0.0], [0.482555912, 0.49021553, 0.497996729, 0.505901439, 0.0, 0.0, 0.0, 0.0], [0.42652341, 0.433293622, 0.440171299, 0.447158145, 0.454255893, 0.0, 0.0, 0.0], [0.384767162, 0.390874578, 0.397078936, 0.403381776, 0.409784662, 0.41628918, 0.0, 0.0], [0.35201881, 0.357606411, 0.363282703, 0.369049095, 0.374907017, 0.380857922, 0.386903286, 0.0], [0.325391855, 0.330556805, 0.335803738, 0.341133957, 0.346548781, 0.352049556, 0.357637644, 0.363314432]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %ss, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %r = tfm.reduce sum %a {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %abs = tfm.abs %r : tensor<?x2x8x1xf32>
  %cl = tfm.clip %abs {min = 1.0 : f64} : tensor<?x2x8x1xf32>
  %p = tfm.div %a, %cl : (tensor<?x2x8x8xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// The causal linear transformer: (P v) / (rowsum P + eps), P = scores x tril.
// CHECK-LABEL: func.func @katharopoulos
// CHECK: %[[O:.+]] = tfm.linear_attention %arg0, %arg1, %arg2 normalization denominator {causal} :
// CHECK-NOT: tfm.matmul
// CHECK: return %[[O]]
func.func @katharopoulos(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<8x8xf32>) -> tensor<?x2x8x8xf32>
  %pv = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  %r = tfm.reduce sum %a {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %e = tfm.constant dense<1.0e-6> : tensor<f32>
  %d = tfm.add %r, %e : (tensor<?x2x8x1xf32>, tensor<f32>) -> tensor<?x2x8x1xf32>
  %o = tfm.div %pv, %d : (tensor<?x2x8x16xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Lightning attention: SiLU feature maps (absorbed), a plain decay mask.
// CHECK-LABEL: func.func @lightning
// CHECK: %[[O:.+]] = tfm.linear_attention %arg0, %arg1, %arg2 feature_map silu decay constant {causal, log_decay = array<f32: -0.0317486972, -0.0157483574>}
// CHECK-NOT: tfm.silu
// CHECK: return %[[O]]
func.func @lightning(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %sq = tfm.silu %q : tensor<?x2x8x16xf32>
  %sk = tfm.silu %k : tensor<?x2x8x16xf32>
  %kt = tfm.transpose %sk {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %sq, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0], [0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0], [0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0], [0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0], [0.800722457, 0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0], [0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0], [0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0], [0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0], [0.895620505, 0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0]]]]> : tensor<1x2x8x8xf32>
  %a = tfm.mul %m, %s : (tensor<1x2x8x8xf32>, tensor<?x2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Non-causal: no mask, P / (rowsum P + eps).
// CHECK-LABEL: func.func @noncausal
// CHECK: tfm.linear_attention %arg0, %arg1, %arg2 normalization denominator :
func.func @noncausal(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %r = tfm.reduce sum %s {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %e = tfm.constant dense<1.0e-6> : tensor<f32>
  %d = tfm.add %r, %e : (tensor<?x2x8x1xf32>, tensor<f32>) -> tensor<?x2x8x1xf32>
  %p = tfm.div %s, %d : (tensor<?x2x8x8xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// GLA: (q e^b)(k e^-b)^T masked causal (select keeps j <= i), b = cumsum(g).
// CHECK-LABEL: func.func @gla
// CHECK: %[[O:.+]] = tfm.linear_attention %arg0, %arg1, %arg2 gate %arg3 decay vector_gate {causal, chunk_size = 16 : i64, scale = 2.500000e-01 : f32}
// CHECK-NOT: tfm.exp
// CHECK: return %[[O]]
func.func @gla(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>, %g: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %b = tfm.cumsum %g {axis = 2 : i64} : tensor<?x2x8x16xf32>
  %eb = tfm.exp %b : tensor<?x2x8x16xf32>
  %nb = tfm.neg %b : tensor<?x2x8x16xf32>
  %enb = tfm.exp %nb : tensor<?x2x8x16xf32>
  %qg = tfm.mul %q, %eb : (tensor<?x2x8x16xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  %kg = tfm.mul %k, %enb : (tensor<?x2x8x16xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  %kt = tfm.transpose %kg {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %qg, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %c = tfm.constant dense<0.25> : tensor<f32>
  %ss = tfm.mul %s, %c : (tensor<?x2x8x8xf32>, tensor<f32>) -> tensor<?x2x8x8xf32>
  %keep = tfm.constant dense<[[true, false, false, false, false, false, false, false], [true, true, false, false, false, false, false, false], [true, true, true, false, false, false, false, false], [true, true, true, true, false, false, false, false], [true, true, true, true, true, false, false, false], [true, true, true, true, true, true, false, false], [true, true, true, true, true, true, true, false], [true, true, true, true, true, true, true, true]]> : tensor<8x8xi1>
  %z = tfm.constant dense<0.0> : tensor<f32>
  %a = tfm.select %keep, %ss, %z : (tensor<8x8xi1>, tensor<?x2x8x8xf32>, tensor<f32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Near miss: softmax attention is not linear attention.
// CHECK-LABEL: func.func @softmax
// CHECK-NOT: tfm.linear_attention
// CHECK: tfm.softmax
func.func @softmax(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0], [0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0], [0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0], [0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0], [0.800722457, 0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0], [0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0], [0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0], [0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0], [0.895620505, 0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %p = tfm.softmax %a {axis = 3 : i64} : tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Near miss: a lower-triangular mask that is not r_i gamma^(i-j).
// CHECK-LABEL: func.func @random_mask
// CHECK-NOT: tfm.linear_attention
func.func @random_mask(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[0.673265519, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.589262492, 0.941565181, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.87686103, 0.587315098, 0.369740701, 0.0, 0.0, 0.0, 0.0, 0.0], [0.6538466, 0.445309799, 0.997488942, 0.982751805, 0.0, 0.0, 0.0, 0.0], [0.221586855, 0.749339506, 0.57281889, 0.379217688, 0.537251823, 0.0, 0.0, 0.0], [0.614376848, 0.389682452, 0.634870027, 0.404120103, 0.4524571, 0.901246917, 0.0, 0.0], [0.175613809, 0.849379733, 0.808388477, 0.315432499, 0.888835808, 0.152711231, 0.402505354, 0.0], [0.50530543, 0.816691843, 0.307577988, 0.146819171, 0.464096656, 0.27866174, 0.181677741, 0.622299147]]> : tensor<8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<8x8xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Near miss: a decay mask off by 1e-3 in one element (beyond rtol 1e-5).
// CHECK-LABEL: func.func @almost_decay
// CHECK-NOT: tfm.linear_attention
func.func @almost_decay(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0], [0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0], [0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0], [0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0], [0.800722457, 0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0], [0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0], [0.924278556, 0.938949645, 0.954807461, 0.968994141, 0.984375, 1.0, 0.0, 0.0], [0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0], [0.895620505, 0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Near miss: the probabilities have another consumer (they are an output).
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT: tfm.linear_attention
func.func @probabilities_used(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> (tensor<?x2x8x16xf32>, tensor<?x2x8x8xf32>) {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0], [0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0], [0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0], [0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0], [0.800722457, 0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0], [0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0], [0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0], [0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0], [0.895620505, 0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o, %a : tensor<?x2x8x16xf32>, tensor<?x2x8x8xf32>
}

// Near miss: a mask computed from the data, not from the shapes.
// CHECK-LABEL: func.func @data_mask
// CHECK-NOT: tfm.linear_attention
func.func @data_mask(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>, %x: tensor<8x8xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.exp %x : tensor<8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<8x8xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Near miss: RetNet's clamp without its row-normalised mask.
// CHECK-LABEL: func.func @clamp_without_retnet_mask
// CHECK-NOT: tfm.linear_attention
func.func @clamp_without_retnet_mask(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0, 0.0], [0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0, 0.0], [0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0, 0.0], [0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0, 0.0], [0.800722457, 0.826552213, 0.853215188, 0.880738258, 0.90914917, 0.938476562, 0.96875, 1.0]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0], [0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0], [0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0], [0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0], [0.895620505, 0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %r = tfm.reduce sum %a {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %abs = tfm.abs %r : tensor<?x2x8x1xf32>
  %cl = tfm.clip %abs {min = 1.0 : f64} : tensor<?x2x8x1xf32>
  %p = tfm.div %a, %cl : (tensor<?x2x8x8xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// Near miss: head 0 has RetNet's row-normalised decay, head 1 a plain one
// (no clamp follows): one op cannot normalise the heads differently.
// CHECK-LABEL: func.func @mixed_head_rows
// CHECK-NOT: tfm.linear_attention
func.func @mixed_head_rows(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.690424875, 0.712696645, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.550407055, 0.568162121, 0.586489932, 0.0, 0.0, 0.0, 0.0, 0.0], [0.465382002, 0.480394325, 0.495890916, 0.511887397, 0.0, 0.0, 0.0, 0.0], [0.406379051, 0.419488053, 0.433019926, 0.44698831, 0.461407288, 0.0, 0.0, 0.0], [0.362158937, 0.373841484, 0.385900886, 0.398349302, 0.411199279, 0.424463772, 0.0, 0.0], [0.327315162, 0.337873716, 0.348772868, 0.360023606, 0.37163727, 0.383625569, 0.396000588, 0.0], [0.298876842, 0.308518031, 0.318470225, 0.328743458, 0.339348086, 0.350294799, 0.361594631, 0.373258974]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0, 0.0], [0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0, 0.0], [0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0, 0.0], [0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0, 0.0], [0.895620505, 0.909836704, 0.924278556, 0.938949645, 0.953853607, 0.968994141, 0.984375, 1.0]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %a, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// torchscale's literal normalisation P / clamp(rowsum |P|, 1, 5e4) has no
// O(T) form, but where the per-head group norm follows (here after the
// [B, T, H, D] transpose), a positive factor per row cancels: RetNet's clamp
// serves.
// CHECK-LABEL: func.func @retnet_torchscale
// CHECK: %[[O:.+]] = tfm.linear_attention %arg0, %arg1, %arg2 decay constant normalization retnet {causal, log_decay = array<f32: -0.03174{{[0-9]+}}, -0.01574{{[0-9]+}}>}
// CHECK-NOT: tfm.matmul
// CHECK: %[[T:.+]] = tfm.transpose %[[O]]
// CHECK: tfm.rms_norm %[[T]]
func.func @retnet_torchscale(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x8x2x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.690424875, 0.712696645, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.550407055, 0.568162121, 0.586489932, 0.0, 0.0, 0.0, 0.0, 0.0], [0.465382002, 0.480394325, 0.495890916, 0.511887397, 0.0, 0.0, 0.0, 0.0], [0.406379051, 0.419488053, 0.433019926, 0.44698831, 0.461407288, 0.0, 0.0, 0.0], [0.362158937, 0.373841484, 0.385900886, 0.398349302, 0.411199279, 0.424463772, 0.0, 0.0], [0.327315162, 0.337873716, 0.348772868, 0.360023606, 0.37163727, 0.383625569, 0.396000588, 0.0], [0.298876842, 0.308518031, 0.318470225, 0.328743458, 0.339348086, 0.350294799, 0.361594631, 0.373258974]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.698793251, 0.709885208, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.563848312, 0.572798285, 0.581890321, 0.0, 0.0, 0.0, 0.0, 0.0], [0.482555912, 0.49021553, 0.497996729, 0.505901439, 0.0, 0.0, 0.0, 0.0], [0.42652341, 0.433293622, 0.440171299, 0.447158145, 0.454255893, 0.0, 0.0, 0.0], [0.384767162, 0.390874578, 0.397078936, 0.403381776, 0.409784662, 0.41628918, 0.0, 0.0], [0.35201881, 0.357606411, 0.363282703, 0.369049095, 0.374907017, 0.380857922, 0.386903286, 0.0], [0.325391855, 0.330556805, 0.335803738, 0.341133957, 0.346548781, 0.352049556, 0.357637644, 0.363314432]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %abs = tfm.abs %a : tensor<?x2x8x8xf32>
  %r = tfm.reduce sum %abs {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %cl = tfm.clip %r {min = 1.0 : f64, max = 5.0e4 : f64} : tensor<?x2x8x1xf32>
  %p = tfm.div %a, %cl : (tensor<?x2x8x8xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  %t = tfm.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x2x8x16xf32>) -> tensor<?x8x2x16xf32>
  %one = tfm.constant dense<1.0> : tensor<16xf32>
  %n = tfm.rms_norm %t, %one {axis = 3 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x8x2x16xf32>, tensor<16xf32>) -> tensor<?x8x2x16xf32>
  return %n : tensor<?x8x2x16xf32>
}

// The same without the norm (or a norm over more than one head) is left
// alone: the row factor would show.
// CHECK-LABEL: func.func @torchscale_without_norm
// CHECK-NOT: tfm.linear_attention
// CHECK: return
func.func @torchscale_without_norm(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.690424875, 0.712696645, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.550407055, 0.568162121, 0.586489932, 0.0, 0.0, 0.0, 0.0, 0.0], [0.465382002, 0.480394325, 0.495890916, 0.511887397, 0.0, 0.0, 0.0, 0.0], [0.406379051, 0.419488053, 0.433019926, 0.44698831, 0.461407288, 0.0, 0.0, 0.0], [0.362158937, 0.373841484, 0.385900886, 0.398349302, 0.411199279, 0.424463772, 0.0, 0.0], [0.327315162, 0.337873716, 0.348772868, 0.360023606, 0.37163727, 0.383625569, 0.396000588, 0.0], [0.298876842, 0.308518031, 0.318470225, 0.328743458, 0.339348086, 0.350294799, 0.361594631, 0.373258974]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.698793251, 0.709885208, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.563848312, 0.572798285, 0.581890321, 0.0, 0.0, 0.0, 0.0, 0.0], [0.482555912, 0.49021553, 0.497996729, 0.505901439, 0.0, 0.0, 0.0, 0.0], [0.42652341, 0.433293622, 0.440171299, 0.447158145, 0.454255893, 0.0, 0.0, 0.0], [0.384767162, 0.390874578, 0.397078936, 0.403381776, 0.409784662, 0.41628918, 0.0, 0.0], [0.35201881, 0.357606411, 0.363282703, 0.369049095, 0.374907017, 0.380857922, 0.386903286, 0.0], [0.325391855, 0.330556805, 0.335803738, 0.341133957, 0.346548781, 0.352049556, 0.357637644, 0.363314432]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %abs = tfm.abs %a : tensor<?x2x8x8xf32>
  %r = tfm.reduce sum %abs {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %cl = tfm.clip %r {min = 1.0 : f64, max = 5.0e4 : f64} : tensor<?x2x8x1xf32>
  %p = tfm.div %a, %cl : (tensor<?x2x8x8xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %o : tensor<?x2x8x16xf32>
}

// CHECK-LABEL: func.func @torchscale_norm_across_heads
// CHECK-NOT: tfm.linear_attention
// CHECK: return
func.func @torchscale_norm_across_heads(%q: tensor<?x2x8x16xf32>, %k: tensor<?x2x8x16xf32>, %v: tensor<?x2x8x16xf32>) -> tensor<?x8x2x16xf32> {
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x8x16xf32>) -> tensor<?x2x16x8xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x2x8x16xf32>, tensor<?x2x16x8xf32>) -> tensor<?x2x8x8xf32>
  %m = tfm.constant dense<[[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.690424875, 0.712696645, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.550407055, 0.568162121, 0.586489932, 0.0, 0.0, 0.0, 0.0, 0.0], [0.465382002, 0.480394325, 0.495890916, 0.511887397, 0.0, 0.0, 0.0, 0.0], [0.406379051, 0.419488053, 0.433019926, 0.44698831, 0.461407288, 0.0, 0.0, 0.0], [0.362158937, 0.373841484, 0.385900886, 0.398349302, 0.411199279, 0.424463772, 0.0, 0.0], [0.327315162, 0.337873716, 0.348772868, 0.360023606, 0.37163727, 0.383625569, 0.396000588, 0.0], [0.298876842, 0.308518031, 0.318470225, 0.328743458, 0.339348086, 0.350294799, 0.361594631, 0.373258974]], [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.698793251, 0.709885208, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.563848312, 0.572798285, 0.581890321, 0.0, 0.0, 0.0, 0.0, 0.0], [0.482555912, 0.49021553, 0.497996729, 0.505901439, 0.0, 0.0, 0.0, 0.0], [0.42652341, 0.433293622, 0.440171299, 0.447158145, 0.454255893, 0.0, 0.0, 0.0], [0.384767162, 0.390874578, 0.397078936, 0.403381776, 0.409784662, 0.41628918, 0.0, 0.0], [0.35201881, 0.357606411, 0.363282703, 0.369049095, 0.374907017, 0.380857922, 0.386903286, 0.0], [0.325391855, 0.330556805, 0.335803738, 0.341133957, 0.346548781, 0.352049556, 0.357637644, 0.363314432]]]> : tensor<2x8x8xf32>
  %a = tfm.mul %s, %m : (tensor<?x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %abs = tfm.abs %a : tensor<?x2x8x8xf32>
  %r = tfm.reduce sum %abs {axes = array<i64: 3>} : (tensor<?x2x8x8xf32>) -> tensor<?x2x8x1xf32>
  %cl = tfm.clip %r {min = 1.0 : f64, max = 5.0e4 : f64} : tensor<?x2x8x1xf32>
  %p = tfm.div %a, %cl : (tensor<?x2x8x8xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<?x2x8x8xf32>, tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  %t = tfm.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x2x8x16xf32>) -> tensor<?x8x2x16xf32>
  %one = tfm.constant dense<1.0> : tensor<2x16xf32>
  %n = tfm.layer_norm %t, %one {axis = 2 : i64} : (tensor<?x8x2x16xf32>, tensor<2x16xf32>) -> tensor<?x8x2x16xf32>
  return %n : tensor<?x8x2x16xf32>
}
