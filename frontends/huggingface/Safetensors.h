//===- Safetensors.h - memory-mapped safetensors checkpoints ----*- C++ -*-===//
//
// Part of kiln. Reads Hugging Face safetensors files: an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. The files are
// memory-mapped and tensors are views into the mapping: nothing is copied
// (a tensor's blob keeps its file mapped while the IR holds it).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_HUGGINGFACE_SAFETENSORS_H
#define KILN_FRONTENDS_HUGGINGFACE_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::hf {

/// A read-only mapping of one file, unmapped when the last holder goes.
struct MappedFile {
  std::string path;
  const char *data = nullptr;
  size_t size = 0;
  ~MappedFile();
  MappedFile() = default;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// Maps `path`; an error naming the file when it cannot.
  static llvm::Expected<std::shared_ptr<MappedFile>> open(llvm::StringRef path);
  /// Bytes already in memory (owned by the caller, who keeps them alive),
  /// read as if they were the file `path` (tests, fuzzing).
  static std::shared_ptr<MappedFile> borrow(llvm::StringRef path,
                                            llvm::ArrayRef<char> bytes);
  /// float32 values computed at import (a GGUF tensor dequantized), owned
  /// by the holder (not copied) and named `path` in messages.
  static std::shared_ptr<MappedFile> adopt(llvm::StringRef path,
                                           std::vector<float> values);

  /// Lets the pages wholly inside `bytes` (a part of `data`) leave memory:
  /// they are read again from the file if used again. For a weight that has
  /// been converted or packed, so that compile memory does not keep both.
  void drop(llvm::ArrayRef<char> bytes) const;

private:
  bool mapped = false;
  std::vector<float> owned;
};

/// One tensor of a checkpoint: a view into its file's mapping.
struct TensorView {
  /// The safetensors dtype: "F32", "F16", "BF16", "I64", ...
  std::string dtype;
  std::vector<int64_t> shape;
  llvm::ArrayRef<char> bytes;
  /// Keeps the mapping alive as long as the view is used.
  std::shared_ptr<MappedFile> file;
  /// A matmul weight another format stores quantized (GGUF's Q8_0, Q4_0,
  /// Q4_1), kept so for tfm.quantized_matmul: W[n, k] = codes[n, k] *
  /// scales[n, g] + offsets[n, g] with g = k / groupSize (offsets empty: 0),
  /// codes one per byte ([0, 15] for 4 bits). A view may have these
  /// without float `bytes` (then only ModelBuilder::linear reads it).
  struct Quantized {
    int64_t bits = 8, groupSize = 32;
    std::vector<int8_t> codes;
    std::vector<float> scales, offsets;
  };
  std::shared_ptr<const Quantized> quantized;

  int64_t numElements() const;
};

/// The bytes per element of a safetensors dtype, or 0 when it is unknown.
unsigned dtypeByteWidth(llvm::StringRef dtype);

/// The tensors of a checkpoint: one `model.safetensors`, or the shards a
/// `model.safetensors.index.json` lists (its "weight_map").
class Checkpoint {
public:
  /// Opens `path`: a .safetensors file, an index .json, or a folder holding
  /// either. Errors name the file and what is wrong with it (a truncated
  /// file, a malformed header, a tensor outside the data, ...).
  static llvm::Expected<Checkpoint> open(llvm::StringRef path);

  /// The tensor called `name`, or null.
  const TensorView *lookup(llvm::StringRef name) const;
  bool contains(llvm::StringRef name) const { return lookup(name); }
  size_t size() const { return tensors.size(); }
  /// Total bytes of tensor data (the weights' size).
  uint64_t dataBytes() const;
  /// The tensor names, sorted (for messages and tests).
  std::vector<std::string> names() const;

  /// Adds the tensors of one safetensors file (mapped or borrowed).
  llvm::Error addFile(std::shared_ptr<MappedFile> file);
  /// Adds one tensor from elsewhere (another file format's reader).
  void addTensor(llvm::StringRef name, TensorView view) {
    tensors[name] = std::move(view);
  }

private:
  llvm::Error addFile(llvm::StringRef path);

  llvm::StringMap<TensorView> tensors;
};

} // namespace kiln::hf

#endif // KILN_FRONTENDS_HUGGINGFACE_SAFETENSORS_H
