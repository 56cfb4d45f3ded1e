//===- KernelIsa.cpp - which microkernels a target CPU gets ---------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/x86/KernelIsa.h"
#include "backends/x86/X86Backend.h"
#include "runtime/ukernels/ukernels.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace kiln::x86;

std::optional<KernelIsa> kiln::x86::kernelIsaNamed(llvm::StringRef name) {
  if (name == "avx512")
    return KernelIsa{"avx512", KILN_UK_PANEL_AVX512};
  if (name == "avx2")
    return KernelIsa{"avx2", KILN_UK_PANEL_AVX2};
  return std::nullopt;
}

std::optional<KernelIsa>
kiln::x86::quantizedKernelIsaNamed(llvm::StringRef name) {
  if (name == "amx")
    return KernelIsa{"amx", KILN_UK_PANEL_AVX512};
  if (name == "avx512vnni")
    return KernelIsa{"avx512vnni", KILN_UK_PANEL_AVX512};
  if (name == "avx2")
    return KernelIsa{"avx2", KILN_UK_PANEL_AVX2};
  return std::nullopt;
}

std::optional<KernelIsa> kiln::x86::kernelIsaOption(mlir::ModuleOp module,
                                                    llvm::StringRef pass,
                                                    llvm::StringRef isa) {
  std::optional<KernelIsa> variant = kernelIsaNamed(isa);
  if (!variant)
    module.emitError() << pass << ": unknown isa '" << isa
                       << "' (avx512 or avx2)";
  return variant;
}

std::optional<TargetCpu> kiln::x86::describeTarget(const TargetOptions &options,
                                                   std::string &error) {
  llvm::InitializeNativeTarget();
  std::string triple = options.triple.empty()
                           ? llvm::sys::getDefaultTargetTriple()
                           : options.triple;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return std::nullopt;
  TargetCpu result;
  result.cpu = options.cpu;
  result.features = options.features;
  if (result.cpu == "native") {
    result.cpu = llvm::sys::getHostCPUName().str();
    std::string host;
    for (auto &feature : llvm::sys::getHostCPUFeatures())
      host += (feature.second ? "+" : "-") + feature.first().str() + ",";
    result.features = host + result.features;
  }
  // Names LLVM does not know would only get a warning from it, then a fatal
  // error in code generation: check them first.
  std::unique_ptr<llvm::MCSubtargetInfo> base(
      target->createMCSubtargetInfo(llvm::Triple(triple), "", ""));
  if (base && !result.cpu.empty() && !base->isCPUStringValid(result.cpu)) {
    error = "unknown target CPU '" + result.cpu +
            "' (--mcpu: native, or an LLVM CPU name such as x86-64-v3, "
            "skylake-avx512, icelake-server, sapphirerapids)";
    return std::nullopt;
  }
  if (base) {
    llvm::SmallVector<llvm::StringRef> requested;
    llvm::StringRef(options.features).split(requested, ',', -1, false);
    for (llvm::StringRef feature : requested) {
      llvm::StringRef name = feature.ltrim("+-");
      if (!llvm::any_of(base->getAllProcessorFeatures(),
                        [&](const llvm::SubtargetFeatureKV &kv) {
                          return name == kv.Key;
                        })) {
        error = "unknown target feature '" + feature.str() +
                "' (--mattr takes LLVM feature names, e.g. +avx2,-avx512f)";
        return std::nullopt;
      }
    }
  }
  std::unique_ptr<llvm::MCSubtargetInfo> info(target->createMCSubtargetInfo(
      llvm::Triple(triple), result.cpu, result.features));
  if (!info) {
    error = "unknown target CPU '" + result.cpu + "'";
    return std::nullopt;
  }
  auto has = [&](llvm::StringRef feature) {
    return info->checkFeatures(("+" + feature).str());
  };
  // The features the runtime can check (ukernels/cpu_features.c), LLVM's
  // spelling.
  static const char *const checkable[] = {
      "sse4.2",     "avx",        "avx2",       "fma",      "f16c",
      "bmi2",       "avx512f",    "avx512vl",   "avx512bw", "avx512dq",
      "avx512cd",   "avx512vnni", "avx512bf16", "avx512fp16", "avxvnni",
      "amx-tile",   "amx-bf16",   "amx-int8"};
  for (const char *feature : checkable)
    if (has(feature))
      result.required.push_back(feature);
  if (has("avx512f"))
    result.kernels = kernelIsaNamed("avx512");
  else if (has("avx2") && has("fma"))
    result.kernels = kernelIsaNamed("avx2");
  bool vnni = has("avx512f") && has("avx512bw") && has("avx512vl") &&
              has("avx512vnni") && has("fma");
  if (vnni && has("amx-tile") && has("amx-int8"))
    result.quantizedKernels = quantizedKernelIsaNamed("amx");
  else if (vnni)
    result.quantizedKernels = quantizedKernelIsaNamed("avx512vnni");
  else if (has("avx2") && has("fma") && has("f16c"))
    result.quantizedKernels = quantizedKernelIsaNamed("avx2");
  return result;
}
