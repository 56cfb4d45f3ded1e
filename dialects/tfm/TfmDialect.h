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

namespace mlir::tfm {

// Names the compiler and the runtime share: a model's entry function and
// the attributes on its arguments and results that the model library's
// signature is read from (backends/common/ModelLibrary.h). The tfm dialect
// verifies them wherever they are attached.

/// The function a frontend imports a model into and the library calls.
inline constexpr llvm::StringLiteral kEntryFunctionName = "main_graph";
/// On an argument or result: the model's name of that input or output
/// (a non-empty string).
inline constexpr llvm::StringLiteral kNameAttrName = "tfm.name";
/// On an argument or result: one entry per dimension, its symbolic name
/// ("" when it has none) or a size (integer), e.g. `["batch", "seq", ""]`.
inline constexpr llvm::StringLiteral kDimsAttrName = "tfm.dims";
/// On an argument (after kiln-externalize-weights): the weight value the
/// argument receives, of the argument's type.
inline constexpr llvm::StringLiteral kWeightAttrName = "tfm.weight";
/// On an argument of a decoder: a KV-cache buffer ([batch, kv heads,
/// context, head dim]) that the runtime owns, keeps between runs and passes
/// writable; tfm.cached_attention appends to it in place.
inline constexpr llvm::StringLiteral kCacheAttrName = "tfm.cache";
/// On an argument of a decoder: the [batch] i64 tokens each sequence's cache
/// holds before the run, which the runtime passes (and advances after it).
/// Its value is the largest context the model supports (an i64 attribute).
inline constexpr llvm::StringLiteral kCacheLengthsAttrName = "tfm.cache_lengths";

} // namespace mlir::tfm

#endif // KILN_DIALECTS_TFM_TFMDIALECT_H
