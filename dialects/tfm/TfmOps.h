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

#endif // KILN_DIALECTS_TFM_TFMOPS_H
