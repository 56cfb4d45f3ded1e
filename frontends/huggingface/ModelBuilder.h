//===- ModelBuilder.h - building tfm IR from a checkpoint -------*- C++ -*-===//
//
// Part of kiln. What the architecture builders (BERT, ...) share: one
// function under construction, ops whose result types tfm infers, and the
// checkpoint's tensors as tfm.constant views of the mapped files.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_HUGGINGFACE_MODELBUILDER_H
#define KILN_FRONTENDS_HUGGINGFACE_MODELBUILDER_H

#include "frontends/huggingface/HfConfig.h"
#include "frontends/huggingface/Safetensors.h"

#include "dialects/tfm/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace kiln::hf {

/// The checkpoint folder's extras the builders may use.
struct CheckpointFolder {
  std::string path;
  HfConfig config;
  Checkpoint weights;
};

class ModelBuilder {
public:
  ModelBuilder(mlir::MLIRContext *context, const CheckpointFolder &folder);

  mlir::OpBuilder &builder() { return b; }
  mlir::MLIRContext *context() { return b.getContext(); }
  const CheckpointFolder &folder() const { return checkpoint; }
  /// A location naming `what` in the checkpoint (a tensor or a layer).
  mlir::Location loc(llvm::StringRef what);

  /// Adds an argument of the entry function named `name` with dim names.
  mlir::Value addInput(mlir::Type type, llvm::StringRef name,
                       llvm::ArrayRef<llvm::StringRef> dims);
  /// Sets attribute `name` on entry argument `arg` (e.g. tfm.cache).
  void markArgument(mlir::Value arg, llvm::StringRef name,
                    mlir::Attribute value);
  /// Returns `values` as the entry function's results, named.
  void finish(llvm::ArrayRef<mlir::Value> values,
              llvm::ArrayRef<std::string> names);
  mlir::OwningOpRef<mlir::ModuleOp> takeModule() { return std::move(module); }

  /// An op whose result type tfm infers from its operands; null (after a
  /// diagnostic at `where`) when inference fails.
  template <typename OpTy, typename... Args>
  mlir::Value make(mlir::Location where, Args &&...args) {
    OpTy op = OpTy::create(b, where, mlir::NoneType::get(context()),
                           std::forward<Args>(args)...);
    return inferResult(op);
  }

  /// The checkpoint tensor `name` as an f32 constant of shape `shape`
  /// (a view of the mapped file; F16/BF16 are widened into a copy); null
  /// after a diagnostic naming the tensor when it is missing or has
  /// another shape or dtype.
  mlir::Value weight(llvm::StringRef name, llvm::ArrayRef<int64_t> shape);
  /// The lookup of ids [B, S] in the table `module`.weight [vocab, hidden]:
  /// the table as weight() gives it, or for a table another format keeps
  /// quantized, its codes, scales and offsets' rows dequantized after the
  /// lookup (the table is never expanded to float32).
  mlir::Value embedding(llvm::StringRef module, int64_t vocab, int64_t hidden,
                        mlir::Value ids);
  /// x [..., in] times the stored Linear weight `module`.weight [out, in]
  /// (transpose_rhs: no copy), plus `module`.bias when `bias`, then the
  /// activation, then `residual`.
  mlir::Value linear(mlir::Value x, llvm::StringRef module, int64_t in,
                     int64_t out, bool bias, mlir::Value residual = {},
                     std::optional<mlir::tfm::Activation> activation = {});
  /// [B, T, heads * dim] -> [B, heads, T, dim].
  mlir::Value splitHeads(mlir::Value x, int64_t heads, int64_t dim,
                         mlir::Location loc);
  /// [B, heads, T, dim] -> [B, T, heads * dim].
  mlir::Value mergeHeads(mlir::Value x, int64_t width, mlir::Location loc);
  /// BertModel's and LlamaModel's additive padding mask from the i64
  /// attention_mask [B, T]: 0 where attended, the lowest float elsewhere,
  /// [B, 1, 1, T].
  mlir::Value paddingMask(mlir::Value mask);

  /// A decoder's KV-cache arguments, added after the inputs: the [batch]
  /// cache lengths (`tfm.cache_lengths`: the context limit, step dim
  /// "sequence"), then a key and a value cache per layer (`tfm.cache`,
  /// [batch, kvHeads, context, headDim]), as the runtime passes them.
  struct DecoderCache {
    mlir::Value lengths;
    llvm::SmallVector<std::pair<mlir::Value, mlir::Value>> layers;
  };
  DecoderCache addDecoderCache(int64_t layers, int64_t kvHeads,
                               int64_t headDim, int64_t contextLimit);
  /// The positions of the new tokens input_ids [B, S] of a cached run:
  /// lengths[b] + i, [B, S] (each sequence continues its own).
  mlir::Value cachePositions(mlir::Value inputIds, mlir::Value lengths);
  /// x [B, T, ...] at its last position, [B, 1, ...].
  mlir::Value lastPosition(mlir::Value x, mlir::Location loc);
  /// What a decoder's attention reads: the prefill form's padding mask, or
  /// the cache form's cache arguments.
  struct DecoderInputs {
    mlir::Value inputIds, mask;
    DecoderCache cache;
  };
  /// A decoder's arguments: input_ids [batch, sequence], then with
  /// `kvCache` the cache arguments (addDecoderCache), else attention_mask
  /// (as a padding mask).
  DecoderInputs addDecoderInputs(bool kvCache, int64_t layers, int64_t kvHeads,
                                 int64_t headDim, int64_t contextLimit);
  /// Layer `layer`'s causal attention: over its cache (tfm.cached_attention)
  /// or, in the prefill form, with the padding mask.
  mlir::Value causalAttention(const DecoderInputs &in, int64_t layer,
                              mlir::Value q, mlir::Value k, mlir::Value v,
                              mlir::FloatAttr scale, mlir::Location loc);
  /// Ends a decoder: the logits `head` computes from the final hidden
  /// states x [B, T, H], at every position in the prefill form, at the
  /// last one ([B, V]) in the cache form (the norm and lm_head run on one
  /// row per sequence); null after a diagnostic.
  mlir::OwningOpRef<mlir::ModuleOp>
  finishDecoder(const DecoderInputs &in, mlir::Value x,
                llvm::function_ref<mlir::Value(mlir::Value)> head);
  mlir::Value i64Constant(llvm::ArrayRef<int64_t> values);
  mlir::Value f32Scalar(double value);

  /// Reports an error at the checkpoint (config or weights); returns null.
  mlir::Value fail(const llvm::Twine &message);
  bool failed() const { return hadError; }

private:
  mlir::Value inferResult(mlir::Operation *op);
  /// A kept-quantized tensor's codes [rows, cols] (i8), scales and offsets
  /// [rows, groups] (f32; offsets null when it has none), as constants
  /// viewing its decoded data.
  struct QuantizedConstants {
    mlir::Value codes, scales, offsets;
  };
  QuantizedConstants quantizedConstants(llvm::StringRef name,
                                        const TensorView &t);

  const CheckpointFolder &checkpoint;
  mlir::OpBuilder b;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  bool hadError = false;
};

/// Builds BERT-family encoders (BERT and MiniLM; RoBERTa and XLM-RoBERTa;
/// DistilBERT): inputs input_ids, attention_mask, and token_type_ids for
/// BERT (and a RoBERTa with more than one token type); output
/// last_hidden_state, plus sentence_embedding when the folder is a
/// sentence-transformers checkpoint (1_Pooling, 2_Normalize).
mlir::OwningOpRef<mlir::ModuleOp> buildBert(mlir::MLIRContext *context,
                                            const CheckpointFolder &folder);

/// Builds LLaMA-family decoders (LLaMA, Mistral, Qwen2: GQA, RoPE, RMSNorm,
/// SiLU-gated MLP, tied or separate lm_head, q/k/v biases when the
/// checkpoint has them). With `kvCache`: input input_ids, then the cache
/// lengths and a key and a value cache per layer; output the last new
/// token's logits [B, V]. Without: inputs input_ids, attention_mask;
/// output logits [B, T, V].
mlir::OwningOpRef<mlir::ModuleOp> buildLlama(mlir::MLIRContext *context,
                                             const CheckpointFolder &folder,
                                             bool kvCache);
/// Builds GPT-2 (GPT2LMHeadModel: learned positions, LayerNorm, Conv1D
/// projections, tied lm_head) in the same two forms as buildLlama.
mlir::OwningOpRef<mlir::ModuleOp> buildGpt2(mlir::MLIRContext *context,
                                            const CheckpointFolder &folder,
                                            bool kvCache);

} // namespace kiln::hf

#endif // KILN_FRONTENDS_HUGGINGFACE_MODELBUILDER_H
