//===- MlirFrontend.cpp - tfm IR as a model -------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/mlir/MlirFrontend.h"

#include "dialects/tfm/TfmDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

namespace {

class MlirFrontend : public kiln::Frontend {
public:
  llvm::StringRef getName() const override { return "mlir"; }
  llvm::StringRef getDescription() const override {
    return "tfm IR (.mlir)";
  }
  bool accepts(llvm::StringRef path) const override {
    return llvm::sys::path::extension(path) == ".mlir";
  }
  mlir::OwningOpRef<mlir::ModuleOp>
  import(mlir::MLIRContext *context,
         const kiln::FrontendInput &input) const override {
    context->loadDialect<mlir::tfm::TfmDialect, mlir::func::FuncDialect,
                         mlir::tensor::TensorDialect,
                         mlir::arith::ArithDialect>();
    std::unique_ptr<llvm::MemoryBuffer> buffer;
    if (input.contents) {
      buffer = llvm::MemoryBuffer::getMemBuffer(*input.contents, input.path,
                                                /*RequiresNullTerminator=*/
                                                false);
    } else {
      llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
          llvm::MemoryBuffer::getFile(input.path);
      if (!file) {
        mlir::emitError(mlir::FileLineColLoc::get(context, input.path, 0, 0))
            << "cannot read '" << input.path
            << "': " << file.getError().message();
        return nullptr;
      }
      buffer = std::move(*file);
    }
    llvm::SourceMgr sources;
    sources.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    return mlir::parseSourceFile<mlir::ModuleOp>(sources, context);
  }
};

} // namespace

const kiln::Frontend &kiln::mlir_import::getMlirFrontend() {
  static const MlirFrontend frontend;
  return frontend;
}
