//===- Passes.td - x86 backend passes ----------------------*- tablegen -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_PASSES_TD
#define KILN_BACKENDS_X86_PASSES_TD

include "mlir/Pass/PassBase.td"

def X86PackMatmul : Pass<"kiln-x86-pack-matmul", "ModuleOp"> {
  let summary = "Pre-pack matmul weights and call the AVX-512 GEMM kernel";
  let description = [{
    Every f32 `tfm.matmul` whose right-hand side is a 2-D weight constant
    (`[K, N]`, or `[N, K]` with `transpose_rhs`) is rewritten, before
    lowering, into a call of `@kiln_sgemm_packed`: the weight is packed at
    compile time into `[ceil(N/32), K, 32]` panels (zero padded), the left
    operand is flattened to `[M, K]`, and the epilogue (bias, activation,
    residual) stays as tfm elementwise ops on the result. The kernel, added
    to the module once, computes 8x32 register tiles with `vector.fma` over
    `vector<16xf32>` (two AVX-512 registers per row), parallel over row and
    column blocks (`scf.parallel`, OpenMP after lowering), with masked stores
    for the ragged edges, so M (batch x sequence) stays dynamic.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
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
