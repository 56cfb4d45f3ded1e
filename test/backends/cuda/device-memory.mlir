// RUN: kiln-opt %s --kiln-gpu-device-memory | FileCheck %s

memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// Buffers go to device memory; a constant is copied there; a copy becomes
// a linalg.copy (a kernel later).
// CHECK-LABEL: func.func @buffers
// CHECK: %[[GLOBAL:.+]] = memref.get_global @table
// CHECK: %[[TABLE:.+]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[TABLE]], %[[GLOBAL]]
// CHECK: %[[SUM:.+]] = gpu.alloc () : memref<4xf32>
// CHECK: linalg.add ins(%{{.+}}, %[[TABLE]] : {{.+}}) outs(%[[SUM]] :
// CHECK: %[[OUT:.+]] = gpu.alloc () : memref<4xf32>
// CHECK: linalg.copy ins(%[[SUM]] : {{.+}}) outs(%[[OUT]] :
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
func.func @buffers(%a: memref<4xf32>) -> memref<4xf32> {
  %t = memref.get_global @table : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.add ins(%a, %t : memref<4xf32>, memref<4xf32>) outs(%b : memref<4xf32>)
  %c = memref.alloc() : memref<4xf32>
  memref.copy %b, %c : memref<4xf32> to memref<4xf32>
  return %c : memref<4xf32>
}

// What host code reads or writes element by element (a shape tensor, an
// input holding a shape, memref.reshape's shape) is managed memory.
// CHECK-LABEL: func.func @shape_tensor
// CHECK-SAME: (%[[X:.+]]: memref<?x?xf32>, %[[S:.+]]: memref<2xi64>)
// CHECK: %[[SCOPY:.+]] = gpu.alloc host_shared () : memref<2xi64>
// CHECK: gpu.memcpy %[[SCOPY]], %[[S]]
// CHECK: %[[SHAPE:.+]] = gpu.alloc host_shared () : memref<2xindex>
// CHECK: memref.load %[[SCOPY]]
// CHECK: memref.reshape %[[X]](%[[SHAPE]])
func.func @shape_tensor(%x: memref<?x?xf32>, %s: memref<2xi64>) -> memref<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %shape = memref.alloc() : memref<2xindex>
  %d0 = memref.load %s[%c0] : memref<2xi64>
  %i0 = arith.index_cast %d0 : i64 to index
  memref.store %i0, %shape[%c0] : memref<2xindex>
  memref.store %i0, %shape[%c1] : memref<2xindex>
  %r = memref.reshape %x(%shape) : (memref<?x?xf32>, memref<2xindex>) -> memref<?x?xf32>
  return %r : memref<?x?xf32>
}

// A 0-d linalg op is scalar host code: its buffers are managed too.
// CHECK-LABEL: func.func @scalar
// CHECK: gpu.alloc host_shared () : memref<f32>
func.func @scalar(%x: f32) -> memref<f32> {
  %b = memref.alloc() : memref<f32>
  linalg.fill ins(%x : f32) outs(%b : memref<f32>)
  return %b : memref<f32>
}
