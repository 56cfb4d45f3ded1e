//===- Driver.cpp - the kiln command-line driver --------------------------===//
//
// Part of kiln. `kiln compile MODEL` imports a model and runs kiln's
// pipeline up to the stage `--emit` names, writing that stage's output.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Driver.h"
#include "tools/kiln/Calibrate.h"
#include "tools/kiln/Embed.h"
#include "tools/kiln/Generate.h"
#include "tools/kiln/RunModel.h"

#include "compiler/Compiler.h"
#include "tokenizers/Tokenizer.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

using kiln::EmitStage;

cl::SubCommand compileCommand("compile", "Compile a model (ONNX, a Hugging Face checkpoint folder, or tfm MLIR) with kiln");
cl::SubCommand calibrateCommand(
    "calibrate", "Record the range of each weight matmul's input over "
                 "sample inputs, for --quantize=smoothquant / w8a8-static");

// Flags of both compile and calibrate (calibrate compiles the model the
// way the quantizing compile will).
cl::opt<std::string> modelPath(cl::Positional, cl::sub(compileCommand),
                               cl::sub(calibrateCommand),
                               cl::desc("<model.onnx | model.onnxtxt | CHECKPOINT_DIR | model.mlir>"),
                               cl::Required);
cl::opt<std::string> frontendName(
    "frontend", cl::sub(compileCommand), cl::sub(calibrateCommand),
    cl::desc("The model's format (default: from the input's name or, for a "
             "folder, its config.json): onnx, mlir, huggingface"),
    cl::init(""));
cl::opt<std::string> outputPath("o", cl::sub(compileCommand),
                                cl::sub(calibrateCommand),
                                cl::desc("Output file ('-' for stdout; "
                                         "calibrate: the calibration file)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<EmitStage> emitStage(
    "emit", cl::sub(compileCommand), cl::desc("The stage to stop after"),
    cl::values(
        clEnumValN(EmitStage::Import, "import",
                   "the tfm IR as imported from the model"),
        clEnumValN(EmitStage::Tfm, "tfm",
                   "the tfm IR after the tfm-level pipeline"),
        clEnumValN(EmitStage::Linalg, "linalg",
                   "the IR lowered to linalg/tensor/arith/math on tensors"),
        clEnumValN(EmitStage::Ptx, "ptx",
                   "the kernels' PTX (--target=cuda only)"),
        clEnumValN(EmitStage::Llvm, "llvm", "the optimized LLVM IR (host code "
                                        "for --target=cuda)"),
        clEnumValN(EmitStage::Obj, "obj", "an ELF object (with OUT.weights)"),
        clEnumValN(EmitStage::So, "so",
                   "the model library (with OUT.weights), the default")),
    cl::init(EmitStage::So));
cl::opt<unsigned> optLevel("O", cl::sub(compileCommand), cl::Prefix,
                           cl::desc("Optimization level, -O0 to -O3 "
                                    "(default -O3)"),
                           cl::init(3));
cl::opt<unsigned> compileJobs(
    "jobs", cl::sub(compileCommand),
    cl::desc("Threads for LLVM's optimization and code generation, each on "
             "a partition of the module (default 0: one per hardware "
             "thread for large models; 1: one partition)"),
    cl::init(0));
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
                               cl::sub(calibrateCommand),
                               cl::desc("Target CPU (default: native)"),
                               cl::init("native"));
cl::opt<std::string>
    targetFeatures("mattr", cl::sub(compileCommand), cl::sub(calibrateCommand),
                   cl::desc("Target features, e.g. +avx512f,-amx-tile"),
                   cl::init(""));
cl::list<std::string>
    shapes("shape", cl::sub(compileCommand), cl::sub(calibrateCommand),
           cl::desc("Specialise an input to a static shape: NAME=D0xD1x... "
                    "('?' keeps a dim dynamic); repeatable"),
           cl::value_desc("NAME=DIMS"));
cl::opt<bool> timing("timing", cl::sub(compileCommand),
                     cl::desc("Print how long each stage took"));
cl::opt<bool> noFusion("no-fusion", cl::sub(compileCommand),
                       cl::sub(calibrateCommand),
                       cl::desc("Skip the fusion passes (to measure what "
                                "they buy)"));
cl::opt<bool> noLinearAttention(
    "no-linear-attention", cl::sub(compileCommand),
    cl::desc("Keep linear attention / retention in the quadratic form the "
             "model was exported in (skip tfm-rewrite-linear-attention)"));
cl::opt<bool> noKvCache(
    "no-kv-cache", cl::sub(compileCommand),
    cl::desc("Build a decoder checkpoint (LLaMA family) in its prefill form: "
             "input_ids and attention_mask in, every position's logits out, "
             "no KV cache (the default form is what kiln generate runs)"));
cl::opt<bool> dequantizeWeights(
    "dequantize", cl::sub(compileCommand),
    cl::desc("GGUF files: expand Q8_0/Q4_0/Q4_1 tensors to float32 instead "
             "of running them quantized on the weight-only int8/int4 "
             "kernels"));
cl::opt<std::string> quantize(
    "quantize", cl::sub(compileCommand),
    cl::desc("Quantize the weight matmuls: w8a8 (int8 weights per channel, "
             "int8 activations per token, VNNI), llm-int8 (w8a8 with "
             "LLM.int8() outlier columns in fp32), smoothquant (w8a8 after "
             "SmoothQuant's smoothing; needs --calibration), w8a8-static "
             "(activations with one scale fixed at compile time, after "
             "RepQuant's reparameterisation; needs --calibration), w8 / w4 "
             "(weight-only, per group of --group-size K; with "
             "--calibration, AWQ's activation-aware scaling first)"),
    cl::value_desc("SCHEME"), cl::init(""));
cl::opt<int64_t> groupSize(
    "group-size", cl::sub(compileCommand),
    cl::desc("K per scale group for --quantize=w8/w4: 32 (default), 64, "
             "128, ... (a multiple of 16)"),
    cl::init(32));
cl::opt<float> outlierThreshold(
    "outlier-threshold", cl::sub(compileCommand),
    cl::desc("--quantize=llm-int8: |x| at which an activation column is "
             "an outlier (default 6.0)"),
    cl::init(6.0f));
cl::opt<std::string> calibration(
    "calibration", cl::sub(compileCommand), cl::sub(calibrateCommand),
    cl::desc("compile: the calibration file from kiln calibrate, or a "
             "folder of samples to calibrate on first; calibrate: the "
             "folder of samples (NAME.npy per input, one subfolder per "
             "sample)"),
    cl::value_desc("FILE|DIR"), cl::init(""));
cl::opt<float> smoothquantAlpha(
    "smoothquant-alpha", cl::sub(compileCommand),
    cl::desc("--quantize=smoothquant: migration strength in [0, 1] "
             "(default 0.5; 0.8-0.9 suit LLaMA-family models)"),
    cl::init(0.5f));
cl::opt<std::string> quantizeSoftmax(
    "quantize-softmax", cl::sub(compileCommand),
    cl::desc("Round the attention probabilities to --softmax-bits: log2 "
             "(RepQuant's log2 quantizer) or uniform, to measure what that "
             "costs in accuracy (those attentions stay unfused)"),
    cl::value_desc("SCHEME"), cl::init(""));
cl::opt<int64_t> softmaxBits(
    "softmax-bits", cl::sub(compileCommand),
    cl::desc("Bits of --quantize-softmax: 4 (default) or 8"), cl::init(4));
cl::opt<int> calibrationThreads(
    "threads", cl::sub(calibrateCommand),
    cl::desc("Threads per calibration run (default: all cores)"),
    cl::init(0));
cl::opt<bool> stats("stats", cl::sub(compileCommand),
                    cl::desc("Print op counts by kind before and after the "
                             "tfm pipeline"));

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

//===--- kiln tokenize ------------------------------------------------===//

cl::SubCommand tokenizeCommand(
    "tokenize", "Print the token ids of text, as a tokenizer.json (or a "
                "checkpoint folder holding one) tokenizes it");
cl::opt<std::string> tokenizerPath(cl::Positional, cl::sub(tokenizeCommand),
                                   cl::desc("<tokenizer.json | CHECKPOINT_DIR>"),
                                   cl::Required);
cl::list<std::string> tokenizeTexts(
    "text", cl::sub(tokenizeCommand),
    cl::desc("Text to tokenize; repeatable (one line of ids each)"));
cl::opt<std::string> tokenizeFile(
    "file", cl::sub(tokenizeCommand),
    cl::desc("Tokenize each line of this file ('-' for stdin)"),
    cl::value_desc("file"));
cl::opt<bool> noSpecialTokens(
    "no-special-tokens", cl::sub(tokenizeCommand),
    cl::desc("Leave out the post-processor's special tokens ([CLS], ...)"));

int tokenize() {
  std::string path = tokenizerPath;
  if (llvm::sys::fs::is_directory(path))
    path += "/tokenizer.json";
  llvm::Expected<std::unique_ptr<kiln::tok::Tokenizer>> tokenizer =
      kiln::tok::Tokenizer::load(path);
  if (!tokenizer) {
    llvm::errs() << "kiln: error: " << llvm::toString(tokenizer.takeError())
                 << "\n";
    return 1;
  }
  auto print = [&](llvm::StringRef text) {
    bool first = true;
    for (int32_t id : (*tokenizer)->encode(text, !noSpecialTokens)) {
      llvm::outs() << (first ? "" : " ") << id;
      first = false;
    }
    llvm::outs() << "\n";
  };
  for (const std::string &text : tokenizeTexts)
    print(text);
  if (!tokenizeFile.empty()) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFileOrSTDIN(tokenizeFile);
    if (!buffer) {
      llvm::errs() << "kiln: error: '" << tokenizeFile
                   << "' cannot be read: " << buffer.getError().message()
                   << "\n";
      return 1;
    }
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef body = (*buffer)->getBuffer();
    body.consume_back("\n");
    body.split(lines, '\n', -1, /*KeepEmpty=*/true);
    for (llvm::StringRef line : lines)
      print(line);
  }
  return 0;
}

//===--- kiln embed ---------------------------------------------------===//

cl::SubCommand embedSubCommand(
    "embed", "Sentence embeddings of texts from a library compiled from a "
             "sentence-transformers checkpoint folder");
cl::opt<std::string> embedLibrary(cl::Positional, cl::sub(embedSubCommand),
                                  cl::desc("<model.so>"), cl::Required);
cl::list<std::string> embedTexts("text", cl::sub(embedSubCommand),
                                 cl::desc("A text to embed; repeatable"));
cl::opt<std::string> embedFile(
    "file", cl::sub(embedSubCommand),
    cl::desc("Embed each line of this file ('-' for stdin)"),
    cl::value_desc("file"));
cl::opt<std::string> embedTokenizer(
    "tokenizer", cl::sub(embedSubCommand),
    cl::desc("The tokenizer.json (default: MODEL.so.tokenizer.json, which "
             "compiling a checkpoint folder writes)"),
    cl::value_desc("file"));
cl::opt<std::string> embedOutput(
    "o", cl::sub(embedSubCommand),
    cl::desc("Save the [texts, dim] float32 matrix as .npy instead of "
             "printing one vector per line"),
    cl::value_desc("file.npy"));
cl::opt<int> embedMaxTokens(
    "max-tokens", cl::sub(embedSubCommand),
    cl::desc("Tokens per text at most, special tokens included; longer "
             "texts are cut (default 256, sentence-transformers' length)"),
    cl::init(256));
cl::opt<int> embedThreads("threads", cl::sub(embedSubCommand),
                          cl::desc("Threads (default: all cores)"),
                          cl::init(0));

int embed() {
  kiln::EmbedOptions options;
  options.library = embedLibrary;
  options.tokenizer = embedTokenizer;
  options.texts.assign(embedTexts.begin(), embedTexts.end());
  options.textFile = embedFile;
  options.output = embedOutput;
  options.maxTokens = embedMaxTokens;
  options.threads = embedThreads;
  return kiln::embedCommand(options);
}

//===--- kiln generate ------------------------------------------------===//

cl::SubCommand generateSubCommand(
    "generate", "Text from a decoder library (a LLaMA-family checkpoint "
                "compiled with its KV cache), streamed as it is generated");
cl::opt<std::string> generateLibrary(cl::Positional,
                                     cl::sub(generateSubCommand),
                                     cl::desc("<model.so>"), cl::Required);
cl::opt<std::string> generatePrompt("prompt", cl::sub(generateSubCommand),
                                    cl::desc("The prompt"),
                                    cl::value_desc("text"));
cl::opt<std::string> generateFile(
    "file", cl::sub(generateSubCommand),
    cl::desc("Read the prompt from this file ('-' for stdin)"),
    cl::value_desc("file"));
cl::opt<bool> generateChat(
    "chat", cl::sub(generateSubCommand),
    cl::desc("Put the prompt in the model's chat template as the user's "
             "turn and stop at the end of the assistant's (ChatML templates)"));
cl::opt<std::string> generateSystem(
    "system", cl::sub(generateSubCommand),
    cl::desc("With --chat: the system prompt (default: the template's own)"),
    cl::value_desc("text"));
cl::opt<int> generateMaxTokens(
    "max-tokens", cl::sub(generateSubCommand),
    cl::desc("Tokens to generate at most (default 64)"), cl::init(64));
cl::opt<double> generateTemperature(
    "temperature", cl::sub(generateSubCommand),
    cl::desc("Sampling temperature; 0 (the default) is greedy"),
    cl::init(0.0));
cl::opt<int> generateTopK(
    "top-k", cl::sub(generateSubCommand),
    cl::desc("Sample among the K most likely tokens only (default 0: all)"),
    cl::init(0));
cl::opt<double> generateTopP(
    "top-p", cl::sub(generateSubCommand),
    cl::desc("Sample among the most likely tokens whose probability reaches "
             "P (default 1: all)"),
    cl::init(1.0));
cl::opt<uint64_t> generateSeed("seed", cl::sub(generateSubCommand),
                               cl::desc("Sampling seed (default 0)"),
                               cl::init(0));
cl::opt<int> generateThreads("threads", cl::sub(generateSubCommand),
                             cl::desc("Threads (default: all cores)"),
                             cl::init(0));
cl::opt<int64_t> generateContext(
    "max-context", cl::sub(generateSubCommand),
    cl::desc("The KV cache's capacity in tokens (default: the prompt plus "
             "--max-tokens)"),
    cl::init(0));
cl::opt<std::string> generateTokenizer(
    "tokenizer", cl::sub(generateSubCommand),
    cl::desc("The tokenizer.json (default: MODEL.so.tokenizer.json, which "
             "compiling a checkpoint folder writes)"),
    cl::value_desc("file"));
cl::opt<std::string> generateTokenizerConfig(
    "tokenizer-config", cl::sub(generateSubCommand),
    cl::desc("The tokenizer_config.json with the chat template and end token "
             "(default: MODEL.so.tokenizer_config.json)"),
    cl::value_desc("file"));
cl::opt<bool> generatePrintIds(
    "print-ids", cl::sub(generateSubCommand),
    cl::desc("Also print the prompt's and the generated token ids (stderr)"));

int generate() {
  kiln::GenerateOptions options;
  options.library = generateLibrary;
  options.tokenizer = generateTokenizer;
  options.tokenizerConfig = generateTokenizerConfig;
  options.prompt = generatePrompt;
  options.promptFile = generateFile;
  options.chat = generateChat;
  options.system = generateSystem;
  options.maxTokens = generateMaxTokens;
  options.temperature = generateTemperature;
  options.topK = generateTopK;
  options.topP = generateTopP;
  options.seed = generateSeed;
  options.threads = generateThreads;
  options.maxContext = generateContext;
  options.printIds = generatePrintIds;
  return kiln::generateCommand(options);
}

/// The compile (and calibrate) flags as CompileOptions.
kiln::CompileOptions compileOptionsFromFlags() {
  kiln::CompileOptions options;
  options.input = modelPath;
  options.frontend = frontendName;
  options.output = outputPath;
  options.emit = emitStage;
  options.target.triple = targetTriple;
  options.target.cpu = targetCpu;
  options.target.features = targetFeatures;
  options.target.optLevel = optLevel;
  options.target.jobs = compileJobs;
  options.target.precision = precision;
  options.target.gpuArch = gpuArch;
  options.target.cudaPath = cudaPath;
  options.target.gpuEmulate = gpuEmulate;
  options.shapes.assign(shapes.begin(), shapes.end());
  options.fuse = !noFusion;
  options.linearAttention = !noLinearAttention;
  options.kvCache = !noKvCache;
  options.dequantize = dequantizeWeights;
  options.quantize = quantize;
  options.groupSize = groupSize;
  options.outlierThreshold = outlierThreshold;
  options.calibration = calibration;
  options.smoothquantAlpha = smoothquantAlpha;
  options.quantizeSoftmax = quantizeSoftmax;
  options.softmaxBits = softmaxBits;
  if (timing)
    options.timing = &llvm::errs();
  if (stats)
    options.stats = &llvm::errs();
  return options;
}

int calibrateError(const std::string &error) {
  llvm::outs().flush();
  llvm::errs() << "kiln: error: " << error << "\n";
  return 1;
}

int runCalibrate() {
  kiln::CalibrateOptions options;
  options.compile = compileOptionsFromFlags();
  options.samples = calibration;
  options.output = outputPath;
  options.threads = calibrationThreads;
  if (options.samples.empty())
    return calibrateError("calibrate needs --calibration DIR (the samples)");
  if (options.output == "-")
    return calibrateError("calibrate needs -o FILE (the calibration file)");
  std::string error;
  return kiln::calibrate(options, error) ? 0 : calibrateError(error);
}

int runCompile() {
  kiln::CompileOptions options = compileOptionsFromFlags();
  // A folder of samples: calibrate on it first, into a temporary file.
  llvm::FileRemover removeTemporary;
  if (llvm::sys::fs::is_directory(options.calibration)) {
    llvm::SmallString<128> file;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "kiln-calibration", "json", file))
      return calibrateError("cannot create a temporary file: " +
                            ec.message());
    removeTemporary.setFile(file);
    std::string temporary = file.str().str();
    kiln::CalibrateOptions calibrate;
    calibrate.compile = options;
    calibrate.samples = options.calibration;
    calibrate.output = temporary;
    std::string error;
    if (!kiln::calibrate(calibrate, error))
      return calibrateError(error);
    options.calibration = temporary;
  }
  // Diagnostics are printed as they come, in kiln's format.
  kiln::CompileResult result =
      kiln::compile(options, [](const kiln::CompileDiagnostic &diagnostic) {
        diagnostic.print(llvm::errs());
      });
  return result.succeeded ? 0 : 1;
}

} // namespace

int kiln::runDriver(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln: ahead-of-time compiler for transformer models\n\n"
      "  kiln compile MODEL.onnx -o OUT.so [--emit=import|tfm|linalg|ptx|"
      "llvm|obj|so] [--target=cuda [--gpu-arch=sm_80]] [--shape NAME=DIMS]... "
      "[-O0..3] [--timing]\n"
      "  kiln calibrate MODEL.onnx --calibration SAMPLES_DIR -o "
      "CALIBRATION.json\n"
      "  kiln run OUT.so (--input NAME=FILE.npy... | --random) "
      "[--output-dir DIR]\n"
      "  kiln bench OUT.so [--shape NAME=DIMS]... [--threads N]\n"
      "  kiln tokenize TOKENIZER.json (--text TEXT... | --file FILE)\n"
      "  kiln embed OUT.so (--text TEXT... | --file FILE) [-o FILE.npy]\n"
      "  kiln generate OUT.so --prompt TEXT [--chat] [--max-tokens N] "
      "[--temperature T --top-k K --top-p P --seed S]\n");
  if (compileCommand)
    return runCompile();
  if (calibrateCommand)
    return runCalibrate();
  if (runCommand)
    return run();
  if (benchCommand)
    return bench();
  if (tokenizeCommand)
    return tokenize();
  if (embedSubCommand)
    return embed();
  if (generateSubCommand)
    return generate();
  llvm::errs() << "kiln: error: no command given; try 'kiln compile --help'\n";
  return 1;
}
