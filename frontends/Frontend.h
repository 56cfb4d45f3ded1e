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

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// A model to import.
struct FrontendInput {
  /// Where the model is; names it in diagnostics, and files it refers to
  /// (external weights) are found beside it.
  std::string path;
  /// The model's contents when they are not to be read from `path`.
  std::optional<llvm::StringRef> contents;
  /// Decoders: build the KV-cache form (a runtime-owned cache appended to
  /// by each run, the last new token's logits out); false builds the
  /// prefill form (attention_mask in, every position's logits out).
  bool kvCache = true;
  /// Weights a file stores quantized (GGUF's Q8_0, Q4_0, Q4_1) stay so, on
  /// the weight-only int8/int4 kernels; false dequantizes them to float32.
  bool keepQuantized = true;
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

  /// A file that goes beside the compiled library, as LIBRARY.<suffix>.
  struct Companion {
    std::string suffix;   ///< e.g. "tokenizer.json"
    std::string contents;
  };
  /// What the model brings that running it needs besides the library: its
  /// tokenizer (tokenizer.json) and generation settings
  /// (tokenizer_config.json: the chat template, the end token), which
  /// `kiln embed` and `kiln generate` read. None by default.
  virtual llvm::Expected<std::vector<Companion>>
  companions(const FrontendInput &input) const {
    return std::vector<Companion>{};
  }
};

/// Every frontend kiln has, in the order inputs are offered to them.
llvm::ArrayRef<const Frontend *> getFrontends();

/// The frontend named `name`, or null.
const Frontend *lookupFrontend(llvm::StringRef name);

/// The first frontend that accepts `path`, or null.
const Frontend *findFrontendFor(llvm::StringRef path);

} // namespace kiln

#endif // KILN_FRONTENDS_FRONTEND_H
