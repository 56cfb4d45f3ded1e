//===- Bufferize.cpp - bufferization as every kiln backend runs it --------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/common/Bufferize.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

std::unique_ptr<mlir::Pass> kiln::createOneShotBufferizePass() {
  mlir::bufferization::OneShotBufferizePassOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.allowReturnAllocsFromLoops = true;
  options.functionBoundaryTypeConversion =
      mlir::bufferization::LayoutMapOption::IdentityLayoutMap;
  return mlir::bufferization::createOneShotBufferizePass(options);
}
