//===- Frontend.h - what a kiln frontend provides ---------------*- C++ -*-===//
//
// Part of kiln. A frontend reads one model format into a tfm module: one
// function named tfm::kEntryFunctionName whose arguments and results carry
// the signature attributes (tfm.name, tfm.dims). The compiler picks the
// frontend from the input through the registry below, so a new format
// plugs in here without touching the compiler or the driver.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_FRONTEND_H
#define KILN_FRONTENDS_FRONTEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace kiln {

/// A model to import.
struct FrontendInput {
  /// Where the model is; names it in diagnostics, and files it refers to
  /// (external weights) are found beside it.
  std::string path;
  /// The model's contents when they are not to be read from `path`.
  std::optional<llvm::StringRef> contents;
};

class Frontend {
public:
  virtual ~Frontend() = default;

  /// The name `--frontend` takes, e.g. "onnx".
  virtual llvm::StringRef getName() const = 0;
  /// The inputs it reads, for messages: e.g. "ONNX (.onnx, .onnxtxt)".
  virtual llvm::StringRef getDescription() const = 0;
  /// Whether `path` is in this frontend's format (by its name, or for a
  /// folder by what it holds).
  virtual bool accepts(llvm::StringRef path) const = 0;
  /// Imports the model; null after reporting diagnostics.
  virtual mlir::OwningOpRef<mlir::ModuleOp>
  import(mlir::MLIRContext *context, const FrontendInput &input) const = 0;
};

/// Every frontend kiln has, in the order inputs are offered to them.
llvm::ArrayRef<const Frontend *> getFrontends();

/// The frontend named `name`, or null.
const Frontend *lookupFrontend(llvm::StringRef name);

/// The first frontend that accepts `path`, or null.
const Frontend *findFrontendFor(llvm::StringRef path);

} // namespace kiln

#endif // KILN_FRONTENDS_FRONTEND_H
