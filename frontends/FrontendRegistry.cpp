//===- FrontendRegistry.cpp - the frontends kiln has ----------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/Frontend.h"
#include "frontends/gguf/GgufFrontend.h"
#include "frontends/huggingface/HuggingFaceFrontend.h"
#include "frontends/mlir/MlirFrontend.h"
#include "frontends/onnx/OnnxFrontend.h"

llvm::ArrayRef<const kiln::Frontend *> kiln::getFrontends() {
  // Listed explicitly rather than by static registration: nothing is
  // dropped by the linker, and the order is plain to see.
  static const Frontend *const frontends[] = {
      &onnx_import::getOnnxFrontend(), &mlir_import::getMlirFrontend(),
      &hf::getHuggingFaceFrontend(), &gguf::getGgufFrontend()};
  return frontends;
}

const kiln::Frontend *kiln::lookupFrontend(llvm::StringRef name) {
  for (const Frontend *frontend : getFrontends())
    if (frontend->getName() == name)
      return frontend;
  return nullptr;
}

const kiln::Frontend *kiln::findFrontendFor(llvm::StringRef path) {
  for (const Frontend *frontend : getFrontends())
    if (frontend->accepts(path))
      return frontend;
  return nullptr;
}
