//===- Tokenizer.h - text to token ids, as Hugging Face does it -*- C++ -*-===//
//
// Part of kiln. Tokenizers read from a Hugging Face `tokenizer.json` that
// match the `tokenizers` library token for token: today WordPiece (BERT:
// BertNormalizer, BertPreTokenizer, the [CLS] ... [SEP] template). Used by
// the driver's `kiln tokenize` (and the embedding/generation commands to
// come); no MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOKENIZERS_TOKENIZER_H
#define KILN_TOKENIZERS_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::tok {

class Tokenizer {
public:
  virtual ~Tokenizer() = default;

  /// Reads a Hugging Face tokenizer.json; an error naming the file and the
  /// part kiln does not implement (e.g. another model type).
  static llvm::Expected<std::unique_ptr<Tokenizer>> load(llvm::StringRef path);
  /// The same from the file's text (tests, fuzzing).
  static llvm::Expected<std::unique_ptr<Tokenizer>> parse(llvm::StringRef path,
                                                          llvm::StringRef json);

  /// The ids of `text` (UTF-8; invalid bytes read as U+FFFD), with the
  /// post-processor's special tokens when `addSpecialTokens`.
  virtual std::vector<int32_t> encode(llvm::StringRef text,
                                      bool addSpecialTokens = true) const = 0;
  /// `ids` inside the post-processor's special tokens (what encode adds),
  /// for callers that truncate first.
  virtual std::vector<int32_t>
  withSpecialTokens(llvm::ArrayRef<int32_t> ids) const = 0;
  /// The token string of `id` ("" when out of range).
  virtual llvm::StringRef token(int32_t id) const = 0;
  /// The text `ids` stand for, as the tokenizer's decoder gives it:
  /// byte-level BPE maps its stand-in characters back to bytes (so one
  /// token may hold part of a UTF-8 character: decoding token by token and
  /// concatenating gives the same bytes); WordPiece joins words with
  /// spaces and glues "##" pieces. Special tokens ([CLS], <|im_end|>, ...)
  /// are left out when `skipSpecialTokens`; ids out of range always.
  virtual std::string decode(llvm::ArrayRef<int32_t> ids,
                             bool skipSpecialTokens = true) const = 0;
  /// Whether `id` is a special added token (e.g. an end-of-turn marker).
  virtual bool isSpecial(int32_t id) const = 0;
  /// The id of token string `token`, if the vocabulary or the added tokens
  /// have it.
  virtual std::optional<int32_t> find(llvm::StringRef token) const = 0;
  virtual size_t vocabSize() const = 0;
};

} // namespace kiln::tok

#endif // KILN_TOKENIZERS_TOKENIZER_H
