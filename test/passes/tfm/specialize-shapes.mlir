// RUN: kiln-opt %s -tfm-specialize-shapes="shapes=input_ids=2x7,arg1=2x?" | FileCheck %s
// RUN: kiln-opt %s -tfm-pipeline="shapes=input_ids=2x7,arg1=2x7" | FileCheck %s --check-prefix=PIPE
// RUN: not kiln-opt %s -tfm-specialize-shapes="shapes=nope=2x7" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not kiln-opt %s -tfm-specialize-shapes="shapes=input_ids=2xseven" 2>&1 | FileCheck %s --check-prefix=JUNK
// RUN: not kiln-opt %s -tfm-specialize-shapes="shapes=arg1=2x7x1" 2>&1 | FileCheck %s --check-prefix=RANK

// Arguments are named by their tfm.name or by position; '?' stays dynamic.
// CHECK-LABEL: func.func @embed
// CHECK-SAME: tensor<2x7xi64> {tfm.name = "input_ids"}
// CHECK-SAME: tensor<2x?xi64>
// CHECK-SAME: -> tensor<?x?x4xf32>

// The pipeline propagates the specialised shapes.
// PIPE-LABEL: func.func @embed
// PIPE-SAME: -> tensor<2x7x4xf32>
// PIPE: tfm.embedding {{.*}} -> tensor<2x7x4xf32>

// NAME: error: no input named 'nope' in @embed
// JUNK: error: malformed shape 'input_ids=2xseven': expected NAME=D0xD1x... with sizes or '?'
// RANK: error: input 'arg1' has type 'tensor<?x?xi64>'; shape 2x7x1 does not fit it
func.func @embed(%ids: tensor<?x?xi64> {tfm.name = "input_ids"}, %pos: tensor<?x?xi64>, %table: tensor<16x4xf32>) -> tensor<?x?x4xf32> {
  %e = tfm.embedding %table, %ids : (tensor<16x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  %p = tfm.embedding %table, %pos : (tensor<16x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  %s = tfm.add %e, %p : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %s : tensor<?x?x4xf32>
}
