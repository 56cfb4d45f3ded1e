// RUN: kiln-opt %s -tfm-fuse-attention -canonicalize | FileCheck %s

// BERT: (q k^T) / sqrt(d) + mask, softmax, x v; k^T is a transpose.
// CHECK-LABEL: func.func @bert
// CHECK: %[[O:.+]] = tfm.attention %arg0, %arg1, %arg2 mask %arg3 {scale = 2.500000e-01 : f32}
// CHECK-NEXT: return %[[O]]
func.func @bert(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %mask: tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32> {
  %c4 = tfm.constant dense<4.0> : tensor<f32>
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = tfm.div %s, %c4 : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %m = tfm.add %d, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
  %p = tfm.softmax %m {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = tfm.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// DistilBERT: q scaled first, masked_fill(masked, min): an inverted mask.
// CHECK-LABEL: func.func @distilbert
// CHECK: %[[K:.+]] = tfm.not %arg3
// CHECK: tfm.attention %arg0, %arg1, %arg2 mask %[[K]] {scale = 2.500000e-01 : f32}
func.func @distilbert(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %masked: tensor<?x1x1x?xi1>) -> tensor<?x4x?x16xf32> {
  %c4 = tfm.constant dense<4.0> : tensor<f32>
  %min = tfm.constant dense<-3.40282347E+38> : tensor<f32>
  %qs = tfm.div %q, %c4 : (tensor<?x4x?x16xf32>, tensor<f32>) -> tensor<?x4x?x16xf32>
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = tfm.matmul %qs, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %f = tfm.select %masked, %min, %s : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = tfm.softmax %f {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = tfm.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// GPT-2: Where(causal, scores, min) + padding mask: one additive mask.
// CHECK-LABEL: func.func @gpt2
// CHECK: %[[M:.+]] = tfm.select %arg3, %arg4, %{{.+}} : (tensor<1x1x?x?xi1>, tensor<?x1x1x?xf32>, tensor<f32>) -> tensor<?x1x?x?xf32>
// CHECK: tfm.attention %arg0, %arg1, %arg2 mask %[[M]]
func.func @gpt2(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %causal: tensor<1x1x?x?xi1>, %pad: tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32> {
  %c4 = tfm.constant dense<4.0> : tensor<f32>
  %min = tfm.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = tfm.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = tfm.div %s, %c4 : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %w = tfm.select %causal, %d, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %m = tfm.add %w, %pad : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
  %p = tfm.softmax %m {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = tfm.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// LLaMA: K/V repeated for grouped-query attention become the 2 original heads.
// CHECK-LABEL: func.func @llama_gqa
// CHECK: tfm.attention %arg0, %arg1, %arg2 mask %arg3 {scale = 2.500000e-01 : f32} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x16xf32>
func.func @llama_gqa(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %mask: tensor<?x1x?x?xf32>, %s5: tensor<5xi64>, %s4: tensor<4xi64>) -> tensor<?x4x?x16xf32> {
  %c4 = tfm.constant dense<4.0> : tensor<f32>
  %ku = tfm.unsqueeze %k {axes = array<i64: 2>} : (tensor<?x2x?x16xf32>) -> tensor<?x2x1x?x16xf32>
  %ke = tfm.expand %ku, %s5 : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %kr = tfm.reshape %ke, %s4 : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %vu = tfm.unsqueeze %v {axes = array<i64: 2>} : (tensor<?x2x?x16xf32>) -> tensor<?x2x1x?x16xf32>
  %ve = tfm.expand %vu, %s5 : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %vr = tfm.reshape %ve, %s4 : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %kt = tfm.transpose %kr {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = tfm.div %s, %c4 : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %m = tfm.add %d, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = tfm.softmax %m {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = tfm.matmul %p, %vr : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// A decoder export with a dynamic past computes the expand's shape, so its
// group dim is dynamic; the reshape to 4 heads still fixes g = 2.
// CHECK-LABEL: func.func @llama_gqa_computed_shape
// CHECK: tfm.attention %arg0, %arg1, %arg2 mask %arg3 {{.*}} : (tensor<?x4x1x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x1x?xf32>)
func.func @llama_gqa_computed_shape(%q: tensor<?x4x1x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %mask: tensor<?x1x1x?xf32>, %s5: tensor<5xi64>, %s4: tensor<4xi64>) -> tensor<?x4x1x16xf32> {
  %c4 = tfm.constant dense<4.0> : tensor<f32>
  %ku = tfm.unsqueeze %k {axes = array<i64: 2>} : (tensor<?x2x?x16xf32>) -> tensor<?x2x1x?x16xf32>
  %ke = tfm.expand %ku, %s5 : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x?x?x16xf32>
  %kr = tfm.reshape %ke, %s4 : (tensor<?x2x?x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %vu = tfm.unsqueeze %v {axes = array<i64: 2>} : (tensor<?x2x?x16xf32>) -> tensor<?x2x1x?x16xf32>
  %ve = tfm.expand %vu, %s5 : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x?x?x16xf32>
  %vr = tfm.reshape %ve, %s4 : (tensor<?x2x?x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %kt = tfm.transpose %kr {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = tfm.matmul %q, %kt : (tensor<?x4x1x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x1x?xf32>
  %d = tfm.div %s, %c4 : (tensor<?x4x1x?xf32>, tensor<f32>) -> tensor<?x4x1x?xf32>
  %m = tfm.add %d, %mask : (tensor<?x4x1x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x1x?xf32>
  %p = tfm.softmax %m {axis = 3 : i64} : tensor<?x4x1x?xf32>
  %o = tfm.matmul %p, %vr : (tensor<?x4x1x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x1x16xf32>
  return %o : tensor<?x4x1x16xf32>
}

// Near misses: softmax over another axis; a scale that is not a constant;
// a mask added before the scale (which would scale the mask too).
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: tfm.attention
// CHECK: return
func.func @near_misses(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x16x8xf32>, %v: tensor<2x4x8x16xf32>, %scale: tensor<f32>, %mask: tensor<2x1x1x8xf32>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
  %c4 = tfm.constant dense<4.0> : tensor<f32>
  %s = tfm.matmul %q, %k : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %p = tfm.softmax %s {axis = 2 : i64} : tensor<2x4x8x8xf32>
  %o = tfm.matmul %p, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  %s2 = tfm.matmul %q, %k : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %d2 = tfm.div %s2, %scale : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p2 = tfm.softmax %d2 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o2 = tfm.matmul %p2, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  %s3 = tfm.matmul %q, %k : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %m3 = tfm.add %s3, %mask : (tensor<2x4x8x8xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x8xf32>
  %d3 = tfm.div %m3, %c4 : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p3 = tfm.softmax %d3 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %o3 = tfm.matmul %p3, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o, %o2, %o3 : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}
