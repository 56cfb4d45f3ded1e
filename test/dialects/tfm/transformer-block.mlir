// A small transformer block (attention, layer norm, matmuls with epilogues)
// round-trips through kiln-opt unchanged, text for text.
// RUN: grep -v '^//' %kiln_src_root/models/encoder_block.mlir > %t.in
// RUN: kiln-opt %t.in -o %t.out
// RUN: diff %t.in %t.out
// RUN: kiln-opt %t.in --mlir-print-op-generic | kiln-opt -o %t.generic
// RUN: diff %t.in %t.generic

// The tfm pipeline keeps it valid, with dynamic batch and sequence.
// RUN: kiln-opt %t.in -tfm-pipeline | FileCheck %s
// CHECK-LABEL: func.func @encoder_block
// CHECK-SAME: -> tensor<?x?x64xf32>
// CHECK: tfm.attention
// CHECK-SAME: -> tensor<?x4x?x16xf32>
// CHECK-COUNT-2: tfm.layer_norm
