//===- onnx_import_fuzzer.cpp - libFuzzer target for the ONNX frontend ----===//
//
// Part of kiln. Feeds arbitrary bytes to what `kiln compile` does with a
// model file before code generation: the protobuf parse, the ONNX checker,
// the import into tfm and the tfm pipeline (shape folding, fusion). Any
// input must end in a module or in diagnostics; a crash, a hang or a
// sanitizer report is a bug. Built and run by scripts/fuzz.sh; every
// frontend gets a target of this shape (bytes in, diagnostics out).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/OnnxLoader.h"
#include "passes/tfm/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <onnx/onnx_pb.h>

#include <cstdint>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto model = std::make_unique<onnx::ModelProto>();
  if (!model->ParseFromArray(data, static_cast<int>(size)) ||
      !model->has_graph())
    return 0;
  // External data would name files on this machine: not what is fuzzed.
  for (const onnx::TensorProto &t : model->graph().initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      return 0;
  std::string skipped;
  if (kiln::onnx_import::checkModel(*model, "/nonexistent", skipped))
    return 0;

  // The importer loads the dialects it builds; passes load theirs.
  MLIRContext context(MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) {
    return success();
  });
  kiln::onnx_import::ImportOptions options;
  options.modelPath = "fuzz.onnx";
  OwningOpRef<ModuleOp> module =
      kiln::onnx_import::importModel(&context, *model, options);
  if (!module)
    return 0;
  // The driver verifies what the importer built and reports the failing
  // op at its node (kiln compile does so too); only a verified module goes
  // on to the passes.
  if (failed(verify(*module)))
    return 0;
  PassManager pm(&context);
  tfm::TfmPipelineOptions pipeline;
  tfm::buildTfmPipeline(pm, pipeline);
  (void)pm.run(*module);
  return 0;
}
