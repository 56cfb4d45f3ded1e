// RUN: kiln-opt %s -split-input-file -kiln-outline-segments="ops-per-function=3" | FileCheck %s

// A body longer than the budget is cut into functions of about that many
// ops, called in order. Each takes what it uses from before (the argument,
// an earlier segment's result) and returns what is used after it;
// constants stay in the caller and are cloned where used.
// CHECK-LABEL: func.func @graph(
// CHECK-SAME: %[[N:.+]]: index) -> f32
// CHECK: %[[A:.+]]:2 = call @graph_segment_0(%[[N]]) : (index) -> (memref<?xf32>, f32)
// CHECK: %[[Z:.+]] = call @graph_segment_1(%[[A]]#1, %[[A]]#0) : (f32, memref<?xf32>) -> f32
// CHECK: call @graph_segment_2(%[[A]]#0) : (memref<?xf32>) -> ()
// CHECK: return %[[Z]] : f32
// CHECK: func.func private @graph_segment_0(%[[N0:.+]]: index) -> (memref<?xf32>, f32) attributes {passthrough = ["noinline"]}
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[TWO:.+]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[M:.+]] = memref.alloc(%[[N0]])
// CHECK: memref.store %[[TWO]], %[[M]][%[[C0]]]
// CHECK: %[[X:.+]] = memref.load %[[M]]
// CHECK: return %[[M]], %[[X]]
// CHECK: func.func private @graph_segment_1(%{{.+}}: f32, %{{.+}}: memref<?xf32>) -> f32
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK: func.func private @graph_segment_2(
// CHECK-NEXT: memref.dealloc
func.func @graph(%n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %a = memref.alloc(%n) : memref<?xf32>
  memref.store %two, %a[%c0] : memref<?xf32>
  %x = memref.load %a[%c0] : memref<?xf32>
  %y = arith.addf %x, %two : f32
  %z = arith.mulf %y, %y : f32
  memref.store %z, %a[%c0] : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return %z : f32
}

// -----

// A segment that would return a stack allocation stays inline.
// CHECK-LABEL: func.func @stack(
// CHECK: %[[S:.+]] = memref.alloca() : memref<4xf32>
// CHECK: memref.store
// CHECK: call @stack_segment_1(%{{.+}}, %[[S]])
func.func @stack(%v: f32) {
  %c0 = arith.constant 0 : index
  %s = memref.alloca() : memref<4xf32>
  memref.store %v, %s[%c0] : memref<4xf32>
  %w = arith.addf %v, %v : f32
  memref.store %w, %s[%c0] : memref<4xf32>
  %u = arith.mulf %w, %w : f32
  memref.store %u, %s[%c0] : memref<4xf32>
  return
}

// -----

// A short body is left alone.
// CHECK-LABEL: func.func @short(
// CHECK-NOT: call
// CHECK: return
func.func @short(%v: f32) -> f32 {
  %w = arith.addf %v, %v : f32
  return %w : f32
}

// -----

// A body that repeats (three layers after one op of its own) is cut at the
// same places in every copy; merged, each layer calls the same two
// functions.
// RUN: kiln-opt %s -split-input-file -kiln-outline-segments="ops-per-function=2" -kiln-merge-identical-functions | FileCheck %s --check-prefix=LAYERS
// LAYERS-LABEL: func.func @layers(
// LAYERS: %[[P:.+]] = call @layers_segment_0(
// LAYERS: %[[B1:.+]] = call @layers_segment_1(%[[P]], %{{.+}}) : (f32, f32) -> f32
// LAYERS: call @layers_segment_2(%[[B1]], %{{.+}}) : (f32, memref<4xf32>) -> ()
// LAYERS: %[[B2:.+]] = call @layers_segment_1(%[[B1]], %{{.+}})
// LAYERS: call @layers_segment_2(%[[B2]],
// LAYERS: %[[B3:.+]] = call @layers_segment_1(%[[B2]], %{{.+}})
// LAYERS: call @layers_segment_2(%[[B3]],
// LAYERS: return %[[B3]]
// LAYERS-NOT: func.func private @layers_segment_3
func.func @layers(%m: memref<4xf32>, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %p = arith.mulf %x, %x : f32
  %a1 = arith.addf %p, %x : f32
  %b1 = arith.mulf %a1, %a1 : f32
  memref.store %b1, %m[%c0] : memref<4xf32>
  %a2 = arith.addf %b1, %x : f32
  %b2 = arith.mulf %a2, %a2 : f32
  memref.store %b2, %m[%c0] : memref<4xf32>
  %a3 = arith.addf %b2, %x : f32
  %b3 = arith.mulf %a3, %a3 : f32
  memref.store %b3, %m[%c0] : memref<4xf32>
  return %b3 : f32
}

// -----

// A segment returning more than max-results values stays inline.
// RUN: kiln-opt %s -split-input-file -kiln-outline-segments="ops-per-function=2 max-results=1" | FileCheck %s --check-prefix=RESULTS
// RESULTS-LABEL: func.func @results(
// RESULTS-NEXT: %[[A:.+]] = arith.addf
// RESULTS-NEXT: %[[B:.+]] = arith.mulf
// RESULTS-NEXT: call @results_segment_1(%[[A]], %[[B]])
func.func @results(%x: f32) -> f32 {
  %a = arith.addf %x, %x : f32
  %b = arith.mulf %x, %x : f32
  %c = arith.subf %a, %b : f32
  %d = arith.mulf %c, %c : f32
  return %d : f32
}
