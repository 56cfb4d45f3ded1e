//===- ModelLibrary.h - what a compiled model library contains --*- C++ -*-===//
//
// Part of kiln. The target-independent half of building a model library:
// reading the model's signature off the tfm function, the weights file,
// and the LLVM IR glue (kiln_model_manifest, kiln_model_invoke) that
// runtime/kiln_model_abi.h specifies.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_COMMON_MODELLIBRARY_H
#define KILN_BACKENDS_COMMON_MODELLIBRARY_H

#include "runtime/kiln_model_abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class raw_ostream;
} // namespace llvm

namespace kiln {

struct TensorInfo {
  std::string name;
  int dtype = 0;                      ///< A kiln_dtype (kiln_runtime.h).
  std::vector<std::string> dims;      ///< Sizes, symbolic names, or "?".
  std::optional<std::pair<int64_t, int64_t>> range; ///< Valid ids [lo, hi).
  mlir::ElementsAttr weight;          ///< For weights: the value.
  uint64_t offset = 0, bytes = 0;     ///< For weights: place in the file.
};

struct ModelSignature {
  std::vector<TensorInfo> inputs, outputs, weights;
  /// A decoder's KV-cache buffers, [batch, kv heads, "context", head dim]
  /// (arguments with `tfm.cache`), and the [batch] argument with the
  /// tokens each sequence holds (`tfm.cache_lengths`), passed after the
  /// inputs and before the weights.
  std::vector<TensorInfo> caches;
  std::optional<TensorInfo> cacheLengths;
  /// The largest context the decoder supports, and the symbolic input dim
  /// that counts the tokens one run appends (e.g. "sequence").
  int64_t contextLimit = 0;
  std::string cacheStep;
  /// Where the compiled code runs: "" for the CPU, "cuda" for an NVIDIA GPU
  /// (inputs, weights and outputs are then device buffers).
  std::string device;
  /// CPU features the compiled code needs (LLVM's names, e.g. "avx512f");
  /// the runtime checks them before running anything.
  std::vector<std::string> requiredFeatures;
  /// The weights file: its data bytes (before the trailer) and an id of
  /// their content, which the manifest and the file's trailer both carry,
  /// so that the runtime refuses another build's or a truncated file.
  uint64_t weightsBytes = 0, weightsId = 0;
};

/// Bytes of the weights file's trailer.
inline constexpr uint64_t kWeightsTrailerBytes = KILN_WEIGHTS_TRAILER_BYTES;

/// The kiln_dtype (runtime/kiln_runtime.h) of an MLIR element type, or 0
/// if the runtime has none for it.
int dtypeOf(mlir::Type elementType);

/// Reads the signature of `func` after kiln-externalize-weights: inputs
/// (arguments with `tfm.name`), weights (arguments with `tfm.weight`),
/// a decoder's caches (`tfm.cache`, `tfm.cache_lengths`),
/// outputs (results with `tfm.name`); symbolic dim names come from
/// `tfm.dims` attributes, token-id ranges from the tables the inputs index.
/// Weight offsets are assigned 64-byte aligned. Fails with a diagnostic on
/// a type the runtime cannot represent.
mlir::FailureOr<ModelSignature> readSignature(mlir::func::FuncOp func);

/// Sets the signature's weightsBytes and weightsId from its weights.
mlir::LogicalResult assignWeightsId(ModelSignature &signature,
                                    std::string &error);

/// The manifest text of runtime/kiln_model_abi.h.
std::string buildManifest(const ModelSignature &signature);

/// Writes the weights file to `os`: each weight's bytes at its offset, then
/// the trailer naming the data's size and id.
mlir::LogicalResult writeWeightsFile(const ModelSignature &signature,
                                     llvm::raw_ostream &os,
                                     std::string &error);

/// Lets go of the weights' data once it is written: each weight held as a
/// resource blob (a view of a mapped checkpoint, a packed copy) gets an
/// empty blob, freeing or unmapping it, and the signature keeps only the
/// weights' places. Nothing in the IR may refer to them any more (after
/// kiln-externalize-weights, once the entry's argument attributes are gone).
void releaseWeightData(ModelSignature &signature);

/// Translates an LLVM-dialect module (with OpenMP ops) to LLVM IR.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                std::string &error);

/// Adds kiln_model_manifest and kiln_model_invoke (calling
/// `_mlir_ciface_<entry>`) to `module`, and hides every other symbol the
/// compiled code defines so that several models load side by side. For a
/// device model, the static constructors (GPU module loads) are moved into
/// kiln_model_device_init, which the runtime calls once the device is up,
/// and the destructors are dropped (modules live as long as the process).
mlir::LogicalResult addModelInterface(llvm::Module &module,
                                      const ModelSignature &signature,
                                      llvm::StringRef entry,
                                      std::string &error);

} // namespace kiln

#endif // KILN_BACKENDS_COMMON_MODELLIBRARY_H
