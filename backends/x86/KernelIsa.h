//===- KernelIsa.h - which microkernels a target CPU gets --------*- C++ -*-===//
//
// Part of kiln. The runtime's microkernels (runtime/ukernels) exist once per
// instruction set; the compiler picks one from the target's features and
// records the features the library needs in its manifest.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_KERNELISA_H
#define KILN_BACKENDS_X86_KERNELISA_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::x86 {

struct TargetOptions;

/// One instruction-set variant of the microkernels.
struct KernelIsa {
  std::string name;   ///< The symbol suffix: "avx512" or "avx2".
  int64_t panelWidth; ///< Columns of a packed weight panel.
};

/// The variant called `name`, if there is one.
std::optional<KernelIsa> kernelIsaNamed(llvm::StringRef name);

/// The variant of the quantized GEMMs (qgemm, wgemm) called `name`:
/// "amx" (avx512vnni's, with qgemm on AMX-INT8 tiles), "avx512vnni" or
/// "avx2".
std::optional<KernelIsa> quantizedKernelIsaNamed(llvm::StringRef name);

/// A kernel pass's `isa` option as a variant, or nullopt after an error on
/// `module` naming the pass.
std::optional<KernelIsa> kernelIsaOption(mlir::ModuleOp module,
                                         llvm::StringRef pass,
                                         llvm::StringRef isa);

/// What the compiler knows of its target CPU.
struct TargetCpu {
  std::string cpu;      ///< LLVM's CPU name ("native" resolved).
  std::string features; ///< The -mattr string the code is compiled with.
  /// The features among those kiln_cpu_missing_feature checks that the
  /// target has, in a fixed order: what a library records in `requires`.
  std::vector<std::string> required;
  /// The best microkernels the target runs, or none (then weight matmuls
  /// and attention take the generic lowering).
  std::optional<KernelIsa> kernels;
  /// The best quantized GEMMs it runs, or none (then tfm.quantized_matmul
  /// cannot be compiled for it).
  std::optional<KernelIsa> quantizedKernels;
};

/// Resolves `options` (triple, cpu, features; "native" for the host).
/// Fails with `error` set when the target is unknown.
std::optional<TargetCpu> describeTarget(const TargetOptions &options,
                                        std::string &error);

} // namespace kiln::x86

#endif // KILN_BACKENDS_X86_KERNELISA_H
