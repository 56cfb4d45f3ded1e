//===- Driver.cpp - the kiln command-line driver --------------------------===//
//
// Part of kiln. `kiln compile MODEL` imports a model and runs kiln's
// pipeline up to the stage `--emit` names, writing that stage's output.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Driver.h"

#include "frontends/onnx/OnnxImporter.h"
#include "passes/InitKiln.h"
#include "passes/tfm/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

/// The stages `--emit` can stop after, in pipeline order.
enum class Stage { Import, Tfm };

cl::SubCommand compileCommand("compile",
                              "Compile a model (ONNX) with kiln");

cl::opt<std::string> modelPath(cl::Positional, cl::sub(compileCommand),
                               cl::desc("<model.onnx | model.onnxtxt>"),
                               cl::Required);
cl::opt<std::string> outputPath("o", cl::sub(compileCommand),
                                cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<Stage> emitStage(
    "emit", cl::sub(compileCommand), cl::desc("The stage to stop after"),
    cl::values(clEnumValN(Stage::Import, "import",
                          "the tfm IR as imported from the model"),
               clEnumValN(Stage::Tfm, "tfm",
                          "the tfm IR after the tfm-level pipeline")),
    cl::init(Stage::Tfm));
cl::list<std::string> shapes(
    "shape", cl::sub(compileCommand),
    cl::desc("Specialise an input to a static shape: NAME=D0xD1x... "
             "('?' keeps a dim dynamic); repeatable"),
    cl::value_desc("NAME=DIMS"));
cl::opt<bool> timing("timing", cl::sub(compileCommand),
                     cl::desc("Print how long each stage took"));

/// Prints diagnostics as `file: error: message` and names the ONNX node
/// the location points at.
class DriverDiagnostics {
public:
  explicit DriverDiagnostics(MLIRContext &context) {
    handlerId = context.getDiagEngine().registerHandler(
        [](Diagnostic &diag) { print(diag); });
    engine = &context.getDiagEngine();
  }
  ~DriverDiagnostics() { engine->eraseHandler(handlerId); }

private:
  static void print(Diagnostic &diag) {
    llvm::raw_ostream &os = llvm::errs();
    std::string node;
    Location loc = diag.getLocation();
    if (auto name = dyn_cast<NameLoc>(loc)) {
      node = name.getName().str();
      loc = name.getChildLoc();
    }
    if (auto file = dyn_cast<FileLineColLoc>(loc))
      os << file.getFilename().getValue() << ": ";
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error:
      llvm::WithColor(os, llvm::HighlightColor::Error) << "error: ";
      break;
    case DiagnosticSeverity::Warning:
      llvm::WithColor(os, llvm::HighlightColor::Warning) << "warning: ";
      break;
    default:
      llvm::WithColor(os, llvm::HighlightColor::Note) << "note: ";
      break;
    }
    std::string message = diag.str();
    // Converter messages already start with "node 'X' (...)".
    if (!node.empty() && !StringRef(message).starts_with("node '"))
      os << "node '" << node << "': ";
    os << message << "\n";
    for (Diagnostic &note : diag.getNotes())
      print(note);
  }

  DiagnosticEngine *engine;
  DiagnosticEngine::HandlerID handlerId;
};

int compile() {
  DialectRegistry registry;
  kiln::registerKilnDialects(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  DriverDiagnostics diagnostics(context);

  DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  TimingScope rootTimer = timingManager.getRootScope();

  OwningOpRef<ModuleOp> module;
  {
    TimingScope importTimer = rootTimer.nest("import");
    kiln::onnx_import::ImportOptions options;
    options.modelPath = modelPath;
    module = kiln::onnx_import::importModelFile(&context, options);
    if (!module || failed(verify(*module)))
      return 1;
  }

  PassManager pm(&context);
  pm.enableTiming(rootTimer);
  if (emitStage == Stage::Import) {
    if (!shapes.empty()) {
      tfm::TfmSpecializeShapesOptions specialize;
      specialize.shapes.assign(shapes.begin(), shapes.end());
      pm.addNestedPass<func::FuncOp>(tfm::createTfmSpecializeShapes(specialize));
      pm.addNestedPass<func::FuncOp>(tfm::createTfmInferShapes());
    }
  } else {
    tfm::TfmPipelineOptions options;
    std::vector<std::string> shapeList(shapes.begin(), shapes.end());
    options.shapes = shapeList;
    tfm::buildTfmPipeline(pm, options);
  }
  if (failed(pm.run(*module)))
    return 1;

  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << "kiln: error: " << error << "\n";
    return 1;
  }
  {
    TimingScope printTimer = rootTimer.nest("output");
    module->print(output->os(), OpPrintingFlags());
    output->keep();
  }
  return 0;
}

} // namespace

int kiln::runDriver(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln: ahead-of-time compiler for transformer models\n\n"
      "  kiln compile MODEL.onnx [-o OUT] [--emit=import|tfm] "
      "[--shape NAME=DIMS]...\n");
  if (compileCommand)
    return compile();
  llvm::errs() << "kiln: error: no command given; try 'kiln compile --help'\n";
  return 1;
}
