//===- GgufFile.h - memory-mapped GGUF files --------------------*- C++ -*-===//
//
// Part of kiln. Reads llama.cpp's GGUF files (version 2 and 3): a header,
// typed key/value metadata (the architecture's hyperparameters, the
// tokenizer, the chat template), tensor descriptions, then the aligned
// tensor data. The file is memory-mapped; tensors are views into it, and
// every size and offset is checked against the file before use.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_GGUF_GGUFFILE_H
#define KILN_FRONTENDS_GGUF_GGUFFILE_H

#include "frontends/huggingface/Safetensors.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kiln::gguf {

/// ggml's tensor types that kiln reads (ggml.h's ggml_type values).
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q8_0 = 8,
  BF16 = 30,
};

/// The name of ggml type `type` ("Q4_K" for one kiln does not read, or
/// "type N" for one unknown).
std::string typeName(uint32_t type);

/// A metadata value: an integer (any width, bool as 0/1), a float, a
/// string, or an array of one of these.
struct Value {
  std::variant<int64_t, double, std::string, std::vector<int64_t>,
               std::vector<double>, std::vector<std::string>>
      v;
};

/// One tensor: its name, dims (ne0 first: the contiguous dim first, the
/// reverse of a row-major shape), type, and bytes in the file.
struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;
  uint32_t type = 0;
  llvm::ArrayRef<char> bytes;
  int64_t numElements() const;
  /// The row-major shape: dims reversed.
  std::vector<int64_t> shape() const;
};

class File {
public:
  /// Maps and parses `path`; errors name the file and what is wrong (a bad
  /// magic or version, a truncated table, a tensor outside the data).
  static llvm::Expected<File> open(llvm::StringRef path);
  /// Parses a file already in memory (tests, fuzzing).
  static llvm::Expected<File> parse(std::shared_ptr<hf::MappedFile> file);

  uint32_t version() const { return fileVersion; }
  const std::string &path() const { return mapping->path; }
  /// Keeps the mapping alive for views of the tensors.
  const std::shared_ptr<hf::MappedFile> &mapped() const { return mapping; }

  const Value *lookup(llvm::StringRef key) const;
  /// Typed metadata: the value of `key`, or an error naming the key when
  /// it is missing (and there is no fallback) or of another type.
  llvm::Expected<int64_t> integer(llvm::StringRef key,
                                  std::optional<int64_t> fallback = {}) const;
  llvm::Expected<double> number(llvm::StringRef key,
                                std::optional<double> fallback = {}) const;
  llvm::Expected<std::string>
  string(llvm::StringRef key,
         std::optional<std::string> fallback = {}) const;
  llvm::Expected<const std::vector<std::string> *>
  strings(llvm::StringRef key) const;
  llvm::Expected<const std::vector<int64_t> *>
  integers(llvm::StringRef key) const;

  const std::vector<TensorInfo> &tensors() const { return tensorList; }
  const TensorInfo *tensor(llvm::StringRef name) const;

  /// An error prefixed with the file's path.
  llvm::Error error(const llvm::Twine &message) const;

private:
  std::shared_ptr<hf::MappedFile> mapping;
  uint32_t fileVersion = 0;
  llvm::StringMap<Value> metadata;
  std::vector<TensorInfo> tensorList;
  llvm::StringMap<size_t> tensorIndex;
};

} // namespace kiln::gguf

#endif // KILN_FRONTENDS_GGUF_GGUFFILE_H
