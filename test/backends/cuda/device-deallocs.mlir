// RUN: kiln-opt %s --kiln-gpu-device-deallocs | FileCheck %s

// Device buffers (directly, through views or extract_strided_metadata) are
// freed with gpu.dealloc; host bookkeeping buffers stay memref.dealloc.
// CHECK-LABEL: func.func @frees
// CHECK: gpu.dealloc %{{.+}} : memref<8xf32>
// CHECK: gpu.dealloc %{{.+}} : memref<f32>
// CHECK: memref.dealloc %{{.+}} : memref<2xindex>
func.func @frees() {
  %d = gpu.alloc () : memref<8xf32>
  %sub = memref.subview %d[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %base, %offset, %size, %stride = memref.extract_strided_metadata %sub : memref<4xf32, strided<[1]>> -> memref<f32>, index, index, index
  %h = memref.alloc () : memref<2xindex>
  memref.dealloc %d : memref<8xf32>
  memref.dealloc %base : memref<f32>
  memref.dealloc %h : memref<2xindex>
  return
}
