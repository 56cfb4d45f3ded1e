//===- Passes.td - CUDA backend passes ---------------------*- tablegen -*-===//
//
// Part of kiln. The passes that take kiln's buffer-level IR onto an NVIDIA
// GPU: loop nests become kernels, buffers move to device memory.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_CUDA_PASSES_TD
#define KILN_BACKENDS_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def CudaGemm : Pass<"kiln-cuda-gemm", "ModuleOp"> {
  let summary = "Run weight matmuls through a register-tiled GPU GEMM kernel";
  let description = [{
    Every f32 `tfm.matmul` whose right operand is a 2-D weight constant
    becomes, before lowering, a call of `@kiln_cuda_sgemm` on its left
    operand flattened to `[M, K]`; the weight is stored `[K, N]` (transposed
    at compile time for `transpose_rhs`), and the epilogue stays as tfm
    elementwise ops. The kernel, added once, launches 16x16 threads per
    block; each thread accumulates an 8x4 register tile whose rows and
    columns are 16 apart, so a half-warp's loads of a weight row are 16
    consecutive floats (coalesced) and each loaded value feeds 4 or 8
    fused multiply-adds. M (batch x sequence) stays dynamic; ragged edges
    clamp their loads and guard their stores. It uses no shared memory or
    barriers, so `--gpu-emulate` runs it on the CPU as it is.

    With `precision=bf16` or `fp16` the matmul runs on tensor cores
    instead (`@kiln_cuda_mma_bf16` / `_fp16`, sm_80 and up): the weight is
    rounded at compile time and stored `[N, ceil(K/16)*8]` as packed pairs
    (32 bits: k even in the low half), activations are rounded as they are
    loaded, and products accumulate in fp32. Each block of 4 warps computes
    a 64x64 tile; each warp a 32x32 tile of 2x4 `nvvm.mma.sync` m16n8k16
    fragments per 16-deep step, loaded straight from global memory in the
    PTX fragment layout. Warp-level, so not emulable. Until
    `kiln-cuda-link-kernels` runs, the call goes to a stand-in.
  }];
  let options = [
    Option<"precision", "precision", "std::string", "\"fp32\"",
           "fp32 (SIMT), or bf16 / fp16 (tensor cores, fp32 accumulation)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def CudaAttention : Pass<"kiln-cuda-attention", "ModuleOp"> {
  let summary = "Run fused attention as one GPU kernel";
  let description = [{
    Every f32 `tfm.attention` with static head dims up to 256 becomes a
    call of `@kiln_cuda_attention_d<D>_v<Dv>[_addmask|_keepmask][_causal]`
    (added once per variant): one launch, one GPU thread per query row,
    which holds its query in registers, walks the keys of its (grouped-
    query) key/value head one at a time with an online softmax (a score of
    -inf, a false `i1` mask or the causal bound skips the key), accumulates
    the output row in registers and divides at the end; a row with every
    key masked gives zeros. The mask is unsqueezed to rank 4 and broadcast
    by index (a dim of size 1 reads index 0). Consecutive threads take
    consecutive query rows of one head, so they read the same key and value
    rows together. This replaces the generic lowering's host loop over key
    blocks, which launches several kernels per block; no shared memory or
    barriers, so `--gpu-emulate` runs it on the CPU.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def CudaLinearAttention : Pass<"kiln-cuda-linear-attention", "ModuleOp"> {
  let summary = "Run tfm.linear_attention as one GPU kernel";
  let description = [{
    Every `tfm.linear_attention` (f32, static head dims, key dim up to 256)
    becomes a call of `@kiln_cuda_linear_attention_k<Dk>_v<Dv>_<feature
    map>_<decay>_<normalisation>[_causal][_state]` (added once per
    variant): one launch, one GPU thread per (batch, head, value column),
    which carries its column of the `[Dk, Dv]` state (and the key sum and
    decayed count the normalisation reads) in registers and walks the
    tokens in order: the recurrent form `S_t = d_t S_(t-1) + phi(k_t)^T
    v_t`, `o_t = scale phi(q_t) S_t`, linear in T, every decay factor <= 1
    so nothing overflows. Non-causal attention sums the state first, then
    reads every query against it. The decode form reads the incoming state
    and writes the final one in the op's `[B, H, Dk + 1, Dv + 1]` layout.
    Threads of one head read the same key and query rows and consecutive
    value columns. There is no generic lowering: an op the kernel cannot
    take is an error. No shared memory or barriers, so `--gpu-emulate`
    runs it on the CPU.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def CudaLinkKernels : Pass<"kiln-cuda-link-kernels", "ModuleOp"> {
  let summary = "Give hand-written GPU kernels' stand-ins their bodies";
  let description = [{
    `kiln-cuda-gemm` calls a stand-in for each tensor-core GEMM (a function
    on tensors marked `kiln.gpu_kernel`, returning an empty result), since
    buffer deallocation cannot analyse the kernel's launch. After
    deallocation, this pass replaces each stand-in's body by the kernel's
    host function on buffers (allocate the result on the device, launch)
    and adds its `gpu.module`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::NVVM::NVVMDialect"];
}

def GpuReductionsInnermost
    : Pass<"kiln-gpu-reductions-innermost", "func::FuncOp"> {
  let summary = "Interchange linalg.generic loops so reductions come last";
  let description = [{
    On a GPU each thread computes one point of the parallel iteration space
    and loops over the reduction dims itself. The shared lowering orders some
    contractions for the CPU (`(batch, m, k, n)`, so that `n` is the
    contiguous vector loop); this pass permutes every `linalg.generic` so that
    its parallel dims come first, in their original order, and its reduction
    dims last. After `convert-linalg-to-parallel-loops` each op is then one
    `scf.parallel` over all its parallel dims with `scf.for` reductions
    inside.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def GpuDeviceMemory : Pass<"kiln-gpu-device-memory", "func::FuncOp"> {
  let summary = "Put every buffer the host code creates in device memory";
  let description = [{
    Runs after bufferization, before buffer deallocation and before kernels
    are formed. Every `memref.alloc` becomes `gpu.alloc`, in
    managed memory (`host_shared`) when host code loads or stores its
    elements (the small shape tensors of dynamic-shape models); every
    `memref.copy` becomes a `linalg.copy`, which later becomes a
    kernel like any other loop nest; every `memref.get_global` (a small
    constant the weights file does not hold) is copied into a device buffer
    with `gpu.memcpy`. A linalg op
    without loops (0-d: scalar shape arithmetic) stays host code, so the
    buffers it reads and writes are managed memory too. Function
    arguments are device buffers by contract (the runtime uploads inputs and
    weights); one that host code reads (a shape input) is first copied into
    managed memory.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::linalg::LinalgDialect"
  ];
}

def GpuDeviceDeallocs : Pass<"kiln-gpu-device-deallocs", "func::FuncOp"> {
  let summary = "Free device buffers with gpu.dealloc";
  let description = [{
    Runs after `bufferization-lower-deallocations`, whose bookkeeping
    buffers (`memref.alloc` on the host) stay host memory: a `memref.dealloc`
    of anything else (a `gpu.alloc` buffer, directly, through a view, or
    through a loop or branch result) becomes `gpu.dealloc`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuLaunchParallelLoops
    : Pass<"kiln-gpu-launch-parallel-loops", "func::FuncOp"> {
  let summary = "Turn each outermost scf.parallel into a 1-D gpu.launch";
  let description = [{
    Each outermost `scf.parallel` (without reductions) becomes a `gpu.launch`
    of `ceil(N / block-size)` blocks of `block-size` threads, where `N` is
    the product of its trip counts. Thread `t` computes the linear index
    `blockIdx.x * blockDim.x + threadIdx.x`, returns if it is past `N`, and
    otherwise runs the body at the point that index delinearizes to, the last
    dim varying fastest, so consecutive threads touch consecutive elements
    (coalesced). The launch is skipped when `N` is 0. Parallel loops nested
    inside run sequentially in the thread. A host `scf.for` nest without
    parallel loops that touches device memory (a full reduction to a
    scalar, whose parallel loops were all unit-sized) becomes a
    single-thread launch. Fails, naming the op, on anything
    left on the host that reads or writes a buffer: that would touch device
    memory from the CPU.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GpuMergeModules : Pass<"kiln-gpu-merge-modules", "ModuleOp"> {
  let summary = "Gather every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts each kernel in a `gpu.module` of its own.
    This pass moves every kernel into the first one (renaming on clashes)
    and repoints the `gpu.launch_func` ops, so the model has a single PTX
    module: one `ptxas` run at compile time and one module load at run time.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuSyncManagedAllocs
    : Pass<"kiln-gpu-sync-managed-allocs", "func::FuncOp"> {
  let summary = "Allocate managed memory outside the stream";
  let description = [{
    Runs after `gpu-async-region`. Managed memory (`gpu.alloc host_shared`)
    is not stream-ordered, and `gpu-to-llvm` lowers it only synchronously:
    each async managed allocation becomes a wait for its dependencies, a
    synchronous allocation, and a fresh token for the ops that followed it.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuEmulateOnHost : Pass<"kiln-gpu-emulate-on-host", "func::FuncOp"> {
  let summary = "Run GPU launches as CPU loops (to test the GPU lowering)";
  let description = [{
    A testing aid for machines without a GPU: every `gpu.launch` becomes an
    `scf.parallel` over its blocks and threads with the same body (block
    and thread ids are the loop indices), and `gpu.alloc`/`gpu.dealloc`/
    `gpu.memcpy` become their `memref` counterparts. Compiled for the CPU
    (`kiln compile --target=cuda --gpu-emulate`), a model then runs the
    exact kernel code the GPU would run, so that the numerics of the GPU
    lowering can be checked against onnxruntime anywhere. Kernels that
    synchronize threads (barriers, shared memory) cannot be emulated this
    way and are rejected.
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"
  ];
}

#endif // KILN_BACKENDS_CUDA_PASSES_TD
