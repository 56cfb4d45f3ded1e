//===- Compiler.cpp - kiln's compiler API ---------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/InitKiln.h"
#include "compiler/OutputFiles.h"

#include "backends/common/ModelLibrary.h"
#include "dialects/tfm/TfmDialect.h"
#include "frontends/Frontend.h"
#include "passes/fusion/Passes.h"
#include "passes/linear-attention/Passes.h"
#include "passes/lowering/Passes.h"
#include "passes/quantization/Passes.h"
#include "passes/tfm/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>
#include <map>
#include <unistd.h>

using namespace mlir;
using kiln::CompileDiagnostic;
using kiln::CompileOptions;
using kiln::EmitStage;

std::optional<EmitStage> kiln::parseEmitStage(StringRef name) {
  return llvm::StringSwitch<std::optional<EmitStage>>(name)
      .Case("import", EmitStage::Import)
      .Case("tfm", EmitStage::Tfm)
      .Case("linalg", EmitStage::Linalg)
      .Case("ptx", EmitStage::Ptx)
      .Case("llvm", EmitStage::Llvm)
      .Case("obj", EmitStage::Obj)
      .Case("so", EmitStage::So)
      .Default(std::nullopt);
}

void CompileDiagnostic::print(llvm::raw_ostream &os) const {
  if (!location.empty())
    os << location << ": ";
  switch (severity) {
  case Severity::Error:
    llvm::WithColor(os, llvm::HighlightColor::Error) << "error: ";
    break;
  case Severity::Warning:
    llvm::WithColor(os, llvm::HighlightColor::Warning) << "warning: ";
    break;
  case Severity::Note:
  case Severity::Remark:
    llvm::WithColor(os, llvm::HighlightColor::Note) << "note: ";
    break;
  }
  // Converter messages already start with "node 'X' (...)".
  if (!node.empty() && !StringRef(message).starts_with("node '"))
    os << "node '" << node << "': ";
  os << message << "\n";
}

std::string CompileDiagnostic::str() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os);
  return text;
}

namespace {

/// The runtime archive installed beside the compiler: `lib/` next to the
/// `bin/` of an executable that links the compiler in, or the folder of a
/// shared library holding it (the Python package's).
std::string defaultRuntimeArchive() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&defaultRuntimeArchive), &info) ||
      !info.dli_fname)
    return "libkiln_runtime.a";
  static int anchor;
  std::string self = info.dli_fname;
  // An executable reports the name it was started by; resolve it.
  if (!llvm::sys::path::is_absolute(self))
    self = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  // Where none exists, the executable's layout: the link error names it.
  StringRef dir = llvm::sys::path::parent_path(self);
  llvm::SmallString<256> path;
  for (StringRef relative : {"libkiln_runtime.a", "../lib/libkiln_runtime.a"}) {
    path = dir;
    llvm::sys::path::append(path, relative);
    llvm::sys::path::remove_dots(path, /*remove_dot_dot=*/true);
    if (llvm::sys::fs::exists(path))
      break;
  }
  return std::string(path);
}

/// One compile: the options, the diagnostics it collects, and the stages.
class Compilation {
public:
  Compilation(const CompileOptions &options,
              const kiln::DiagnosticCallback &callback)
      : options(options), callback(callback) {}

  bool run();
  std::vector<CompileDiagnostic> takeDiagnostics() {
    return std::move(diagnostics);
  }

private:
  bool importModel(MLIRContext &context, OwningOpRef<ModuleOp> &module,
                   TimingScope &timer);
  bool runTfmPipeline(ModuleOp module, TimingScope &timer);
  bool lowerAndEmit(ModuleOp module, TimingScope &timer);
  /// Writes the text `write` prints to the output ("-": stdout; a file
  /// staged and renamed into place).
  bool writeOutput(llvm::function_ref<bool(llvm::raw_ostream &)> write);
  bool writeText(ModuleOp module, TimingScope &timer);
  /// Writes the weights file (staged until writeOutputs keeps it) and lets
  /// go of the weights' data: nothing after needs more than their places,
  /// and LLVM's memory then does not add to theirs.
  bool writeWeights(kiln::ModelSignature &signature, TimingScope &timer);
  bool writeOutputs(ArrayRef<char> object, TimingScope &timer);
  void printOpCounts(ModuleOp module, StringRef when);

  /// Reports a problem with the options or the environment.
  bool fail(const Twine &message) {
    CompileDiagnostic diagnostic;
    diagnostic.location = "kiln";
    diagnostic.message = message.str();
    report(std::move(diagnostic));
    return false;
  }
  void report(CompileDiagnostic diagnostic) {
    if (callback)
      callback(diagnostic);
    diagnostics.push_back(std::move(diagnostic));
  }
  /// Collects an MLIR diagnostic (and its notes).
  void report(Diagnostic &diag);

  const CompileOptions &options;
  /// The frontend that imported the model, and what it was given (for the
  /// files it puts beside the library).
  const kiln::Frontend *frontend = nullptr;
  kiln::FrontendInput frontendInput;
  const kiln::DiagnosticCallback &callback;
  std::vector<CompileDiagnostic> diagnostics;
  /// The weights file, written early, renamed into place with the library.
  std::unique_ptr<kiln::StagedFile> weightsFile;
  std::unique_ptr<kiln::Target> target;
};

void Compilation::report(Diagnostic &diag) {
  CompileDiagnostic out;
  Location loc = diag.getLocation();
  if (auto name = dyn_cast<NameLoc>(loc)) {
    out.node = name.getName().str();
    loc = name.getChildLoc();
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    out.location = file.getFilename().str();
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    out.severity = CompileDiagnostic::Severity::Error;
    break;
  case DiagnosticSeverity::Warning:
    out.severity = CompileDiagnostic::Severity::Warning;
    break;
  case DiagnosticSeverity::Note:
    out.severity = CompileDiagnostic::Severity::Note;
    break;
  case DiagnosticSeverity::Remark:
    out.severity = CompileDiagnostic::Severity::Remark;
    break;
  }
  out.message = diag.str();
  report(std::move(out));
  for (Diagnostic &note : diag.getNotes())
    report(note);
}

void Compilation::printOpCounts(ModuleOp module, StringRef when) {
  std::map<std::string, int64_t> counts;
  int64_t total = 0;
  module.walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op))
      return;
    ++counts[op->getName().getStringRef().str()];
    ++total;
  });
  llvm::raw_ostream &os = *options.stats;
  os << "kiln: " << total << " ops " << when << ":";
  for (auto &[name, count] : counts)
    os << " " << name << "=" << count;
  os << "\n";
}

bool Compilation::run() {
  if (options.output.empty())
    return fail("-o needs a file name ('-' for stdout)");
  std::string error;
  target = kiln::createTarget(options.target, error);
  if (!target)
    return fail(error);
  if (!options.quantize.empty() &&
      !tfm::isQuantizationScheme(options.quantize))
    return fail("--quantize=" + options.quantize + " is not a scheme; kiln has " +
                tfm::quantizationSchemes());
  if (!options.quantize.empty() && !target->hasQuantizedKernels())
    return fail("--quantize needs the quantized GEMM kernels, which kiln "
                "has for x86 CPUs with AVX2 or AVX-512 VNNI; this target (" +
                target->getName() + ") has none yet");
  if (tfm::isCalibratedScheme(options.quantize) && options.calibration.empty())
    return fail("--quantize=" + options.quantize +
                " needs --calibration: the activation ranges `kiln "
                "calibrate` records (or a folder of samples)");
  if (!options.calibration.empty() && !tfm::readsCalibration(options.quantize))
    return fail("--calibration is read by --quantize=smoothquant, "
                "w8a8-static, w8 and w4 only");
  if (!(options.smoothquantAlpha >= 0 && options.smoothquantAlpha <= 1))
    return fail("--smoothquant-alpha must be in [0, 1], got " +
                std::to_string(options.smoothquantAlpha));
  if (!options.quantizeSoftmax.empty() && options.quantizeSoftmax != "log2" &&
      options.quantizeSoftmax != "uniform")
    return fail("--quantize-softmax=" + options.quantizeSoftmax +
                " is not a scheme; kiln has log2, uniform");
  if (options.softmaxBits != 4 && options.softmaxBits != 8)
    return fail("--softmax-bits must be 4 or 8, got " +
                Twine(options.softmaxBits));
  if (options.recordActivationRanges && !options.quantize.empty())
    return fail("recording activation ranges (kiln calibrate) and "
                "--quantize exclude each other");
  if (options.groupSize <= 0 || options.groupSize % 16)
    return fail("--group-size must be a positive multiple of 16, got " +
                Twine(options.groupSize));
  if (!(options.outlierThreshold > 0))
    return fail("--outlier-threshold must be positive, got " +
                std::to_string(options.outlierThreshold));
  if (options.emit == EmitStage::Ptx && !target->hasKernelAssembly())
    return fail(options.target.gpuEmulate
                    ? "--emit=ptx and --gpu-emulate exclude each other"
                    : "--emit=ptx needs --target=cuda");

  DialectRegistry registry;
  kiln::registerKilnDialects(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    report(diag);
    return success();
  });

  DefaultTimingManager timingManager;
  timingManager.setEnabled(options.timing != nullptr);
  if (options.timing)
    timingManager.setOutput(createOutputStrategy(
        DefaultTimingManager::OutputFormat::Text, *options.timing));
  TimingScope rootTimer = timingManager.getRootScope();

  OwningOpRef<ModuleOp> module;
  if (!importModel(context, module, rootTimer) ||
      !runTfmPipeline(*module, rootTimer))
    return false;
  if (options.emit <= EmitStage::Tfm)
    return writeText(*module, rootTimer);
  return lowerAndEmit(*module, rootTimer);
}

bool Compilation::importModel(MLIRContext &context,
                              OwningOpRef<ModuleOp> &module,
                              TimingScope &timer) {
  // The frontends, each as `describe` gives it, for messages.
  auto known = [](StringRef (kiln::Frontend::*describe)() const) {
    return llvm::join(llvm::map_range(kiln::getFrontends(),
                                      [&](const kiln::Frontend *f) {
                                        return (f->*describe)();
                                      }),
                      ", ");
  };
  frontend = options.frontend.empty() ? kiln::findFrontendFor(options.input)
                                      : kiln::lookupFrontend(options.frontend);
  if (!frontend && !options.frontend.empty())
    return fail("--frontend=" + options.frontend +
                " is not a frontend; kiln has " +
                known(&kiln::Frontend::getName));
  if (!frontend)
    return fail("cannot tell the format of '" + options.input +
                "': kiln reads " + known(&kiln::Frontend::getDescription) +
                " (--frontend=NAME picks one)");
  TimingScope importTimer = timer.nest("import");
  frontendInput.path = options.input;
  frontendInput.contents = options.contents;
  frontendInput.kvCache = options.kvCache;
  frontendInput.keepQuantized = !options.dequantize;
  module = frontend->import(&context, frontendInput);
  if (!module || failed(verify(*module)))
    return false;
  if (options.stats)
    printOpCounts(*module, "after import");
  return true;
}

bool Compilation::runTfmPipeline(ModuleOp module, TimingScope &timer) {
  PassManager pm(module.getContext());
  pm.enableTiming(timer);
  if (options.emit == EmitStage::Import) {
    // Only what --shape asks: the import as it is, at those shapes.
    if (!options.shapes.empty()) {
      tfm::TfmSpecializeShapesOptions specialize;
      specialize.shapes.assign(options.shapes.begin(), options.shapes.end());
      pm.addNestedPass<func::FuncOp>(
          tfm::createTfmSpecializeShapes(specialize));
      pm.addNestedPass<func::FuncOp>(tfm::createTfmInferShapes());
    }
  } else {
    tfm::TfmPipelineOptions pipeline;
    pipeline.shapes = options.shapes;
    pipeline.fuse = options.fuse;
    pipeline.quantizeSoftmax = options.quantizeSoftmax;
    pipeline.softmaxBits = options.softmaxBits;
    // Linear attention first, on the shapes as exported: a decay mask
    // computed from a dynamic length is evaluated at small lengths, where a
    // static one (after --shape) would have to be folded at its full T x T.
    // SiLU feature maps are fused for it, and norms (torchscale's group norm
    // after retention). Only for targets that run the op.
    if (options.fuse && options.linearAttention &&
        target->hasLinearAttentionKernels()) {
      pm.addNestedPass<func::FuncOp>(tfm::createTfmSimplifyShapes());
      pm.addNestedPass<func::FuncOp>(tfm::createTfmFuseSilu());
      pm.addNestedPass<func::FuncOp>(tfm::createTfmFuseNorms());
      pm.addPass(tfm::createTfmRewriteLinearAttention());
    }
    tfm::buildTfmPipeline(pm, pipeline);
    tfm::QuantizationOptions quantization;
    quantization.scheme = options.quantize;
    quantization.groupSize = options.groupSize;
    quantization.outlierThreshold = options.outlierThreshold;
    quantization.calibration = options.calibration;
    quantization.smoothquantAlpha = options.smoothquantAlpha;
    quantization.recordActivationRanges = options.recordActivationRanges;
    tfm::buildQuantizationPipeline(pm, quantization);
  }
  if (failed(pm.run(module)))
    return false;
  if (options.stats && options.emit != EmitStage::Import)
    printOpCounts(module, "after the tfm pipeline");
  return true;
}

bool Compilation::writeOutput(
    llvm::function_ref<bool(llvm::raw_ostream &)> write) {
  std::string error;
  if (options.output == "-")
    return kiln::writeFile("-", write, error) || fail(error);
  kiln::StagedFile output(options.output);
  return (output.create(error) &&
          kiln::writeFile(output.getPath(), write, error) &&
          output.keep(error)) ||
         fail(error);
}

bool Compilation::writeText(ModuleOp module, TimingScope &timer) {
  TimingScope printTimer = timer.nest("output");
  OpPrintingFlags flags;
  if (options.elideResourcesLargerThan)
    flags.elideLargeResourceString(options.elideResourcesLargerThan);
  return writeOutput([&](llvm::raw_ostream &os) {
    module->print(os, flags);
    return true;
  });
}

/// From the tfm IR to the requested stage past tfm: linalg, PTX, LLVM IR,
/// an object or a model library, plus its weights file.
bool Compilation::lowerAndEmit(ModuleOp module, TimingScope &timer) {
  MLIRContext &context = *module.getContext();
  auto func = module.lookupSymbol<func::FuncOp>(tfm::kEntryFunctionName);
  if (!func)
    return fail("the module has no " + tfm::kEntryFunctionName + " function");
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));

  // Quantized matmuls (from --quantize or an imported quantized model) and
  // linear attention have no generic lowering: refuse them up front on a
  // target without the kernels, naming the first.
  auto refuseWithoutKernels = [&](auto opType, bool hasKernels,
                                  llvm::StringRef what) {
    using OpT = decltype(opType);
    OpT first;
    if (!hasKernels)
      module.walk([&](OpT op) {
        first = op;
        return WalkResult::interrupt();
      });
    if (first)
      first.emitError() << what << "; this target (" << target->getName()
                        << ") has none yet";
    return !first;
  };
  if (!refuseWithoutKernels(tfm::QuantizedMatmulOp(),
                            target->hasQuantizedKernels(),
                            "this quantized matmul needs kiln's quantized "
                            "GEMM kernels, which exist for x86 CPUs with AVX2 "
                            "or AVX-512 VNNI") ||
      !refuseWithoutKernels(tfm::LinearAttentionOp(),
                            target->hasLinearAttentionKernels(),
                            "tfm.linear_attention needs kiln's chunked "
                            "linear-attention kernel, which exists for x86 "
                            "CPUs with AVX2 or AVX-512 and for CUDA"))
    return false;
  // The target's kernels take the ops they run (matmuls with weight
  // operands get their weights packed); then the weights become arguments.
  PassManager weights(&context);
  weights.enableTiming(timer);
  target->addKernelSelectionPasses(weights);
  weights.addPass(tfm::createKilnExternalizeWeights());
  if (failed(weights.run(module)))
    return false;
  FailureOr<kiln::ModelSignature> signature = kiln::readSignature(func);
  if (failed(signature))
    return false;
  target->describeLibrary(*signature);
  if (std::string idError; failed(kiln::assignWeightsId(*signature, idError)))
    return fail(idError);
  // The signature has what the argument and result attributes said.
  func.setAllArgAttrs(ArrayRef<DictionaryAttr>{});
  func.setAllResultAttrs(ArrayRef<DictionaryAttr>{});
  if ((options.emit == EmitStage::Obj || options.emit == EmitStage::So) &&
      !writeWeights(*signature, timer))
    return false;

  PassManager pm(&context);
  pm.enableTiming(timer);
  target->addToLinalgPasses(pm);
  if (options.emit == EmitStage::Linalg) {
    if (failed(pm.run(module)))
      return false;
    return writeText(module, timer);
  }
  std::string error;
  if (options.emit == EmitStage::Ptx) {
    target->addKernelAssemblyPasses(pm);
    if (failed(pm.run(module)))
      return false;
    FailureOr<std::string> assembly = target->collectKernelAssembly(module);
    if (failed(assembly))
      return false;
    return writeOutput([&](llvm::raw_ostream &os) {
      os << *assembly;
      return true;
    });
  }
  target->addLoweringPasses(pm);
  if (failed(pm.run(module)))
    return false;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    TimingScope t = timer.nest("translate to LLVM IR");
    llvmModule = kiln::translateToLLVMIR(module, llvmContext, error);
    if (!llvmModule ||
        failed(kiln::addModelInterface(*llvmModule, *signature,
                                       tfm::kEntryFunctionName, error)))
      return fail(error);
  }
  // The module and its weights are in LLVM IR and the signature now. For
  // a GPU, what is left is the host code (or with --gpu-emulate, all of
  // it), compiled for this machine.
  if (options.emit == EmitStage::Llvm) {
    TimingScope t = timer.nest("LLVM optimization");
    if (failed(target->optimize(*llvmModule, error)))
      return fail(error);
    return writeOutput([&](llvm::raw_ostream &os) {
      llvmModule->print(os, nullptr);
      return true;
    });
  }
  llvm::SmallVector<char> object;
  {
    TimingScope t = timer.nest("LLVM optimization and code generation");
    if (failed(target->emitObject(*llvmModule, object, error)))
      return fail(error);
  }
  return writeOutputs(object, timer);
}

bool Compilation::writeWeights(kiln::ModelSignature &signature,
                               TimingScope &timer) {
  // (Checked after the model's own problems, which the import and the tfm
  // pipeline find.)
  const std::string &outputPath = options.output;
  if (outputPath == "-")
    return fail("--emit=obj and --emit=so need an output file (-o)");
  for (const std::string &path : {outputPath, outputPath + ".weights"})
    if (llvm::sys::fs::is_directory(path))
      return fail("cannot write '" + path + "': it is a directory");
  TimingScope t = timer.nest("weights file");
  std::string error;
  weightsFile = std::make_unique<kiln::StagedFile>(outputPath + ".weights");
  if (!weightsFile->create(error) ||
      !kiln::writeFile(
          weightsFile->getPath(),
          [&](llvm::raw_ostream &os) {
            return succeeded(kiln::writeWeightsFile(signature, os, error));
          },
          error))
    return fail(error);
  kiln::releaseWeightData(signature);
  return true;
}

/// The object or library beside the weights file writeWeights staged: both
/// renamed into place, the weights first (a library is never newer than
/// its weights; a mismatched pair is refused by the runtime, see
/// kiln_model_abi.h).
bool Compilation::writeOutputs(ArrayRef<char> object, TimingScope &timer) {
  std::string error;
  const std::string &outputPath = options.output;
  kiln::StagedFile output(outputPath);
  if (!output.create(error))
    return fail(error);
  auto writeObject = [&](llvm::raw_ostream &os) {
    os.write(object.data(), object.size());
    return true;
  };
  if (options.emit == EmitStage::So) {
    // lld reads the object from a file: another temporary.
    llvm::SmallString<128> objectPath;
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "kiln-model", "o", fd, objectPath))
      return fail("cannot create a temporary object file: " + ec.message());
    ::close(fd);
    llvm::FileRemover removeObject(objectPath);
    if (!kiln::writeFile(objectPath, writeObject, error))
      return fail(error);
    TimingScope t = timer.nest("link");
    std::string runtime = options.runtimeArchive.empty()
                              ? defaultRuntimeArchive()
                              : options.runtimeArchive;
    if (failed(
            target->linkLibrary(objectPath, runtime, output.getPath(), error)))
      return fail(error);
  } else if (!kiln::writeFile(output.getPath(), writeObject, error)) {
    return fail(error);
  }
  if (!weightsFile->keep(error) || !output.keep(error))
    return fail(error);
  // The model's tokenizer and generation settings go beside its library,
  // where `kiln embed`, `kiln generate` and the Python package look for
  // them. Without them the library still runs (through the C API): a
  // warning, not a failed compile.
  if (options.emit == EmitStage::So && frontend) {
    llvm::Expected<std::vector<kiln::Frontend::Companion>> files =
        frontend->companions(frontendInput);
    if (!files) {
      CompileDiagnostic warning;
      warning.severity = CompileDiagnostic::Severity::Warning;
      warning.location = options.input;
      warning.message = "the library has no tokenizer beside it (kiln "
                        "generate and kiln embed need one): " +
                        llvm::toString(files.takeError());
      report(std::move(warning));
      return true;
    }
    for (const kiln::Frontend::Companion &file : *files) {
      std::string to = outputPath + "." + file.suffix;
      auto write = [&](llvm::raw_ostream &os) {
        os << file.contents;
        return true;
      };
      if (!kiln::writeFile(to, write, error))
        return fail(error);
    }
  }
  return true;
}

} // namespace

kiln::CompileResult kiln::compile(const CompileOptions &options,
                                  const DiagnosticCallback &onDiagnostic) {
  Compilation compilation(options, onDiagnostic);
  CompileResult result;
  result.succeeded = compilation.run();
  result.diagnostics = compilation.takeDiagnostics();
  return result;
}
