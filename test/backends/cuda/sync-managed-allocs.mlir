// RUN: kiln-opt %s --kiln-gpu-sync-managed-allocs | FileCheck %s

// A managed allocation leaves the stream: wait for what it depended on,
// allocate synchronously, and hand a fresh token to what followed.
// CHECK-LABEL: func.func @managed
// CHECK: %[[T0:.+]] = gpu.wait async
// CHECK: gpu.wait [%[[T0]]]
// CHECK: %[[M:.+]] = gpu.alloc host_shared () : memref<4xf32>
// CHECK: %[[T1:.+]] = gpu.wait async
// CHECK: %[[D:.+]], %[[T2:.+]] = gpu.alloc async [%[[T1]]] () : memref<4xf32>
// CHECK: gpu.memcpy async [%[[T2]]] %[[D]], %[[M]]
func.func @managed() {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] host_shared () : memref<4xf32>
  %d, %t2 = gpu.alloc async [%t1] () : memref<4xf32>
  %t3 = gpu.memcpy async [%t2] %d, %m : memref<4xf32>, memref<4xf32>
  gpu.wait [%t3]
  return
}
