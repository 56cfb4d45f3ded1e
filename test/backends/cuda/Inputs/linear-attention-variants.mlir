// tfm.linear_attention variants the export tests do not reach, as one model
// (the mlir frontend: inputs input0..input4): a scalar gate with ReLU
// features and a denominator, a vector gate (GLA) with SiLU features,
// causal identity features carrying a state, RetNet with Dk != Dv and
// non-causal ReLU features with a denominator.
// Gates are -|x| (log decays <= 0).
func.func @main_graph(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x12xf32>, %g: tensor<?x2x?x8xf32>, %s: tensor<?x2x9x13xf32>) -> (tensor<?x2x?x12xf32>, tensor<?x2x?x12xf32>, tensor<?x2x?x12xf32>, tensor<?x2x9x13xf32>, tensor<?x2x?x12xf32>, tensor<?x2x?x12xf32>) {
  %abs = tfm.abs %g : tensor<?x2x?x8xf32>
  %vg = tfm.neg %abs : tensor<?x2x?x8xf32>
  %sg = tfm.reduce mean %vg {axes = array<i64: 3>, keepdims = false} : (tensor<?x2x?x8xf32>) -> tensor<?x2x?xf32>
  %o1 = tfm.linear_attention %q, %k, %v gate %sg feature_map relu decay scalar_gate normalization denominator {causal, scale = 0.5 : f32} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x12xf32>, tensor<?x2x?xf32>) -> tensor<?x2x?x12xf32>
  %o2 = tfm.linear_attention %q, %k, %v gate %vg feature_map silu decay vector_gate {causal} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x12xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x12xf32>
  %o3, %n3 = tfm.linear_attention %q, %k, %v state %s {causal, scale = 0.25 : f32} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x12xf32>, tensor<?x2x9x13xf32>) -> (tensor<?x2x?x12xf32>, tensor<?x2x9x13xf32>)
  %o4 = tfm.linear_attention %q, %k, %v decay constant normalization retnet {causal, log_decay = array<f32: -0.03125, -0.5>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x12xf32>) -> tensor<?x2x?x12xf32>
  %o5 = tfm.linear_attention %q, %k, %v feature_map relu normalization denominator : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x12xf32>) -> tensor<?x2x?x12xf32>
  return %o1, %o2, %o3, %n3, %o4, %o5 : tensor<?x2x?x12xf32>, tensor<?x2x?x12xf32>, tensor<?x2x?x12xf32>, tensor<?x2x9x13xf32>, tensor<?x2x?x12xf32>, tensor<?x2x?x12xf32>
}
