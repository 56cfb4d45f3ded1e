//===- X86Target.cpp - kiln's x86 CPU target ------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/x86/X86Target.h"
#include "backends/common/PipelineSteps.h"
#include "backends/common/ModelLibrary.h"
#include "backends/x86/Passes.h"
#include "passes/lowering/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace kiln::x86;

std::unique_ptr<X86Target> X86Target::create(const TargetConfig &config,
                                             bool forHost,
                                             std::string &error) {
  TargetOptions options;
  options.triple = forHost ? std::string() : config.triple;
  options.cpu = config.cpu;
  options.features = config.features;
  options.optLevel = std::min(config.optLevel, 3u);
  options.jobs = config.jobs;
  std::optional<TargetCpu> cpu = describeTarget(options, error);
  if (!cpu)
    return nullptr;
  return std::unique_ptr<X86Target>(new X86Target(options, std::move(*cpu)));
}

std::unique_ptr<kiln::Target>
kiln::x86::createX86Target(const TargetConfig &config, std::string &error) {
  return X86Target::create(config, /*forHost=*/false, error);
}

void X86Target::addKernelSelectionPasses(OpPassManager &pm) const {
  // Quantized matmuls have no generic lowering: without the quantized
  // GEMMs for the CPU they are refused when lowered.
  if (cpu.quantizedKernels) {
    tfm::X86QuantizedMatmulOptions quantized;
    quantized.isa = cpu.quantizedKernels->name;
    pm.addPass(tfm::createX86QuantizedMatmul(quantized));
  }
  // Without microkernels for the CPU, weight matmuls, attention and norms
  // take the generic lowering.
  if (!cpu.kernels)
    return;
  tfm::X86PackMatmulOptions gemm;
  gemm.isa = cpu.kernels->name;
  pm.addPass(tfm::createX86PackMatmul(gemm));
  tfm::X86AttentionOptions attention;
  attention.isa = cpu.kernels->name;
  pm.addPass(tfm::createX86Attention(attention));
  tfm::X86LinearAttentionOptions linearAttention;
  linearAttention.isa = cpu.kernels->name;
  pm.addPass(tfm::createX86LinearAttention(linearAttention));
  tfm::X86NormsOptions norms;
  norms.isa = cpu.kernels->name;
  pm.addPass(tfm::createX86Norms(norms));
}

void X86Target::describeLibrary(ModelSignature &signature) const {
  signature.requiredFeatures = cpu.required;
}

void X86Target::addToLinalgPasses(OpPassManager &pm) const {
  tfm::buildTfmToLinalgPipeline(pm, tfm::TfmToLinalgPipelineOptions());
}

void X86Target::addLoweringPasses(OpPassManager &pm) const {
  buildX86Pipeline(pm);
}

LogicalResult X86Target::optimize(llvm::Module &module,
                                  std::string &error) const {
  return optimizeModule(module, options, error);
}

LogicalResult X86Target::emitObject(llvm::Module &module,
                                    SmallVectorImpl<char> &object,
                                    std::string &error) const {
  return x86::emitObject(module, options, object, error);
}

LogicalResult X86Target::linkLibrary(StringRef objectPath,
                                     StringRef runtimeArchive,
                                     StringRef outputPath,
                                     std::string &error) const {
  return linkSharedLibrary(objectPath, runtimeArchive, outputPath, error);
}

void kiln::x86::buildX86Pipeline(OpPassManager &pm) {
  // Every result gets a buffer of its own (the runtime hands each output
  // to the caller), copied only where it must be; deallocation is planned
  // on the bufferized IR.
  pm.addNestedPass<func::FuncOp>(tfm::createKilnOwnResults());
  pm.addPass(createOneShotBufferizePass());
  pm.addNestedPass<func::FuncOp>(tfm::createKilnElideResultCopies());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  buildLowerToLLVMPipeline(pm);
}

void kiln::x86::buildLowerToLLVMPipeline(OpPassManager &pm) {
  // Run-time checks call the runtime's kiln_rt_check_failed. Parallel
  // loops become OpenMP work-sharing loops, each outlined into a function
  // of its own first (compile time) and given a team of one when too
  // small; what is left of a long function is cut into functions of
  // bounded size (compile time again); everything else the standard conversions
  // to the LLVM dialect. convert-scf-to-openmp wraps bodies in alloca scopes
  // that canonicalize must remove before scf-to-cf; expand-strided-metadata
  // creates affine.apply ops, so it goes before lower-affine. Allocations call
  // the runtime's scratch allocator (use-generic-functions:
  // _mlir_memref_to_llvm_alloc/free).
  pm.addPass(tfm::createKilnLowerRuntimeChecks());
  OpPassManager &loops = pm.nest<func::FuncOp>();
  loops.addPass(createConvertLinalgToParallelLoopsPass());
  loops.addPass(tfm::createX86SerializeNestedParallel());
  loops.addPass(tfm::createX86ApproximateMath());
  loops.addPass(createCanonicalizerPass());
  // Layers' loops merge first, so that the layers' segments (calling them)
  // are cut alike and merge too.
  pm.addPass(tfm::createX86OutlineParallelLoops());
  pm.addPass(tfm::createX86MergeIdenticalFunctions());
  pm.addPass(tfm::createX86OutlineSegments());
  pm.addPass(tfm::createX86MergeIdenticalFunctions());
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(tfm::createX86ParallelThreshold());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Without rollback: with it the conversion driver records every op each
  // block split moves, quadratic in a function's length (SmolLM2: 1.4 GB
  // and most of this pass's 30 s).
  SCFToControlFlowPassOptions scfToCf;
  scfToCf.allowPatternRollback = false;
  pm.addPass(createSCFToControlFlowPass(scfToCf));
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  addFinalLLVMConversions(pm, /*openmp=*/true);
}

void kiln::x86::registerX86Pipeline() {
  PassPipelineRegistration<>(
      "kiln-x86-pipeline",
      "kiln's x86 lowering: linalg on tensors (--emit=linalg) to the LLVM "
      "dialect (bufferization, OpenMP loops, run-time checks)",
      buildX86Pipeline);
}
