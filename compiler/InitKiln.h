//===- InitKiln.h - register kiln's dialects and passes ---------*- C++ -*-===//
//
// Part of kiln. One place that lists what kiln registers, so that kiln-opt
// and the compiler library accept the same IR, and kiln-opt can replay
// every pass and pipeline the compiler runs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_INITKILN_H
#define KILN_COMPILER_INITKILN_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// Adds `tfm` and the upstream dialects kiln lowers through (func, arith,
/// math, tensor, linalg, scf, vector, x86vector, amx, memref, bufferization,
/// gpu, nvvm, llvm, quant, transform) with their interface extensions.
void registerKilnDialects(mlir::DialectRegistry &registry);

/// Registers kiln's passes and pipelines (the targets' kiln-x86-pipeline and
/// kiln-cuda-pipeline among them) and the upstream passes, so that any
/// stage of kiln's pipelines can be replayed from kiln-opt.
void registerKilnPasses();

} // namespace kiln

#endif // KILN_COMPILER_INITKILN_H
