//===- TargetRegistry.cpp - the targets kiln compiles for -----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/Target.h"
#include "backends/cuda/CudaTarget.h"
#include "backends/x86/X86Target.h"

using namespace mlir;

/// Whether `triple` names an NVIDIA GPU.
static bool isCudaTriple(llvm::StringRef triple) {
  return triple == "cuda" || triple.starts_with("nvptx");
}

std::unique_ptr<kiln::Target> kiln::createTarget(const TargetConfig &config,
                                                 std::string &error) {
  bool cuda = isCudaTriple(config.triple);
  if (!cuda && !config.triple.empty() &&
      !llvm::StringRef(config.triple).starts_with("x86_64")) {
    error = "target '" + config.triple +
            "' is not supported: kiln generates code for x86_64 CPUs and "
            "for NVIDIA GPUs (--target=cuda)";
    return nullptr;
  }
  const std::string &precision = config.precision;
  if (precision != "fp32" && precision != "bf16" && precision != "fp16") {
    error = "--precision=" + precision +
            " is not supported; use fp32, bf16 or fp16";
    return nullptr;
  }
  if (cuda)
    return cuda::createCudaTarget(config, error);
  if (precision != "fp32") {
    error = "--precision=" + precision +
            " needs --target=cuda (the CPU computes in fp32)";
    return nullptr;
  }
  return x86::createX86Target(config, error);
}

void kiln::registerTargetPipelines() {
  x86::registerX86Pipeline();
  cuda::registerCudaPipeline();
}
