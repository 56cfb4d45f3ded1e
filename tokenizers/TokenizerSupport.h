//===- TokenizerSupport.h - what the tokenizers share -----------*- C++ -*-===//
//
// Part of kiln. Internal to tokenizers/: UTF-8 <-> code points, the added
// tokens of a tokenizer.json (split out of the raw text before anything
// else runs), errors naming the file, and the constructors Tokenizer::parse
// dispatches to by model type.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOKENIZERS_TOKENIZERSUPPORT_H
#define KILN_TOKENIZERS_TOKENIZERSUPPORT_H

#include "tokenizers/Tokenizer.h"

#include "llvm/ADT/FunctionExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace kiln::tok {

llvm::Error fail(llvm::StringRef path, const llvm::Twine &what);

/// UTF-8 to code points; an invalid byte reads as U+FFFD.
std::u32string decodeUtf8(llvm::StringRef s);
void appendUtf8(std::string &out, char32_t c);
std::string encodeUtf8(const std::u32string &s);

/// Reads a model's "vocab" object (token -> id) into `ids` and its
/// inverse `tokens` (id -> token).
llvm::Error readVocab(llvm::StringRef path, const llvm::json::Object &vocab,
                      llvm::StringMap<int32_t> &ids,
                      std::vector<std::string> &tokens);

/// A token of "added_tokens": matched in the raw text as is.
struct AddedToken {
  std::u32string content;
  int32_t id;
  bool special; ///< "special": true (decoding may skip it).
};

/// What the model types share: the vocabulary both ways and the added
/// tokens, and the lookups over them.
class VocabularyTokenizer : public Tokenizer {
public:
  llvm::StringRef token(int32_t id) const override {
    return id >= 0 && static_cast<size_t>(id) < tokens.size()
               ? llvm::StringRef(tokens[id])
               : llvm::StringRef();
  }
  size_t vocabSize() const override { return tokens.size(); }
  bool isSpecial(int32_t id) const override {
    const AddedToken *a = addedToken(id);
    return a && a->special;
  }
  std::optional<int32_t> find(llvm::StringRef token) const override;
  std::vector<int32_t>
  withSpecialTokens(llvm::ArrayRef<int32_t> ids) const override;

protected:
  /// The added token of `id`, if any.
  const AddedToken *addedToken(int32_t id) const;

  /// Reads the tokenizer.json's "post_processor" (after the vocab): the
  /// special tokens its single-sequence form puts around the text.
  /// TemplateProcessing (BERT's, LLaMA 3's BOS), BertProcessing,
  /// RobertaProcessing, ByteLevel (offsets only: no tokens) and Sequences
  /// of them; anything else is an error naming the type.
  llvm::Error readPostProcessor(llvm::StringRef path,
                                const llvm::json::Object &root);

  llvm::StringMap<int32_t> vocab;
  std::vector<std::string> tokens;
  std::vector<AddedToken> added;
  /// The post-processor's special tokens before and after the text.
  std::vector<int32_t> prefix, suffix;

private:
  llvm::Error readProcessor(llvm::StringRef path,
                            const llvm::json::Object &processor);
};

/// The "added_tokens" of a tokenizer.json, longest first (so that one
/// containing another wins).
std::vector<AddedToken> readAddedTokens(const llvm::json::Object &root);

/// Splits `text` at the added tokens: calls `onText` for each stretch
/// between them (possibly empty) and appends each added token's id to `ids`.
void forEachSegment(const std::u32string &text,
                    const std::vector<AddedToken> &added,
                    llvm::function_ref<void(const std::u32string &)> onText,
                    std::vector<int32_t> &ids);

/// The model types, from the parsed tokenizer.json.
llvm::Expected<std::unique_ptr<Tokenizer>>
createWordPiece(llvm::StringRef path, const llvm::json::Object &root);
llvm::Expected<std::unique_ptr<Tokenizer>>
createBpe(llvm::StringRef path, const llvm::json::Object &root);

} // namespace kiln::tok

#endif // KILN_TOKENIZERS_TOKENIZERSUPPORT_H
