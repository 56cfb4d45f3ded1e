//===- X86Target.h - kiln's x86 CPU target ----------------------*- C++ -*-===//
//
// Part of kiln. The x86 implementation of backends/Target.h: microkernels
// picked by the CPU's features, linalg bufferized and lowered to loops
// (parallel ones on OpenMP), LLVM's x86 code generation and LLD. The CUDA
// target uses it for its host code.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_X86TARGET_H
#define KILN_BACKENDS_X86_X86TARGET_H

#include "backends/Target.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/X86Backend.h"

namespace kiln::x86 {

class X86Target : public Target {
public:
  /// For `config`'s CPU, features and optimization level, and its triple
  /// (the host's when empty, or `forHost`: the host code of a device
  /// target), checked: null with `error` set on an unknown CPU or feature.
  static std::unique_ptr<X86Target> create(const TargetConfig &config,
                                           bool forHost, std::string &error);

  llvm::StringRef getName() const override { return "x86"; }
  void addKernelSelectionPasses(mlir::OpPassManager &pm) const override;
  bool hasQuantizedKernels() const override {
    return cpu.quantizedKernels.has_value();
  }
  bool hasLinearAttentionKernels() const override {
    return cpu.kernels.has_value();
  }
  void describeLibrary(ModelSignature &signature) const override;
  void addToLinalgPasses(mlir::OpPassManager &pm) const override;
  void addLoweringPasses(mlir::OpPassManager &pm) const override;
  mlir::LogicalResult optimize(llvm::Module &module,
                               std::string &error) const override;
  mlir::LogicalResult emitObject(llvm::Module &module,
                                 llvm::SmallVectorImpl<char> &object,
                                 std::string &error) const override;
  mlir::LogicalResult linkLibrary(llvm::StringRef objectPath,
                                  llvm::StringRef runtimeArchive,
                                  llvm::StringRef outputPath,
                                  std::string &error) const override;

  /// The CPU the code is compiled for, its features resolved.
  const TargetCpu &getCpu() const { return cpu; }

private:
  X86Target(TargetOptions options, TargetCpu cpu)
      : options(std::move(options)), cpu(std::move(cpu)) {}

  TargetOptions options;
  TargetCpu cpu;
};

/// The x86 target for `config` (createTarget's x86 half).
std::unique_ptr<Target> createX86Target(const TargetConfig &config,
                                        std::string &error);

/// Linalg on tensors to the LLVM dialect for the CPU: bufferization and
/// deallocation, then buildLowerToLLVMPipeline (kiln-x86-pipeline).
void buildX86Pipeline(mlir::OpPassManager &pm);

/// Bufferized linalg to the LLVM dialect: loops, parallel ones outlined
/// and run on OpenMP, run-time checks, the LLVM conversions. (The CUDA
/// target's --gpu-emulate variant ends with it too.)
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers kiln-x86-pipeline.
void registerX86Pipeline();

} // namespace kiln::x86

#endif // KILN_BACKENDS_X86_X86TARGET_H
