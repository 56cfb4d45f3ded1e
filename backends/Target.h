//===- Target.h - what a kiln backend provides ------------------*- C++ -*-===//
//
// Part of kiln. One interface that each backend (x86, cuda) implements, so
// that the compiler asks the target what to run instead of branching on
// it: which tfm-level passes pick the target's kernels, how tfm is lowered
// to linalg, the pipeline from linalg to the LLVM dialect (registered for
// kiln-opt as kiln-x86-pipeline / kiln-cuda-pipeline), and how the host
// code is optimized, emitted and linked into a model library.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_TARGET_H
#define KILN_BACKENDS_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace kiln {

struct ModelSignature;

/// What the user asked of the target (the `kiln compile` flags of the same
/// names).
struct TargetConfig {
  /// "" (the host), an x86_64 triple, or "cuda" / an nvptx triple.
  std::string triple;
  /// The CPU the code (for a GPU: its host code) runs on; "native": the
  /// host CPU and its features.
  std::string cpu = "native";
  /// Extra -mattr style features, e.g. "+avx512f,-amx-tile".
  std::string features;
  unsigned optLevel = 3; ///< LLVM optimization level, 0..3.
  /// Threads for LLVM's optimization and code generation of the host
  /// code: 0 picks one per hardware thread for large modules; N >= 2
  /// always splits the module into N partitions; 1 never does.
  unsigned jobs = 0;
  /// Matmul precision: "fp32", or (cuda) "bf16" / "fp16" on tensor cores.
  std::string precision = "fp32";
  /// cuda: the GPU architecture, the toolkit that assembles cubins, and
  /// whether to run the GPU kernels' code on the host instead.
  std::string gpuArch = "sm_80";
  std::string cudaPath = "/usr/local/cuda";
  bool gpuEmulate = false;
};

/// A backend, configured for one compile.
class Target {
public:
  virtual ~Target() = default;

  /// "x86" or "cuda".
  virtual llvm::StringRef getName() const = 0;

  /// tfm-level passes that hand ops to the target's kernels (weight
  /// matmuls to its GEMM with packed weights, attention, norms). They run
  /// on the whole module before weights become arguments.
  virtual void addKernelSelectionPasses(mlir::OpPassManager &pm) const = 0;

  /// Records in the signature where the library runs and what it needs
  /// (the device, the CPU features it was compiled for).
  virtual void describeLibrary(ModelSignature &signature) const = 0;

  /// tfm to linalg/tensor on tensors (what `--emit=linalg` prints).
  virtual void addToLinalgPasses(mlir::OpPassManager &pm) const = 0;

  /// Linalg on tensors to the LLVM dialect: the pipeline kiln-opt replays
  /// as kiln-<name>-pipeline.
  virtual void addLoweringPasses(mlir::OpPassManager &pm) const = 0;

  /// Whether addKernelSelectionPasses lowers tfm.quantized_matmul (there
  /// is no generic lowering of it); `--quantize` needs it.
  virtual bool hasQuantizedKernels() const { return false; }

  /// Whether addKernelSelectionPasses lowers tfm.linear_attention (there is
  /// no generic lowering of it); the linear-attention rewrite runs only for
  /// targets that have it.
  virtual bool hasLinearAttentionKernels() const { return false; }

  /// Whether the target has kernels of its own to print (`--emit=ptx`).
  virtual bool hasKernelAssembly() const { return false; }
  /// Linalg on tensors to serialized kernel assembly; then
  /// collectKernelAssembly returns it.
  virtual void addKernelAssemblyPasses(mlir::OpPassManager &pm) const {}
  virtual mlir::FailureOr<std::string>
  collectKernelAssembly(mlir::ModuleOp module) const {
    return module.emitError("target ") << getName() << " has no kernels";
  }

  /// Optimizes the LLVM IR of the library's CPU code (for `--emit=llvm`).
  virtual mlir::LogicalResult optimize(llvm::Module &module,
                                       std::string &error) const = 0;
  /// Optimizes the module and emits an ELF object of it.
  virtual mlir::LogicalResult emitObject(llvm::Module &module,
                                         llvm::SmallVectorImpl<char> &object,
                                         std::string &error) const = 0;
  /// Links `objectPath` with the runtime archive into the shared library
  /// `outputPath`.
  virtual mlir::LogicalResult linkLibrary(llvm::StringRef objectPath,
                                          llvm::StringRef runtimeArchive,
                                          llvm::StringRef outputPath,
                                          std::string &error) const = 0;
};

/// The target `config.triple` names, checked and configured (CPU features
/// resolved, precision and GPU architecture validated); null with `error`
/// set when the configuration is not supported.
std::unique_ptr<Target> createTarget(const TargetConfig &config,
                                     std::string &error);

/// Registers every target's lowering pipeline for kiln-opt.
void registerTargetPipelines();

} // namespace kiln

#endif // KILN_BACKENDS_TARGET_H
