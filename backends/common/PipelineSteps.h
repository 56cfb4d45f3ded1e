//===- PipelineSteps.h - steps every backend's pipeline shares --*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_COMMON_PIPELINESTEPS_H
#define KILN_BACKENDS_COMMON_PIPELINESTEPS_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace kiln {

/// One-Shot Bufferize with the options every backend uses: across function
/// boundaries with identity layouts (the C interface passes plain
/// descriptors), allocations returned from loops allowed (attention's
/// key-block loop carries its accumulators).
std::unique_ptr<mlir::Pass> createOneShotBufferizePass();

/// The last conversions to the LLVM dialect of code whose loops are already
/// branches: memrefs (allocations through the runtime's scratch allocator,
/// `use-generic-functions`), arith, index, cf, func, OpenMP (`openmp`),
/// then the casts reconciled.
void addFinalLLVMConversions(mlir::OpPassManager &pm, bool openmp);

} // namespace kiln

#endif // KILN_BACKENDS_COMMON_PIPELINESTEPS_H
