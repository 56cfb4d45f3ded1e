//===- OnnxImporter.h - ONNX to tfm -----------------------------*- C++ -*-===//
//
// Part of kiln. Imports an ONNX model into a `tfm` module. The importer only
// builds IR: clean-up and legalisation are ordinary passes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_ONNXIMPORTER_H
#define KILN_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "dialects/tfm/TfmDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace kiln::onnx_import {

struct ImportOptions {
  /// The model's path: diagnostics name it and external data files are
  /// found relative to its directory.
  std::string modelPath;
  /// The model's contents when it is not to be read from `modelPath` (a
  /// serialized ModelProto, or ONNX text when the path ends in
  /// `.onnxtxt`); `modelPath` then only names it.
  std::optional<llvm::StringRef> contents;
  /// Name of the imported function.
  std::string functionName = mlir::tfm::kEntryFunctionName.str();
};

/// Imports `model` into a new module holding one function with the graph's
/// inputs as arguments (each with a `tfm.name` attribute) and its outputs as
/// results (`tfm.name` result attributes). Initializers become `tfm.constant`
/// ops: small ones `dense` (so shape computations fold), weights
/// `dense_resource` blobs that take over the protobuf's buffers or map
/// external data files, without copying. `model` is consumed: weight data
/// moves out of it.
///
/// Every unsupported op in the model is reported (op type, domain, opset,
/// node name) before import stops; other problems are reported as errors at
/// the node's location. Returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext *context,
                                              onnx::ModelProto &model,
                                              const ImportOptions &options);

/// Loads (from `options.contents` when given), checks and imports the model
/// at `options.modelPath`, reporting
/// problems as diagnostics. Returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
importModelFile(mlir::MLIRContext *context, const ImportOptions &options);

} // namespace kiln::onnx_import

#endif // KILN_FRONTENDS_ONNX_ONNXIMPORTER_H
