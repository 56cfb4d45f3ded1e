//===- Driver.cpp - the kiln command-line driver --------------------------===//
//
// Part of kiln. `kiln compile MODEL` imports a model and runs kiln's
// pipeline up to the stage `--emit` names, writing that stage's output.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Driver.h"
#include "tools/kiln/RunModel.h"

#include "backends/common/ModelLibrary.h"
#include "backends/cuda/CudaBackend.h"
#include "backends/cuda/Passes.h"
#include "backends/x86/Passes.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/X86Backend.h"
#include "frontends/onnx/OnnxImporter.h"
#include "passes/InitKiln.h"
#include "passes/lowering/Passes.h"
#include "passes/tfm/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/LLVMContext.h"

#include <map>
#include <unistd.h>
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

/// The stages `--emit` can stop after, in pipeline order.
enum class Stage { Import, Tfm, Linalg, Ptx, Llvm, Obj, So };

cl::SubCommand compileCommand("compile", "Compile a model (ONNX) with kiln");

cl::opt<std::string> modelPath(cl::Positional, cl::sub(compileCommand),
                               cl::desc("<model.onnx | model.onnxtxt>"),
                               cl::Required);
cl::opt<std::string> outputPath("o", cl::sub(compileCommand),
                                cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<Stage> emitStage(
    "emit", cl::sub(compileCommand), cl::desc("The stage to stop after"),
    cl::values(
        clEnumValN(Stage::Import, "import",
                   "the tfm IR as imported from the model"),
        clEnumValN(Stage::Tfm, "tfm",
                   "the tfm IR after the tfm-level pipeline"),
        clEnumValN(Stage::Linalg, "linalg",
                   "the IR lowered to linalg/tensor/arith/math on tensors"),
        clEnumValN(Stage::Ptx, "ptx",
                   "the kernels' PTX (--target=cuda only)"),
        clEnumValN(Stage::Llvm, "llvm", "the optimized LLVM IR (host code "
                                        "for --target=cuda)"),
        clEnumValN(Stage::Obj, "obj", "an ELF object (with OUT.weights)"),
        clEnumValN(Stage::So, "so",
                   "the model library (with OUT.weights), the default")),
    cl::init(Stage::So));
cl::opt<unsigned> optLevel("O", cl::sub(compileCommand), cl::Prefix,
                           cl::desc("Optimization level, -O0 to -O3 "
                                    "(default -O3)"),
                           cl::init(3));
cl::opt<std::string> targetTriple(
    "target", cl::sub(compileCommand),
    cl::desc("Target: an x86_64 triple (default: the host), or 'cuda' for "
             "an NVIDIA GPU"),
    cl::init(""));
cl::opt<std::string>
    gpuArch("gpu-arch", cl::sub(compileCommand),
            cl::desc("GPU architecture for --target=cuda: sm_80 (default), "
                     "sm_86, sm_89, sm_90 or sm_90a"),
            cl::init("sm_80"));
cl::opt<std::string> precision(
    "precision", cl::sub(compileCommand),
    cl::desc("Matmul precision with --target=cuda: fp32 (default; SIMT), "
             "or bf16 / fp16 (tensor cores, fp32 accumulation; weights "
             "stored rounded)"),
    cl::init("fp32"));
cl::opt<bool> gpuEmulate(
    "gpu-emulate", cl::sub(compileCommand),
    cl::desc("With --target=cuda: build a CPU library that runs the GPU "
             "kernels' code on the host, one loop iteration per GPU thread "
             "(tests the GPU lowering without a GPU; slow)"));
cl::opt<std::string> cudaPath(
    "cuda-path", cl::sub(compileCommand),
    cl::desc("CUDA toolkit whose ptxas and fatbinary add cubins to "
             "--target=cuda libraries (default /usr/local/cuda; without "
             "them the library carries PTX only)"),
    cl::init("/usr/local/cuda"));
cl::opt<std::string> targetCpu("mcpu", cl::sub(compileCommand),
                               cl::desc("Target CPU (default: native)"),
                               cl::init("native"));
cl::opt<std::string>
    targetFeatures("mattr", cl::sub(compileCommand),
                   cl::desc("Target features, e.g. +avx512f,-amx-tile"),
                   cl::init(""));
cl::list<std::string>
    shapes("shape", cl::sub(compileCommand),
           cl::desc("Specialise an input to a static shape: NAME=D0xD1x... "
                    "('?' keeps a dim dynamic); repeatable"),
           cl::value_desc("NAME=DIMS"));
cl::opt<bool> timing("timing", cl::sub(compileCommand),
                     cl::desc("Print how long each stage took"));
cl::opt<bool> noFusion("no-fusion", cl::sub(compileCommand),
                       cl::desc("Skip the fusion passes (to measure what "
                                "they buy)"));
cl::opt<bool> stats("stats", cl::sub(compileCommand),
                    cl::desc("Print op counts by kind before and after the "
                             "tfm pipeline"));

/// Prints how many ops of each kind `module` holds (to stderr).
void printOpCounts(ModuleOp module, StringRef when) {
  std::map<std::string, int64_t> counts;
  int64_t total = 0;
  module.walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op))
      return;
    ++counts[op->getName().getStringRef().str()];
    ++total;
  });
  llvm::errs() << "kiln: " << total << " ops " << when << ":";
  for (auto &[name, count] : counts)
    llvm::errs() << " " << name << "=" << count;
  llvm::errs() << "\n";
}

//===--- kiln run / kiln bench ----------------------------------------===//

cl::SubCommand runCommand("run", "Run a compiled model library");
cl::SubCommand benchCommand("bench",
                            "Time a compiled model library (latency "
                            "percentiles over repeated runs)");

cl::opt<std::string> libraryPath(cl::Positional, cl::sub(runCommand),
                                 cl::sub(benchCommand),
                                 cl::desc("<model.so>"), cl::Required);
cl::list<std::string> inputFiles(
    "input", cl::sub(runCommand), cl::sub(benchCommand),
    cl::desc("An input from a .npy file: NAME=FILE.npy; repeatable"),
    cl::value_desc("NAME=FILE.npy"));
cl::opt<bool> randomInputs(
    "random", cl::sub(runCommand), cl::sub(benchCommand),
    cl::desc("Fill inputs not given with seeded random data (token ids in "
             "their valid range, ones for masks)"));
cl::opt<uint64_t> randomSeed("seed", cl::sub(runCommand),
                             cl::sub(benchCommand),
                             cl::desc("Seed of --random (default 0)"),
                             cl::init(0));
cl::list<std::string> runShapes(
    "shape", cl::sub(runCommand), cl::sub(benchCommand),
    cl::desc("Shape of a random input, NAME=D0xD1..., or the size of a "
             "symbolic dim, e.g. seq=128 (dynamic dims default to 1); "
             "implies --random"),
    cl::value_desc("NAME=DIMS"));
cl::opt<std::string> outputDir("output-dir", cl::sub(runCommand),
                               cl::desc("Write NAME.npy per output here"),
                               cl::value_desc("dir"));
cl::opt<int> threadCount("threads", cl::sub(runCommand),
                         cl::sub(benchCommand),
                         cl::desc("Threads per run (default: all cores, or "
                                  "KILN_NUM_THREADS)"),
                         cl::init(0));
cl::opt<int> warmupRuns("warmup", cl::sub(benchCommand),
                        cl::desc("Untimed runs first (default 3)"),
                        cl::init(3));
cl::opt<int> iterations("iterations", cl::sub(benchCommand),
                        cl::desc("Timed runs (default 20)"), cl::init(20));
cl::opt<double> minTime("min-time", cl::sub(benchCommand),
                        cl::desc("Keep timing for at least this many "
                                 "seconds"),
                        cl::init(0));

int run() {
  kiln::RunOptions options;
  options.library = libraryPath;
  options.inputs.assign(inputFiles.begin(), inputFiles.end());
  options.shapes.assign(runShapes.begin(), runShapes.end());
  options.random = randomInputs || !runShapes.empty();
  options.seed = randomSeed;
  options.outputDir = outputDir;
  options.threads = threadCount;
  return kiln::runModelCommand(options);
}

int bench() {
  kiln::BenchOptions options;
  options.library = libraryPath;
  options.inputs.assign(inputFiles.begin(), inputFiles.end());
  options.shapes.assign(runShapes.begin(), runShapes.end());
  options.random = randomInputs || !runShapes.empty();
  options.seed = randomSeed;
  options.threads = threadCount;
  options.warmup = warmupRuns;
  options.iterations = iterations;
  options.minTime = minTime;
  return kiln::benchModelCommand(options);
}

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

/// Writes `module` as text to the output file.
int writeText(ModuleOp module, TimingScope &timer) {
  TimingScope printTimer = timer.nest("output");
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << "kiln: error: " << error << "\n";
    return 1;
  }
  module->print(output->os(), OpPrintingFlags());
  output->keep();
  return 0;
}

/// The runtime archive installed beside the kiln executable.
std::string runtimeArchivePath() {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("kiln", &anchor);
  llvm::SmallString<256> path(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(path, "lib", "libkiln_runtime.a");
  return std::string(path);
}

int fail(const std::string &message) {
  llvm::errs() << "kiln: error: " << message << "\n";
  return 1;
}

/// Whether --target names an NVIDIA GPU.
bool isCudaTarget() {
  return targetTriple == "cuda" || StringRef(targetTriple).starts_with("nvptx");
}

/// Writes `text` to the output file.
int writeString(StringRef text) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output)
    return fail(error);
  output->os() << text;
  output->keep();
  return 0;
}

int writeOutputs(ArrayRef<char> object, const kiln::ModelSignature &signature,
                 TimingScope &timer);

/// From the tfm IR to the requested stage past tfm: linalg, PTX, LLVM IR,
/// an object or a model library, plus its weights file.
int lowerAndEmit(ModuleOp module, MLIRContext &context, TimingScope &timer) {
  bool cuda = isCudaTarget();
  if (!cuda && !targetTriple.empty() &&
      !StringRef(targetTriple).starts_with("x86_64"))
    return fail("target '" + targetTriple +
                "' is not supported: kiln generates code for x86_64 CPUs "
                "and for NVIDIA GPUs (--target=cuda)");
  if (emitStage == Stage::Ptx && !cuda)
    return fail("--emit=ptx needs --target=cuda");
  kiln::cuda::TargetOptions gpuTarget;
  gpuTarget.arch = gpuArch;
  gpuTarget.optLevel = std::min(optLevel.getValue(), 3u);
  gpuTarget.toolkit = cudaPath;
  if (precision != "fp32" && precision != "bf16" && precision != "fp16")
    return fail("--precision=" + precision +
                " is not supported; use fp32, bf16 or fp16");
  if (precision != "fp32" && !cuda)
    return fail("--precision=" + precision +
                " needs --target=cuda (the CPU computes in fp32)");
  if (precision != "fp32" && gpuEmulate)
    return fail("--precision=" + precision +
                " uses tensor cores, which --gpu-emulate cannot run");
  if (cuda && !kiln::cuda::isSupportedArch(gpuArch))
    return fail("--gpu-arch=" + gpuArch +
                " is not supported; use sm_80, sm_86, sm_89, sm_90 or "
                "sm_90a");
  auto func = module.lookupSymbol<func::FuncOp>("main_graph");
  if (!func)
    return fail("the module has no main_graph function");
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));

  // The CPU the code is for (for a GPU: the host): which microkernels it
  // gets and which features the library then needs.
  kiln::x86::TargetOptions target;
  target.triple = cuda ? std::string() : targetTriple.getValue();
  target.cpu = targetCpu;
  target.features = targetFeatures;
  target.optLevel = std::min(optLevel.getValue(), 3u);
  std::string targetError;
  std::optional<kiln::x86::TargetCpu> described =
      kiln::x86::describeTarget(target, targetError);
  if (!described)
    return fail(targetError);
  const kiln::x86::TargetCpu &cpuTarget = *described;

  PassManager weights(&context);
  weights.enableTiming(timer);
  // Matmuls with weight operands go to the target's GEMM kernel (on the
  // CPU with packed weights); its weights are then externalized like any
  // other.
  if (cuda) {
    mlir::tfm::CudaGemmOptions gemm;
    gemm.precision = precision;
    weights.addPass(mlir::tfm::createCudaGemm(gemm));
    weights.addPass(mlir::tfm::createCudaAttention());
  } else if (cpuTarget.kernels) {
    mlir::tfm::X86PackMatmulOptions gemm;
    gemm.isa = cpuTarget.kernels->name;
    weights.addPass(mlir::tfm::createX86PackMatmul(gemm));
    mlir::tfm::X86AttentionOptions attention;
    attention.isa = cpuTarget.kernels->name;
    weights.addPass(mlir::tfm::createX86Attention(attention));
    mlir::tfm::X86NormsOptions norms;
    norms.isa = cpuTarget.kernels->name;
    weights.addPass(mlir::tfm::createX86Norms(norms));
  }
  weights.addPass(mlir::tfm::createKilnExternalizeWeights());
  if (failed(weights.run(module)))
    return 1;
  FailureOr<kiln::ModelSignature> signature = kiln::readSignature(func);
  if (failed(signature))
    return 1;
  if (cuda && !gpuEmulate)
    signature->device = "cuda";
  if (!cuda)
    signature->requiredFeatures = cpuTarget.required;
  if (std::string idError;
      failed(kiln::assignWeightsId(*signature, idError)))
    return fail(idError);
  // The signature has what the argument and result attributes said.
  func.setAllArgAttrs(ArrayRef<DictionaryAttr>{});
  func.setAllResultAttrs(ArrayRef<DictionaryAttr>{});

  PassManager pm(&context);
  pm.enableTiming(timer);
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  // Gather indices live on the device for CUDA: not read back to check.
  // On the CPU, chains of elementwise generics fuse into one loop nest
  // before bufferization (One-Shot Bufferize is superlinear in the number
  // of ops: a 500-op chain took 8.7 s in it, 2,000 ops 135 s).
  if (failed(parsePassPipeline(
          cuda && !gpuEmulate
              ? "func.func(tfm-to-linalg{check-indices=false}, canonicalize, "
                "cse)"
              : "func.func(tfm-to-linalg, canonicalize, cse, "
                "linalg-fuse-elementwise-ops, canonicalize)",
          pm, errorStream)))
    return fail(error);
  if (emitStage == Stage::Linalg) {
    if (failed(pm.run(module)))
      return 1;
    return writeText(module, timer);
  }
  if (cuda && gpuEmulate) {
    if (emitStage == Stage::Ptx)
      return fail("--emit=ptx and --gpu-emulate exclude each other");
    if (failed(kiln::cuda::buildLaunchPipeline(pm, error)) ||
        failed(parsePassPipeline("func.func(kiln-gpu-emulate-on-host)", pm,
                                 errorStream)) ||
        failed(kiln::x86::buildLowerToLLVMPipeline(pm, error)))
      return fail(error);
  } else if (cuda) {
    if (failed(kiln::cuda::buildLaunchPipeline(pm, error)) ||
        failed(kiln::cuda::buildKernelPipeline(pm, gpuTarget, error)) ||
        failed(kiln::cuda::buildSerializePipeline(
            pm, gpuTarget, emitStage == Stage::Ptx, error)))
      return fail(error);
    if (emitStage == Stage::Ptx) {
      if (failed(pm.run(module)))
        return 1;
      FailureOr<std::string> ptx = kiln::cuda::collectPtx(module);
      if (failed(ptx))
        return 1;
      return writeString(*ptx);
    }
    if (failed(kiln::cuda::buildHostToLLVMPipeline(pm, error)))
      return fail(error);
  } else if (failed(parsePassPipeline(
                 "func.func(kiln-own-results), one-shot-bufferize{"
                 "bufferize-function-boundaries allow-return-allocs-from-loops "
                 "function-boundary-type-conversion=identity-layout-map}, "
                 "buffer-deallocation-pipeline, canonicalize, cse",
                 pm, errorStream)) ||
             failed(kiln::x86::buildLowerToLLVMPipeline(pm, error))) {
    return fail(error);
  }
  if (failed(pm.run(module)))
    return 1;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    TimingScope t = timer.nest("translate to LLVM IR");
    llvmModule = kiln::x86::translateToLLVMIR(module, llvmContext, error);
    if (!llvmModule || failed(kiln::addModelInterface(*llvmModule, *signature,
                                                      "main_graph", error)))
      return fail(error);
  }
  // The module and its weights are in LLVM IR and the signature now. For
  // a GPU, what is left is the host code (or with --gpu-emulate, all of
  // it), compiled for this machine.
  if (emitStage == Stage::Llvm) {
    TimingScope t = timer.nest("LLVM optimization");
    if (failed(kiln::x86::optimizeModule(*llvmModule, target, error)))
      return fail(error);
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outputPath, &error);
    if (!output)
      return fail(error);
    llvmModule->print(output->os(), nullptr);
    output->keep();
    return 0;
  }
  if (outputPath == "-")
    return fail("--emit=obj and --emit=so need an output file (-o)");
  llvm::SmallVector<char> object;
  {
    TimingScope t = timer.nest("LLVM optimization and code generation");
    if (failed(kiln::x86::emitObject(*llvmModule, target, object, error)))
      return fail(error);
  }
  return writeOutputs(object, *signature, timer);
}

/// A file written beside its destination under a unique name and renamed
/// over it only once complete, so that a failed or killed compile never
/// leaves a partial file or destroys the previous build; removed unless
/// kept (and on SIGINT/SIGTERM).
class StagedFile {
public:
  explicit StagedFile(std::string destination)
      : destination(std::move(destination)) {}
  StagedFile(const StagedFile &) = delete;
  ~StagedFile() {
    if (!path.empty()) {
      llvm::sys::fs::remove(path);
      llvm::sys::DontRemoveFileOnSignal(path);
    }
  }
  /// Creates the temporary; its name is then path().
  bool create(std::string &error) {
    int fd;
    llvm::SmallString<256> name;
    if (std::error_code ec = llvm::sys::fs::createUniqueFile(
            destination + ".tmp-%%%%%%%%", fd, name)) {
      error = "cannot create a file beside '" + destination +
              "': " + ec.message();
      return false;
    }
    ::close(fd);
    path = std::string(name);
    llvm::sys::RemoveFileOnSignal(path);
    return true;
  }
  const std::string &getPath() const { return path; }
  /// Renames the temporary over the destination.
  bool keep(std::string &error) {
    if (std::error_code ec = llvm::sys::fs::rename(path, destination)) {
      error = "cannot write '" + destination + "': " + ec.message();
      return false;
    }
    llvm::sys::DontRemoveFileOnSignal(path);
    path.clear();
    return true;
  }

private:
  std::string destination, path;
};

/// Writes `write(os)` to `path`; reports write errors (a full disk) as
/// `error` instead of LLVM's abort on an unchecked stream error.
bool writeFile(StringRef path,
               llvm::function_ref<bool(llvm::raw_ostream &)> write,
               std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  bool ok = write(os);
  os.close();
  if (os.has_error()) {
    if (ok)
      error = "cannot write '" + path.str() + "': " + os.error().message();
    os.clear_error();
    return false;
  }
  return ok;
}

/// The weights file, then the object or library: both staged, then renamed
/// into place, the weights first (a library is never newer than its
/// weights; a mismatched pair is refused by the runtime, see
/// kiln_model_abi.h).
int writeOutputs(ArrayRef<char> object, const kiln::ModelSignature &signature,
                 TimingScope &timer) {
  std::string error;
  for (const std::string &path : {outputPath.getValue(),
                                  outputPath + ".weights"})
    if (llvm::sys::fs::is_directory(path))
      return fail("cannot write '" + path + "': it is a directory");
  StagedFile weights(outputPath + ".weights");
  {
    TimingScope t = timer.nest("weights file");
    if (!weights.create(error) ||
        !writeFile(
            weights.getPath(),
            [&](llvm::raw_ostream &os) {
              return succeeded(
                  kiln::writeWeightsFile(signature, os, error));
            },
            error))
      return fail(error);
  }
  StagedFile output(outputPath);
  if (!output.create(error))
    return fail(error);
  auto writeObject = [&](llvm::raw_ostream &os) {
    os.write(object.data(), object.size());
    return true;
  };
  if (emitStage == Stage::So) {
    // lld reads the object from a file: another temporary.
    llvm::SmallString<128> objectPath;
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "kiln-model", "o", fd, objectPath))
      return fail("cannot create a temporary object file: " + ec.message());
    ::close(fd);
    llvm::FileRemover removeObject(objectPath);
    if (!writeFile(objectPath, writeObject, error))
      return fail(error);
    TimingScope t = timer.nest("link");
    if (failed(kiln::x86::linkSharedLibrary(std::string(objectPath),
                                            runtimeArchivePath(),
                                            output.getPath(), error)))
      return fail(error);
  } else if (!writeFile(output.getPath(), writeObject, error)) {
    return fail(error);
  }
  if (!weights.keep(error) || !output.keep(error))
    return fail(error);
  return 0;
}

int compile() {
  if (outputPath.empty())
    return fail("-o needs a file name ('-' for stdout)");
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

  if (stats)
    printOpCounts(*module, "after import");
  PassManager pm(&context);
  pm.enableTiming(rootTimer);
  if (emitStage == Stage::Import) {
    if (!shapes.empty()) {
      tfm::TfmSpecializeShapesOptions specialize;
      specialize.shapes.assign(shapes.begin(), shapes.end());
      pm.addNestedPass<func::FuncOp>(
          tfm::createTfmSpecializeShapes(specialize));
      pm.addNestedPass<func::FuncOp>(tfm::createTfmInferShapes());
    }
  } else {
    tfm::TfmPipelineOptions options;
    std::vector<std::string> shapeList(shapes.begin(), shapes.end());
    options.shapes = shapeList;
    options.fuse = !noFusion;
    tfm::buildTfmPipeline(pm, options);
  }
  if (failed(pm.run(*module)))
    return 1;
  if (stats && emitStage != Stage::Import)
    printOpCounts(*module, "after the tfm pipeline");
  if (emitStage <= Stage::Tfm)
    return writeText(*module, rootTimer);
  return lowerAndEmit(*module, context, rootTimer);
}

} // namespace

int kiln::runDriver(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  kiln::registerKilnPasses(); // The pipelines below are parsed from text.
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln: ahead-of-time compiler for transformer models\n\n"
      "  kiln compile MODEL.onnx -o OUT.so [--emit=import|tfm|linalg|ptx|"
      "llvm|obj|so] [--target=cuda [--gpu-arch=sm_80]] [--shape NAME=DIMS]... "
      "[-O0..3] [--timing]\n"
      "  kiln run OUT.so (--input NAME=FILE.npy... | --random) "
      "[--output-dir DIR]\n"
      "  kiln bench OUT.so [--shape NAME=DIMS]... [--threads N]\n");
  if (compileCommand)
    return compile();
  if (runCommand)
    return run();
  if (benchCommand)
    return bench();
  llvm::errs() << "kiln: error: no command given; try 'kiln compile --help'\n";
  return 1;
}
