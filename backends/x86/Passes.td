//===- Passes.td - x86 backend passes ----------------------*- tablegen -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_PASSES_TD
#define KILN_BACKENDS_X86_PASSES_TD

include "mlir/Pass/PassBase.td"

def X86PackMatmul : Pass<"kiln-x86-pack-matmul", "ModuleOp"> {
  let summary = "Pre-pack matmul weights and call the GEMM microkernel";
  let description = [{
    Every f32 `tfm.matmul` whose right-hand side is a 2-D weight constant
    (`[K, N]`, or `[N, K]` with `transpose_rhs`) is rewritten, before
    lowering, into a call of a wrapper `@kiln_sgemm_<isa>[_bias][_res][_actN]`:
    the weight is packed at compile time into `[ceil(N/NR), K, NR]` panels
    (zero padded; NR is 32 for avx512, 16 for avx2) and the left operand is
    flattened to `[M, K]`. The wrapper runs an `scf.parallel` loop (OpenMP
    after lowering) over blocks of 256 rows and groups of panels, each
    iteration one call of the runtime's microkernel `kiln_uk_sgemm_<isa>`
    (runtime/ukernels/sgemm.c) on raw pointers; M stays dynamic.

    The epilogue runs in the microkernel while the C tile is in registers:
    a bias of shape `[N]`, the activation, and a residual of the result's
    type. When the residual's dims are dynamic it could still broadcast at
    run time, so the call is guarded by `scf.if` on its row count, with an
    unfused call and a `tfm.add` otherwise. Epilogues of other shapes stay
    tfm elementwise ops.

    A patch-embedding `tfm.conv` (ViT: stride equal to the kernel, no
    padding or dilation, one group, static image size) is first rewritten
    into such a weight matmul on the image cut into patches (reshape and
    transpose to `[N * patches, C * kh * kw]`), and the result transposed
    back to `[N, M, Ph, Pw]`.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"avx512\"",
           "Microkernel instruction set: avx512 or avx2">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def X86LinearAttention : Pass<"kiln-x86-linear-attention", "ModuleOp"> {
  let summary = "Run tfm.linear_attention on the chunked linear-attention "
                "microkernel";
  let description = [{
    Every f32 `tfm.linear_attention` becomes a call of a wrapper
    `@kiln_linear_attention_<isa>[_gate3|_gate4][_state]`, which runs an
    `scf.parallel` loop over (batch, head) work items, each one call of the
    runtime's `kiln_uk_linear_attention_<isa>`
    (runtime/ukernels/linear_attention.c): the whole sequence in chunks of
    `chunk_size` tokens with an fp32 state, O(T) time and O(chunk^2 + dk dv)
    memory. The feature map, decay, normalisation, scale and epsilon are
    arguments; the per-head log decays a constant. There is no generic
    lowering: a target without this pass refuses the op.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"avx512\"",
           "Microkernel instruction set: avx512 or avx2">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def X86Attention : Pass<"kiln-x86-attention", "ModuleOp"> {
  let summary = "Run tfm.attention on the flash-attention microkernel";
  let description = [{
    Every f32 `tfm.attention` with static head counts and head dims of at
    most 512 becomes a call of a wrapper
    `@kiln_attention_<isa>_<mask>[_causal]`, which runs an `scf.parallel`
    loop over work items (batch x query head x blocks of 32 query rows),
    each one call of the runtime's `kiln_uk_attention_<isa>`
    (runtime/ukernels/attention.c): key blocks with an online softmax,
    vectorized exp, scores and P x V as register-tiled products. The mask
    (float: added; i1: keep) is brought to rank 4 and passed with its
    strides, 0 along the dims it broadcasts. Other attentions keep the
    generic lowering of tfm-to-linalg.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"avx512\"",
           "Microkernel instruction set: avx512 or avx2">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def X86QuantizedMatmul : Pass<"kiln-x86-quantized-matmul", "ModuleOp"> {
  let summary = "Pack quantized weights and call the quantized GEMM microkernels";
  let description = [{
    Every f32 `tfm.quantized_matmul` with constant weight, scale and zero
    point becomes a call of a wrapper, its weight packed at compile time
    the way runtime/ukernels/ukernels.h describes:

    - `lhs per_token`: `@kiln_qgemm_<isa>[_bias][_res][_actN][_outliers]`
      quantizes the rows of A (`kiln_uk_quantize_rows_<isa>`, parallel
      over blocks of 32 rows), then runs `kiln_uk_qgemm_<isa>` over blocks
      of 256 rows and groups of panels; with `outlier_threshold` it first
      finds the outlier columns of this run (`kiln_uk_find_outliers`). The
      packed codes come with each channel's code sum (the VNNI kernel's
      +128 compensation) and scale.
    - `lhs none`: `@kiln_wgemm_<isa>_w<bits>_g<group>[_h][...]` calls
      `kiln_uk_wgemm_<isa>` per block of 256 rows and panel, with each
      group's scales then offsets (the `offset` operand, or -zero_point *
      scale) laid out per panel: as IEEE halves (`_h`) when every value is
      0 or a normal half (as kiln's w4/w8 and GGUF's are), else f32.

    Bias `[N]`, the activation and a residual of the result's type are
    fused; a residual with dynamic dims is guarded by `scf.if` on its row
    count (it could broadcast at run time), as kiln-x86-pack-matmul does.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"avx512vnni\"",
           "Quantized microkernel instruction set: amx (AVX-512 VNNI plus "
           "the AMX-INT8 tile GEMM), avx512vnni or avx2">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def X86Norms : Pass<"kiln-x86-norms", "ModuleOp"> {
  let summary = "Run layer and RMS norms on the norm microkernel";
  let description = [{
    Every f32 `tfm.layer_norm` / `tfm.rms_norm` over the last dim (static,
    with `[N]` scale and bias) becomes a call of a wrapper
    `@kiln_{layer,rms}_norm_<isa>[_bias]` on the input flattened to
    `[rows, N]`: an `scf.parallel` loop over blocks of 16 rows, each one call
    of the runtime's `kiln_uk_norm_<isa>` (runtime/ukernels/norm.c), which
    reads each row once and vectorizes the mean, variance and output. Other
    norms keep the generic lowering.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"avx512\"",
           "Microkernel instruction set: avx512 or avx2">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def X86OutlineParallelLoops
    : Pass<"kiln-outline-parallel-loops", "ModuleOp"> {
  let summary = "Move each outermost parallel loop into a function of its own";
  let description = [{
    In a function with several outermost `scf.parallel` loops (a model's
    `main_graph`, after bufferization), each loop moves into a private
    function `<name>_parallel_<N>` that takes what the loop uses from above
    as arguments (constants are cloned in) and returns the loop's results.
    OpenMP's outlining of a parallel region (LLVM's CodeExtractor, at
    translation to LLVM IR) scans the function holding the region; with one
    region per small function, compile time grows linearly with the model
    instead of quadratically.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def X86OutlineSegments : Pass<"kiln-outline-segments", "ModuleOp"> {
  let summary = "Split a long function body into functions of bounded size";
  let description = [{
    After kiln-outline-parallel-loops a model's `main_graph` still holds
    every layer's sequential glue (allocations, run-time checks, kernel
    calls, small loops): SmolLM2-135M's is one LLVM function of 115,000
    lines, and LLVM's register allocator, instruction scheduler and
    constraint elimination grow faster than linearly with a function's
    size. This pass cuts the entry block of every function holding more
    than `ops-per-function` operations (nested ones counted) into
    consecutive segments of about that many, each moved into a private
    `noinline` function `<name>_segment_<N>` that takes the values it uses
    from before (constants are cloned in) and returns the values used
    after it, and is called in its place. A segment whose results include
    a stack allocation (`memref.alloca`) stays inline: the allocation
    would not outlive the call; so does one returning more than
    `max-results` values (LLVM builds and takes apart the aggregate of
    results in one basic block, and schedules a block in quadratic time).

    Where the body repeats (a model's layers: the longest stretch made of
    copies of one run of operations, compared by kind, attributes and
    types, not by values), every copy is cut at the same places, or
    several short copies are taken together, so that the layers' segments
    are the same function and kiln-merge-identical-functions keeps one.

    Example (`ops-per-function=2`):
    ```mlir
    %a = memref.alloc(%n) : memref<?xf32>
    memref.store %x, %a[%i] : memref<?xf32>
    // becomes
    %a = call @graph_segment_0(%n, %x, %i) : (index, f32, index) -> memref<?xf32>
    ```
  }];
  let options = [
    Option<"opsPerFunction", "ops-per-function", "unsigned", "2000",
           "Operations (nested ones counted) per outlined segment">,
    Option<"maxResults", "max-results", "unsigned", "128",
           "Values a segment may return; a segment returning more stays inline">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def X86MergeIdenticalFunctions
    : Pass<"kiln-merge-identical-functions", "ModuleOp"> {
  let summary = "Keep one of each set of structurally identical private functions";
  let description = [{
    The outlining passes give every layer of a model its own copies of the
    same functions: SmolLM2-135M's 30 decoder layers outline 535 parallel
    loops with 18 distinct bodies. This pass finds private functions with
    the same type, attributes (but their name) and body (operations,
    attributes and types, locations ignored), keeps the first of each set
    and points every use of the others at it, then repeats: callers that
    differed only in which copy they called are now identical too. What
    reaches LLVM is the model's distinct code, not its depth.

    Example:
    ```mlir
    func.func private @f_0(%a: f32) -> f32 { %b = arith.addf %a, %a : f32  return %b : f32 }
    func.func private @f_1(%a: f32) -> f32 { %b = arith.addf %a, %a : f32  return %b : f32 }
    // @f_1 is erased and `call @f_1` becomes `call @f_0`.
    ```
  }];
}

def X86ApproximateMath : Pass<"kiln-approximate-math", "func::FuncOp"> {
  let summary = "Inline polynomial approximations of exp, erf, tanh, log, ...";
  let description = [{
    The math ops left after the microkernels (softmax outside attention,
    GELU or SiLU not fused into a GEMM, norms' reductions feeding exp or
    log) become MLIR's f32 polynomial approximations (upstream
    `populateMathPolynomialApproximationPatterns`) instead of libm calls,
    so that LLVM vectorizes the loops around them. sin and cos stay libm
    calls: their range reduction only holds for small arguments and rotary
    angles are large.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def X86ParallelThreshold : Pass<"kiln-parallel-threshold", "ModuleOp"> {
  let summary = "Run small OpenMP regions on the calling thread";
  let description = [{
    A fork/join of the OpenMP team costs microseconds; a decoder step runs
    hundreds of loops over a few hundred elements each. Every `omp.parallel`
    (from convert-scf-to-openmp) gets `num_threads(enough ?
    omp_get_max_threads() : 1)`, `enough` being true when its loop nest has
    at least `min-work / ops` iterations at run time, `ops` the operations
    of one iteration; a nest whose iterations run loops or calls (a
    microkernel) needs only two. A region that statically has enough keeps
    the default team. A team of one runs serially in the calling thread.
    (An `if` clause would say the same, but Debian's libomp 14 lacks the
    `__kmpc_fork_call_if` it lowers to.)
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "32768",
           "Operations a region must run to be parallel">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::omp::OpenMPDialect"];
}

def X86SerializeNestedParallel
    : Pass<"kiln-serialize-nested-parallel", "func::FuncOp"> {
  let summary = "Run parallel loops nested in parallel loops sequentially";
  let description = [{
    Only the outermost `scf.parallel` of a nest becomes an OpenMP work-sharing
    loop; a parallel loop inside it (as `convert-linalg-to-parallel-loops`
    leaves below a reduction loop) would otherwise open a new parallel region
    on every iteration. Such nested loops become `scf.for` nests, whose
    innermost loop LLVM then vectorizes.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

#endif // KILN_BACKENDS_X86_PASSES_TD
