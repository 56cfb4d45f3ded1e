//===- Bufferize.h - bufferization as every kiln backend runs it -*- C++
//-*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_COMMON_BUFFERIZE_H
#define KILN_BACKENDS_COMMON_BUFFERIZE_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace kiln {

/// One-Shot Bufferize with the options every backend uses: across function
/// boundaries with identity layouts (the C interface passes plain
/// descriptors), allocations returned from loops allowed (attention's
/// key-block loop carries its accumulators).
std::unique_ptr<mlir::Pass> createOneShotBufferizePass();

} // namespace kiln

#endif // KILN_BACKENDS_COMMON_BUFFERIZE_H
