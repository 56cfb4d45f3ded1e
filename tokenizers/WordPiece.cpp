//===- WordPiece.cpp - BERT's WordPiece tokenizer -------------------------===//
//
// Part of kiln. Hugging Face `tokenizers`' pipeline for BERT, step for
// step: added tokens are split out of the raw text; BertNormalizer (clean
// text: controls dropped, whitespace to ' '; spaces around CJK ideographs;
// accents stripped (NFD, then no nonspacing marks); lowercase, a code
// point at a time); BertPreTokenizer (split at whitespace, punctuation
// isolated); WordPiece (greedy longest match, "##" continuations, [UNK]
// for a word with no split or longer than max_input_chars_per_word); the
// TemplateProcessing post-processor's special tokens. Unicode properties
// come from ICU.
//
//===----------------------------------------------------------------------===//

#include "tokenizers/TokenizerSupport.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>

using namespace llvm;
using namespace kiln::tok;

namespace {

bool isBertWhitespace(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || u_isUWhiteSpace(c);
}

/// Controls as `tokenizers` sees them: Cc, Cf, Co, Cs (its Unicode tables
/// have no Cn, so unassigned code points stay), tabs and newlines excepted.
bool isBertControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r')
    return false;
  return U_GET_GC_MASK(c) &
         (U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CO_MASK | U_GC_CS_MASK);
}

bool isBertPunctuation(char32_t c) {
  bool ascii = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
               (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return ascii || (U_GET_GC_MASK(c) & U_GC_P_MASK);
}

bool isChineseChar(char32_t c) {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
         (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2b73f) ||
         (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b920 && c <= 0x2ceaf) ||
         (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
}

/// NFD of `s` (ICU works in UTF-16).
std::u32string decompose(const std::u32string &s) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2 *nfd = unorm2_getNFDInstance(&status);
  std::u16string in;
  for (char32_t c : s) {
    if (c < 0x10000) {
      in += static_cast<char16_t>(c);
    } else {
      in += static_cast<char16_t>(U16_LEAD(c));
      in += static_cast<char16_t>(U16_TRAIL(c));
    }
  }
  std::u16string out(in.size() * 4 + 16, u'\0');
  int32_t len = unorm2_normalize(
      nfd, reinterpret_cast<const UChar *>(in.data()),
      static_cast<int32_t>(in.size()), reinterpret_cast<UChar *>(out.data()),
      static_cast<int32_t>(out.size()), &status);
  if (U_FAILURE(status))
    return s;
  std::u32string result;
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U16_NEXT(out.data(), i, len, c);
    result.push_back(static_cast<char32_t>(c));
  }
  return result;
}

/// Full lowercase mapping of one code point (may be several).
void appendLower(std::u32string &out, char32_t c) {
  UChar in[2], lower[8];
  int32_t n = 0;
  U16_APPEND_UNSAFE(in, n, c);
  UErrorCode status = U_ZERO_ERROR;
  int32_t len = u_strToLower(lower, 8, in, n, "", &status);
  if (U_FAILURE(status)) {
    out.push_back(c);
    return;
  }
  for (int32_t i = 0; i < len;) {
    UChar32 l;
    U16_NEXT(lower, i, len, l);
    out.push_back(static_cast<char32_t>(l));
  }
}

class WordPieceTokenizer : public VocabularyTokenizer {
public:
  static Expected<std::unique_ptr<Tokenizer>> create(StringRef path,
                                                     const json::Object &root);

  std::vector<int32_t> encode(StringRef text,
                              bool addSpecialTokens) const override;
  std::string decode(ArrayRef<int32_t> ids,
                     bool skipSpecialTokens) const override;

private:
  std::u32string normalize(const std::u32string &text) const;
  void wordPiece(const std::u32string &word, std::vector<int32_t> &ids) const;
  void encodeSegment(const std::u32string &text,
                     std::vector<int32_t> &ids) const;

  std::string continuing = "##";
  int32_t unk = -1;
  int64_t maxChars = 100;
  bool cleanText = true, chineseChars = true, stripAccents = true,
       lowercase = true;
};

Expected<std::unique_ptr<Tokenizer>>
WordPieceTokenizer::create(StringRef path, const json::Object &root) {
  auto t = std::make_unique<WordPieceTokenizer>();
  const json::Object *model = root.getObject("model");
  const json::Object *vocab = model ? model->getObject("vocab") : nullptr;
  if (!vocab)
    return fail(path, "the WordPiece model has no \"vocab\" object");
  if (Error e = readVocab(path, *vocab, t->vocab, t->tokens))
    return std::move(e);
  if (std::optional<StringRef> p =
          model->getString("continuing_subword_prefix"))
    t->continuing = p->str();
  if (std::optional<int64_t> m = model->getInteger("max_input_chars_per_word"))
    t->maxChars = *m;
  StringRef unkToken = model->getString("unk_token").value_or("[UNK]");
  auto it = t->vocab.find(unkToken);
  if (it == t->vocab.end())
    return fail(path, "the unk_token '" + unkToken + "' is not in the vocab");
  t->unk = it->second;

  if (const json::Object *n = root.getObject("normalizer")) {
    if (n->getString("type") != StringRef("BertNormalizer"))
      return fail(path, "normalizer '" + n->getString("type").value_or("?") +
                            "': kiln's WordPiece reads BertNormalizer");
    t->cleanText = n->getBoolean("clean_text").value_or(true);
    t->chineseChars = n->getBoolean("handle_chinese_chars").value_or(true);
    t->lowercase = n->getBoolean("lowercase").value_or(true);
    t->stripAccents = n->getBoolean("strip_accents").value_or(t->lowercase);
  } else {
    t->cleanText = t->chineseChars = t->stripAccents = t->lowercase = false;
  }
  if (const json::Object *pre = root.getObject("pre_tokenizer"))
    if (pre->getString("type") != StringRef("BertPreTokenizer"))
      return fail(path, "pre_tokenizer '" +
                            pre->getString("type").value_or("?") +
                            "': kiln's WordPiece reads BertPreTokenizer");

  t->added = readAddedTokens(root);

  if (Error e = t->readPostProcessor(path, root))
    return std::move(e);
  return std::unique_ptr<Tokenizer>(std::move(t));
}

std::u32string WordPieceTokenizer::normalize(const std::u32string &text) const {
  std::u32string s;
  for (char32_t c : text) {
    if (cleanText) {
      if (c == 0 || c == 0xfffd || isBertControl(c))
        continue;
      if (isBertWhitespace(c))
        c = ' ';
    }
    if (chineseChars && isChineseChar(c)) {
      s += U' ';
      s += c;
      s += U' ';
    } else {
      s += c;
    }
  }
  if (stripAccents) {
    std::u32string kept;
    for (char32_t c : decompose(s))
      if (u_charType(c) != U_NON_SPACING_MARK)
        kept += c;
    s = std::move(kept);
  }
  if (lowercase) {
    std::u32string lower;
    for (char32_t c : s)
      appendLower(lower, c);
    s = std::move(lower);
  }
  return s;
}

void WordPieceTokenizer::wordPiece(const std::u32string &word,
                                   std::vector<int32_t> &ids) const {
  if (static_cast<int64_t>(word.size()) > maxChars) {
    ids.push_back(unk);
    return;
  }
  std::vector<int32_t> pieces;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    int32_t found = -1;
    for (; end > start; --end) {
      std::string piece = start ? continuing : "";
      for (size_t i = start; i < end; ++i)
        appendUtf8(piece, word[i]);
      auto it = vocab.find(piece);
      if (it != vocab.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      ids.push_back(unk);
      return;
    }
    pieces.push_back(found);
    start = end;
  }
  ids.insert(ids.end(), pieces.begin(), pieces.end());
}

void WordPieceTokenizer::encodeSegment(const std::u32string &text,
                                       std::vector<int32_t> &ids) const {
  // BertPreTokenizer: whitespace separates words and is dropped;
  // punctuation is a word of its own.
  std::u32string word;
  auto flush = [&] {
    if (!word.empty())
      wordPiece(word, ids);
    word.clear();
  };
  for (char32_t c : normalize(text)) {
    if (u_isUWhiteSpace(c) || c == '\t' || c == '\n' || c == '\r') {
      flush();
    } else if (isBertPunctuation(c)) {
      flush();
      word = c;
      flush();
    } else {
      word += c;
    }
  }
  flush();
}

std::vector<int32_t> WordPieceTokenizer::encode(StringRef text,
                                                bool addSpecialTokens) const {
  std::vector<int32_t> ids;
  forEachSegment(
      decodeUtf8(text), added,
      [&](const std::u32string &segment) { encodeSegment(segment, ids); }, ids);
  return addSpecialTokens ? withSpecialTokens(ids) : ids;
}

} // namespace

std::string WordPieceTokenizer::decode(ArrayRef<int32_t> ids,
                                       bool skipSpecialTokens) const {
  // As the WordPiece decoder: words joined by spaces, "##" pieces glued to
  // the word before.
  std::string text;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokens.size() ||
        (skipSpecialTokens && isSpecial(id)))
      continue;
    StringRef t = tokens[id];
    if (t.starts_with(continuing) && !text.empty())
      text += t.drop_front(continuing.size());
    else
      text += (text.empty() ? "" : " ") + t.str();
  }
  return text;
}

Expected<std::unique_ptr<Tokenizer>>
kiln::tok::createWordPiece(StringRef path, const json::Object &root) {
  return WordPieceTokenizer::create(path, root);
}
