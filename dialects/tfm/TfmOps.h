//===- TfmOps.h - tfm dialect operations ------------------------*- C++ -*-===//
//
// Part of kiln. Declares the operations of the `tfm` transformer dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_TFM_TFMOPS_H
#define KILN_DIALECTS_TFM_TFMOPS_H

#include "dialects/tfm/ShapeUtils.h"
#include "dialects/tfm/TfmDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/tfm/TfmOps.h.inc"

#include <string>

namespace mlir::tfm {

/// How run-time check messages (tfm.runtime_check) name `op`:
/// "node 'NAME' (tfm.add)", NAME from the NameLoc the importer gives each
/// node (braces swapped for parentheses: the messages reserve them for
/// placeholders), or just the op's name.
std::string nodeLabel(Operation *op);

} // namespace mlir::tfm

#endif // KILN_DIALECTS_TFM_TFMOPS_H
