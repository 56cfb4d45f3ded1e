//===- TfmDialect.h - tfm dialect declaration -------------------*- C++ -*-===//
//
// Part of kiln. Declares the `tfm` transformer dialect and its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_TFM_TFMDIALECT_H
#define KILN_DIALECTS_TFM_TFMDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/tfm/TfmDialect.h.inc"
#include "dialects/tfm/TfmEnums.h.inc"

#endif // KILN_DIALECTS_TFM_TFMDIALECT_H
