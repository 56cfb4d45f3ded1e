//===- Passes.td - lowering passes -------------------------*- tablegen -*-===//
//
// Part of kiln. The target-independent lowering from tfm to upstream
// dialects, shared by the x86 and CUDA backends.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_LOWERING_PASSES_TD
#define KILN_PASSES_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmToLinalg : Pass<"tfm-to-linalg", "func::FuncOp"> {
  let summary = "Lower tfm ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Elementwise ops, reductions, contractions (matmul, attention, conv) and
    gathers become `linalg` ops with NumPy broadcasting in their indexing
    maps; data movement becomes `tensor` ops. Dynamic dims are read with
    `tensor.dim`. An op the lowering does not support yet is reported by
    name. What is only known at run time is checked then
    (`tfm.runtime_check`): broadcasts of dynamic dims and, with
    `check-indices`, gather, embedding and scatter indices (one serial pass
    over them for their least and greatest; the CUDA backend turns it off,
    as the indices live on the device).
  }];
  let options = [
    Option<"checkIndices", "check-indices", "bool", "true",
           "Check at run time that gather, embedding and scatter "
           "indices are in range">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def KilnExternalizeWeights : Pass<"kiln-externalize-weights", "ModuleOp"> {
  let summary = "Turn weight constants into function arguments";
  let description = [{
    Every `tfm.constant` holding a `dense_resource` blob or more than
    `min-elements` elements becomes a trailing argument of its function,
    with the value kept in the argument's `tfm.weight` attribute. The model
    library receives weights this way from its memory-mapped weights file, so
    compiled code never embeds them (compile memory stays near one copy of
    the weights, and models over 2 GB need no large code model).
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", "1024",
           "Constants with at least this many elements become arguments">
  ];
}

def KilnOwnResults : Pass<"kiln-own-results", "func::FuncOp"> {
  let summary = "Give every function result a buffer of its own";
  let description = [{
    Copies each returned tensor into a fresh `bufferization.alloc_tensor`,
    so that after bufferization every result is a new allocation the caller
    owns, never an argument, a constant or a view of either. Marks every
    tensor argument `bufferization.writable = false`: inputs and weights
    belong to the caller, so an op updating one (a scatter into its data
    input) works on a copy.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def KilnElideResultCopies : Pass<"kiln-elide-result-copies", "func::FuncOp"> {
  let summary = "Return the buffer a result was computed in, not a copy";
  let description = [{
    Runs on bufferized IR, before deallocation is planned. kiln-own-results
    copies every result into a fresh buffer, which is only needed when the
    value might be an argument, a constant or a view of one. Where the
    returned `memref.alloc` is filled by exactly one `memref.copy` from
    another `memref.alloc` of the same type and alignment, in the return's
    block, and nothing uses that source (or a view of it) after the copy,
    the source is returned instead and the copy and its buffer go (a
    decoder's step returned every KV cache twice over: once concatenated,
    once copied).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def KilnLowerRuntimeChecks : Pass<"kiln-lower-runtime-checks", "ModuleOp"> {
  let summary = "Lower tfm.runtime_check to a call of the runtime";
  let description = [{
    Each `tfm.runtime_check` becomes a branch that, when its condition is
    false, calls the runtime's `kiln_rt_check_failed(format, a, b)` with its
    message as a printf format in a private global (`{0}`, `{1}` become
    `%lld`) and its values as i64. The runtime ends the run there and
    `kiln_model_run` returns the message (runtime/run_guard.c). Runs on
    buffers or tensors, before the conversion of scf to cf.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect"
  ];
}

#endif // KILN_PASSES_LOWERING_PASSES_TD
