//===- MlirFrontend.h - tfm IR as a model -----------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_MLIR_MLIRFRONTEND_H
#define KILN_FRONTENDS_MLIR_MLIRFRONTEND_H

#include "frontends/Frontend.h"

namespace kiln::mlir_import {

/// Reads a `.mlir` file holding a module in the tfm dialect (what `kiln
/// compile --emit=import` or `--emit=tfm` writes, or IR written by hand)
/// with its entry `@main_graph`: the model is the IR, unchanged. Inputs
/// without a `tfm.name` argument attribute are called input0, input1, ...
const Frontend &getMlirFrontend();

} // namespace kiln::mlir_import

#endif // KILN_FRONTENDS_MLIR_MLIRFRONTEND_H
