//===- Embed.h - `kiln embed` -----------------------------------*- C++ -*-===//
//
// Part of kiln. Sentence embeddings from a library compiled from a
// sentence-transformers checkpoint folder: texts tokenized by kiln's own
// tokenizer (the folder's tokenizer.json, copied beside the library as
// MODEL.so.tokenizer.json), one batched run, the library's
// sentence_embedding output printed or saved.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_EMBED_H
#define KILN_TOOLS_KILN_EMBED_H

#include "tokenizers/Tokenizer.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln {

struct EmbedOptions {
  std::string library;
  /// The tokenizer.json; empty: LIBRARY.tokenizer.json.
  std::string tokenizer;
  std::vector<std::string> texts;
  /// A file of texts, one per line ('-': stdin).
  std::string textFile;
  /// Writes the [texts, dim] float32 matrix here (.npy) instead of
  /// printing the vectors.
  std::string output;
  /// Tokens per text at most, special tokens included (longer texts are
  /// cut at the end, as tokenizers' truncation does).
  int maxTokens = 256;
  int threads = 0;
};

/// `kiln embed`; returns the exit code.
int embedCommand(const EmbedOptions &options);

/// The tokenizer of a model library: `path`, or LIBRARY.tokenizer.json
/// (which compiling a checkpoint folder or GGUF file writes) when `path` is
/// empty; an error saying where it comes from when it cannot be read.
llvm::Expected<std::unique_ptr<tok::Tokenizer>>
loadLibraryTokenizer(const std::string &library, const std::string &path);

} // namespace kiln

#endif // KILN_TOOLS_KILN_EMBED_H
