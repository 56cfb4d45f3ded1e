// RUN: kiln-opt %s -split-input-file -kiln-x86-attention -verify-diagnostics

// One the kernel cannot run is an error (it has no generic lowering).
func.func @cached_head_dim(%q: tensor<?x4x?x512xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x512xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op runs on the x86 attention kernel only with f32 tensors, static head counts and head dims of at most 256}}
  %o = tfm.cached_attention %q, %q, %q, %q, %q, %len : (tensor<?x4x?x512xf32>, tensor<?x4x?x512xf32>, tensor<?x4x?x512xf32>, tensor<?x4x?x512xf32>, tensor<?x4x?x512xf32>, tensor<?xi64>) -> tensor<?x4x?x512xf32>
  return %o : tensor<?x4x?x512xf32>
}
