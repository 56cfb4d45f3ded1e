//===- OnnxFrontend.cpp - the ONNX frontend -------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxFrontend.h"
#include "frontends/onnx/OnnxImporter.h"

#include "llvm/Support/Path.h"

namespace {

class OnnxFrontend : public kiln::Frontend {
public:
  llvm::StringRef getName() const override { return "onnx"; }
  llvm::StringRef getDescription() const override {
    return "ONNX (.onnx, .onnxtxt)";
  }
  bool accepts(llvm::StringRef path) const override {
    llvm::StringRef extension = llvm::sys::path::extension(path);
    return extension == ".onnx" || extension == ".onnxtxt";
  }
  mlir::OwningOpRef<mlir::ModuleOp>
  import(mlir::MLIRContext *context,
         const kiln::FrontendInput &input) const override {
    kiln::onnx_import::ImportOptions options;
    options.modelPath = input.path;
    options.contents = input.contents;
    return kiln::onnx_import::importModelFile(context, options);
  }
};

} // namespace

const kiln::Frontend &kiln::onnx_import::getOnnxFrontend() {
  static const OnnxFrontend frontend;
  return frontend;
}
