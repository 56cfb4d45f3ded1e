//===- Compiler.h - kiln's compiler API -------------------------*- C++ -*-===//
//
// Part of kiln. The whole pipeline behind one call: a model in (a file, or
// its contents in memory), the frontend picked from it, the tfm pipeline,
// the target's kernel selection and lowering, and the stage asked for
// written out (tfm/linalg/LLVM text, PTX, an object, or a model library
// plus its weights file). Problems come back as diagnostics; nothing is
// printed unless asked and nothing exits. The `kiln compile` driver and
// the Python package are thin layers over this.
//
//   kiln::CompileOptions options;
//   options.input = "model.onnx";
//   options.output = "model.so";
//   kiln::CompileResult result = kiln::compile(options);
//   if (!result.succeeded)
//     for (const kiln::CompileDiagnostic &d : result.diagnostics)
//       d.print(llvm::errs());
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_COMPILER_H
#define KILN_COMPILER_COMPILER_H

#include "backends/Target.h"

#include "llvm/ADT/StringRef.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace kiln {

/// The stages compilation can stop after (`--emit`), in pipeline order.
enum class EmitStage {
  Import, ///< tfm IR as the frontend imported it.
  Tfm,    ///< tfm IR after the tfm pipeline (shapes, fusion).
  Linalg, ///< linalg/tensor on tensors, as the target lowers tfm.
  Ptx,    ///< the kernels' PTX (targets with kernels of their own: cuda).
  Llvm,   ///< optimized LLVM IR of the CPU code.
  Obj,    ///< an ELF object, plus OUTPUT.weights.
  So,     ///< the model library, plus OUTPUT.weights.
};

/// The stage `--emit=NAME` names ("import", "tfm", ..., "so"), or none.
std::optional<EmitStage> parseEmitStage(llvm::StringRef name);

/// What to compile and how. The defaults compile a model library for this
/// machine's CPU.
struct CompileOptions {
  /// The model: a file or folder path. With `contents` it only names the
  /// model (in diagnostics, and to pick the frontend) and locates files
  /// the model refers to.
  std::string input;
  /// The model's contents, when not to be read from `input` (e.g. a
  /// serialized ONNX ModelProto). Must outlive the compile call.
  std::optional<llvm::StringRef> contents;
  /// The frontend by name ("onnx"); empty: the one that accepts `input`.
  std::string frontend;
  /// Where the stage goes: a file, or "-" for stdout (text stages only).
  /// Obj and So also write OUTPUT.weights; So from a checkpoint folder
  /// with a tokenizer.json also copies it to OUTPUT.tokenizer.json.
  std::string output = "-";
  EmitStage emit = EmitStage::So;
  /// Target, CPU/features, optimization level, precision, GPU options.
  TargetConfig target;
  /// Inputs specialised to static shapes: NAME=D0xD1... ('?' keeps a dim
  /// dynamic).
  std::vector<std::string> shapes;
  /// Run the fusion passes.
  bool fuse = true;
  /// Rewrite linear attention / retention in its quadratic form to
  /// tfm.linear_attention (tfm-rewrite-linear-attention), on targets with
  /// the kernel.
  bool linearAttention = true;
  /// Decoder checkpoints (Hugging Face LLaMA family): build the KV-cache
  /// form that `kiln generate` and kiln_model_run_cached run (false: the
  /// prefill form, all positions' logits; `kiln compile --no-kv-cache`).
  bool kvCache = true;
  /// GGUF files: expand their quantized tensors to float32 instead of
  /// running them on the weight-only kernels (`kiln compile --dequantize`).
  bool dequantize = false;
  /// Quantize the weight matmuls: "" (no), "w8a8", "llm-int8",
  /// "smoothquant", "w8a8-static", "w8", "w4" (passes/quantization/
  /// Passes.td describes each).
  std::string quantize;
  /// The calibration file (from kiln calibrate) smoothquant and
  /// w8a8-static need.
  std::string calibration;
  /// Round the attention probabilities (tfm-quantize-softmax): "" (no),
  /// "log2" or "uniform", to softmaxBits (4 or 8) bits.
  std::string quantizeSoftmax;
  int64_t softmaxBits = 4;
  /// smoothquant's migration strength, in [0, 1].
  float smoothquantAlpha = 0.5f;
  /// Build kiln calibrate's recording library instead: the model plus the
  /// per-channel range of each weight matmul's input as extra outputs
  /// (tfm-record-activation-ranges); excludes `quantize`.
  bool recordActivationRanges = false;
  /// K per scale group for w8/w4 (a positive multiple of 16).
  int64_t groupSize = 32;
  /// llm-int8: |x| at which an activation column is an outlier.
  float outlierThreshold = 6.0f;
  /// When set, how long each stage took is reported here at the end.
  llvm::raw_ostream *timing = nullptr;
  /// When set, op counts by kind after import and after the tfm pipeline
  /// are printed here.
  llvm::raw_ostream *stats = nullptr;
  /// Elide weight blobs larger than this many bytes when printing IR
  /// (0: print them whole).
  uint64_t elideResourcesLargerThan = 0;
  /// The runtime archive libraries link against; empty: the
  /// libkiln_runtime.a installed beside the compiler.
  std::string runtimeArchive;
};

/// One problem (or note) found while compiling.
struct CompileDiagnostic {
  enum class Severity { Error, Warning, Note, Remark };
  Severity severity = Severity::Error;
  /// Where: the model file it points into, "kiln" for a problem with the
  /// options or the environment, or empty.
  std::string location;
  /// The model's node it concerns (an ONNX node name), or empty.
  std::string node;
  std::string message;

  /// Prints it as `kiln compile` does:
  /// `LOCATION: error: node 'NODE': MESSAGE` (parts left out when empty).
  void print(llvm::raw_ostream &os) const;
  /// The same, as a string without colours.
  std::string str() const;
};

struct CompileResult {
  bool succeeded = false;
  /// Every diagnostic, in the order reported (also passed to the callback
  /// as they come).
  std::vector<CompileDiagnostic> diagnostics;
};

/// Called with each diagnostic as it is reported.
using DiagnosticCallback = std::function<void(const CompileDiagnostic &)>;

/// Runs the pipeline `options` describe. Thread-safe: each call has a
/// context of its own.
CompileResult compile(const CompileOptions &options,
                      const DiagnosticCallback &onDiagnostic = {});

} // namespace kiln

#endif // KILN_COMPILER_COMPILER_H
