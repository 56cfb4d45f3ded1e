//===- HfConfig.h - a checkpoint's config.json ------------------*- C++ -*-===//
//
// Part of kiln. The fields of a Hugging Face `config.json` that the model
// builders read, with errors that name the file and the key.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_HUGGINGFACE_HFCONFIG_H
#define KILN_FRONTENDS_HUGGINGFACE_HFCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::hf {

class HfConfig {
public:
  /// Parses `path` (a config.json); the error names the file.
  static llvm::Expected<HfConfig> load(llvm::StringRef path);
  /// Parses `text` as the config of `path` (for tests and fuzzing).
  static llvm::Expected<HfConfig> parse(llvm::StringRef path,
                                        llvm::StringRef text);

  /// "model_type" ("bert", "llama", ...), or "" when absent.
  llvm::StringRef modelType() const { return type; }
  const std::string &path() const { return file; }

  /// A positive integer field; an error naming the key when it is missing
  /// (and has no default) or not a positive integer.
  llvm::Expected<int64_t> positive(llvm::StringRef key,
                                   std::optional<int64_t> fallback = {}) const;
  /// A number field (or `fallback`).
  llvm::Expected<double> number(llvm::StringRef key,
                                std::optional<double> fallback = {}) const;
  /// A string field (or `fallback`).
  llvm::Expected<std::string>
  string(llvm::StringRef key, std::optional<std::string> fallback = {}) const;
  /// A boolean field (or `fallback`).
  llvm::Expected<bool> boolean(llvm::StringRef key, bool fallback) const;
  /// An object field, or null when it is absent or JSON null (an error when
  /// it is something else).
  llvm::Expected<const llvm::json::Object *>
  object(llvm::StringRef key) const;
  /// An error about `key` in this config.
  llvm::Error error(llvm::StringRef key, const llvm::Twine &what) const;

private:
  std::string file, type;
  llvm::json::Object root;
};

} // namespace kiln::hf

#endif // KILN_FRONTENDS_HUGGINGFACE_HFCONFIG_H
