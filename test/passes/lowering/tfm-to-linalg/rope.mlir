// RUN: kiln-opt %s -split-input-file -tfm-to-linalg -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -tfm-to-linalg | FileCheck %s --check-prefix=NOTFM

// The rotary-embedding family of tfm-to-linalg (Rope.cpp): tfm.rope becomes
// one all-parallel linalg.generic over the input whose body reads the
// partner feature of the input and cos/sin at the (broadcast) position with
// tensor.extract and yields x * cos + (+-partner) * sin inside the rotary
// part, x past it. The checks assert the partner arithmetic of the half
// (rotate_half) and interleaved forms, the cos/sin indices (a static 1 reads
// 0) and the rotation.

// NOTFM-NOT: = tfm.

// Half form, full rotary: feature f < 8 pairs with f + 8 (negated), else
// with f - 8.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @rope
// CHECK-DAG: %[[HALF:.+]] = arith.constant 8 : index
// CHECK-DAG: %[[ROT:.+]] = arith.constant 16 : index
// The tables' dynamic leading dims must be the input's or 1 (checked at run
// time); one that is 1 is read at index 0.
// CHECK: tfm.runtime_check %{{.+}}, "tfm.rope: cannot broadcast the cos/sin tables' dimension 0 of size {0} against the input's size {1}"
// CHECK: tfm.runtime_check %{{.+}}, "tfm.rope: cannot broadcast the cos/sin tables' dimension 2 of size {0} against the input's size {1}"
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<?x4x?x16xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32,
// CHECK-NEXT: %[[I0:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[I1:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[I2:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[F:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[IN:.+]] = arith.cmpi slt, %[[F]], %[[ROT]] : index
// CHECK-NEXT: %[[FIRST:.+]] = arith.cmpi slt, %[[F]], %[[HALF]] : index
// CHECK-NEXT: %[[DOWN:.+]] = arith.subi %[[F]], %[[HALF]] : index
// CHECK-NEXT: %[[UP:.+]] = arith.addi %[[F]], %[[HALF]] : index
// CHECK-NEXT: %[[PART:.+]] = arith.select %[[FIRST]], %[[UP]], %[[DOWN]] : index
// CHECK-NEXT: %[[P:.+]] = arith.select %[[IN]], %[[PART]], %[[F]] : index
// CHECK-NEXT: %[[CF:.+]] = arith.select %[[IN]], %[[F]], %c0 : index
// CHECK-NEXT: %[[XP:.+]] = tensor.extract %arg0[%[[I0]], %[[I1]], %[[I2]], %[[P]]] : tensor<?x4x?x16xf32>
// CHECK-NEXT: %[[C0:.+]] = arith.select %{{.+}}, %c0, %[[I0]] : index
// CHECK-NEXT: %[[C2:.+]] = arith.select %{{.+}}, %c0, %[[I2]] : index
// CHECK-NEXT: %[[COS:.+]] = tensor.extract %arg1[%[[C0]], %c0, %[[C2]], %[[CF]]] : tensor<?x1x?x16xf32>
// CHECK-NEXT: %[[SIN:.+]] = tensor.extract %arg2[%[[C0]], %c0, %[[C2]], %[[CF]]] : tensor<?x1x?x16xf32>
// CHECK-NEXT: %[[NEG:.+]] = arith.negf %[[XP]] : f32
// CHECK-NEXT: %[[SXP:.+]] = arith.select %[[FIRST]], %[[NEG]], %[[XP]] : f32
// CHECK-NEXT: %[[B:.+]] = arith.mulf %[[SXP]], %[[SIN]] : f32
// CHECK-NEXT: %[[A:.+]] = arith.mulf %[[X]], %[[COS]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.select %[[IN]], %[[R]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32
func.func @rope(%q: tensor<?x4x?x16xf32>, %cos: tensor<?x1x?x16xf32>, %sin: tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %0 = tfm.rope %q, %cos, %sin : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// -----

// Interleaved form, partial rotary (32 of 64 features): even feature 2i
// pairs with 2i + 1 (negated), odd with 2i - 1; rank-2 cos/sin align with
// the input's [S, R] dims.
// CHECK-LABEL: func.func @rope_interleaved_partial
// CHECK-DAG: %[[ROT:.+]] = arith.constant 32 : index
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<?x?x8x64xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]+]]: f32,
// CHECK: %[[S:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[F:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[IN:.+]] = arith.cmpi slt, %[[F]], %[[ROT]] : index
// CHECK-NEXT: %[[ODD:.+]] = arith.remsi %[[F]], %c2 : index
// CHECK-NEXT: %[[EVEN:.+]] = arith.cmpi eq, %[[ODD]], %c0 : index
// CHECK-NEXT: %[[DOWN:.+]] = arith.subi %[[F]], %c1 : index
// CHECK-NEXT: %[[UP:.+]] = arith.addi %[[F]], %c1 : index
// CHECK-NEXT: arith.select %[[EVEN]], %[[UP]], %[[DOWN]] : index
// CHECK: %[[CF:.+]] = arith.select %[[IN]], %[[F]], %c0 : index
// CHECK: %[[CS:.+]] = arith.select %{{.+}}, %c0, %[[S]] : index
// CHECK: %[[COS:.+]] = tensor.extract %arg1[%[[CS]], %[[CF]]] : tensor<?x32xf32>
// CHECK-NEXT: %[[SIN:.+]] = tensor.extract %arg2[%[[CS]], %[[CF]]] : tensor<?x32xf32>
// CHECK: arith.select %[[EVEN]], %{{.+}}, %{{.+}} : f32
// CHECK: arith.mulf %{{.+}}, %[[SIN]] : f32
// CHECK: arith.mulf %[[X]], %[[COS]] : f32
// CHECK: arith.addf
// CHECK: arith.select %[[IN]], %{{.+}}, %[[X]] : f32
func.func @rope_interleaved_partial(%k: tensor<?x?x8x64xf32>, %cos: tensor<?x32xf32>, %sin: tensor<?x32xf32>) -> tensor<?x?x8x64xf32> {
  %0 = tfm.rope %k, %cos, %sin {interleaved} : (tensor<?x?x8x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x?x8x64xf32>
  return %0 : tensor<?x?x8x64xf32>
}
