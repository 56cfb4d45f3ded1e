//===- X86Backend.h - x86 code generation and linking -----------*- C++ -*-===//
//
// Part of kiln. Compiles LLVM IR to an x86 object and links it with kiln's
// runtime into a model library with LLD, in process: no compiler or linker
// needs to be installed where kiln runs. (The pipeline to LLVM is
// X86Target's.)
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_X86BACKEND_H
#define KILN_BACKENDS_X86_X86BACKEND_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace kiln::x86 {

struct TargetOptions {
  std::string triple;          ///< Empty: the host's.
  std::string cpu = "native";  ///< "native": the host CPU.
  std::string features;        ///< Extra -mattr style features.
  unsigned optLevel = 3;       ///< 0..3.
  /// Threads for LLVM's optimization and code generation, a partition of
  /// the module each: 0 one per hardware thread for modules of at least
  /// `splitInstructions` LLVM instructions (smaller ones whole); N >= 2
  /// always N; 1 never splits.
  unsigned jobs = 0;
  size_t splitInstructions = 200000;
};

/// Optimizes `module` for the target and emits an ELF object into `object`
/// (a large module in partitions on several threads, merged into one
/// relocatable object).
mlir::LogicalResult emitObject(llvm::Module &module,
                               const TargetOptions &options,
                               llvm::SmallVectorImpl<char> &object,
                               std::string &error);

/// Optimizes `module` for the target without emitting code (for
/// `--emit=llvm`).
mlir::LogicalResult optimizeModule(llvm::Module &module,
                                   const TargetOptions &options,
                                   std::string &error);

/// Links `objectPath` with the runtime archive into the shared library
/// `outputPath`, with LLD in process.
mlir::LogicalResult linkSharedLibrary(llvm::StringRef objectPath,
                                      llvm::StringRef runtimeArchive,
                                      llvm::StringRef outputPath,
                                      std::string &error);

} // namespace kiln::x86

#endif // KILN_BACKENDS_X86_X86BACKEND_H
