//===- Bpe.cpp - byte-level BPE (GPT-2 and its descendants) ---------------===//
//
// Part of kiln. Hugging Face `tokenizers`' byte-level BPE, step for step:
// added tokens split from the raw text; the ByteLevel pre-tokenizer (an
// optional prefix space, GPT-2's split regex written out by hand, each
// byte of a piece mapped to its printable stand-in); BPE (the adjacent
// pair of lowest merge rank merged first, leftmost on ties; with
// ignore_merges a piece already in the vocab is taken whole).
//
//===----------------------------------------------------------------------===//

#include "tokenizers/TokenizerSupport.h"

#include "llvm/ADT/StringMap.h"

#include <unicode/uchar.h>

#include <climits>
#include <map>

using namespace llvm;
using namespace kiln::tok;

namespace {

bool isLetter(char32_t c) { return U_GET_GC_MASK(c) & U_GC_L_MASK; }
bool isNumber(char32_t c) { return U_GET_GC_MASK(c) & U_GC_N_MASK; }
bool isSpace(char32_t c) { return u_isUWhiteSpace(c); }

/// GPT-2's pre-tokenization: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
/// ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+, tried in that order at each position.
std::vector<std::u32string> splitGpt2(const std::u32string &s) {
  std::vector<std::u32string> pieces;
  size_t i = 0, n = s.size();
  auto run = [&](size_t from, auto pred) {
    size_t j = from;
    while (j < n && pred(s[j]))
      ++j;
    return j;
  };
  while (i < n) {
    size_t end = i;
    if (s[i] == '\'') {
      for (const char32_t *c : {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"}) {
        std::u32string suffix(c);
        if (s.compare(i + 1, suffix.size(), suffix) == 0) {
          end = i + 1 + suffix.size();
          break;
        }
      }
    }
    if (end == i) {
      size_t start = s[i] == ' ' && i + 1 < n ? i + 1 : i;
      auto other = [](char32_t c) {
        return !isSpace(c) && !isLetter(c) && !isNumber(c);
      };
      if (isLetter(s[start]))
        end = run(start, isLetter);
      else if (isNumber(s[start]))
        end = run(start, isNumber);
      else if (other(s[start]))
        end = run(start, other);
    }
    if (end == i) {
      // Whitespace: a run, less its last character when something other
      // than whitespace follows (that character may open the next piece).
      size_t stop = run(i, isSpace);
      end = stop < n && stop - i > 1 ? stop - 1 : stop;
    }
    pieces.push_back(s.substr(i, end - i));
    i = end;
  }
  return pieces;
}

/// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the
/// others for 256, 257, ... in byte order.
std::vector<std::string> byteStandIns() {
  std::vector<std::string> table(256);
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
                     (b >= 174 && b <= 255);
    appendUtf8(table[b], printable ? static_cast<char32_t>(b) : next++);
  }
  return table;
}

class BpeTokenizer : public VocabularyTokenizer {
public:
  static Expected<std::unique_ptr<Tokenizer>> create(StringRef path,
                                                     const json::Object &root);
  std::vector<int32_t> encode(StringRef text,
                              bool addSpecialTokens) const override;
  std::string decode(ArrayRef<int32_t> ids,
                     bool skipSpecialTokens) const override;

private:
  void encodePiece(const std::u32string &piece,
                   std::vector<int32_t> &ids) const;

  StringMap<int32_t> ranks;
  std::vector<std::string> standIns = byteStandIns();
  /// The inverse of standIns: stand-in character -> byte.
  std::map<char32_t, uint8_t> standInBytes = [this] {
    std::map<char32_t, uint8_t> inverse;
    for (int b = 0; b < 256; ++b)
      inverse[decodeUtf8(standIns[b])[0]] = static_cast<uint8_t>(b);
    return inverse;
  }();
  int32_t unk = -1;
  bool prefixSpace = false, ignoreMerges = false, individualDigits = false;
};

std::string BpeTokenizer::decode(ArrayRef<int32_t> ids,
                                 bool skipSpecialTokens) const {
  // The ByteLevel decoder: each stand-in character back to its byte; added
  // tokens are their content as is.
  std::string bytes;
  for (int32_t id : ids) {
    if (const AddedToken *a = addedToken(id)) {
      if (!(skipSpecialTokens && a->special))
        for (char32_t c : a->content)
          appendUtf8(bytes, c);
      continue;
    }
    if (id < 0 || static_cast<size_t>(id) >= tokens.size())
      continue;
    for (char32_t c : decodeUtf8(tokens[id])) {
      auto byte = standInBytes.find(c);
      if (byte != standInBytes.end())
        bytes += static_cast<char>(byte->second);
      else
        appendUtf8(bytes, c);
    }
  }
  return bytes;
}

Expected<std::unique_ptr<Tokenizer>>
BpeTokenizer::create(StringRef path, const json::Object &root) {
  auto t = std::make_unique<BpeTokenizer>();
  const json::Object *model = root.getObject("model");
  const json::Object *vocab = model->getObject("vocab");
  const json::Array *merges = model->getArray("merges");
  if (!vocab || !merges)
    return fail(path, "the BPE model needs \"vocab\" and \"merges\"");
  if (Error e = readVocab(path, *vocab, t->vocab, t->tokens))
    return std::move(e);
  for (auto [rank, merge] : llvm::enumerate(*merges)) {
    std::string key;
    if (std::optional<StringRef> text = merge.getAsString()) {
      key = text->str();
    } else if (const json::Array *pair = merge.getAsArray();
               pair && pair->size() == 2 && (*pair)[0].getAsString() &&
               (*pair)[1].getAsString()) {
      key = (*(*pair)[0].getAsString() + " " + *(*pair)[1].getAsString()).str();
    }
    if (StringRef(key).count(' ') != 1)
      return fail(path, "merge " + Twine(rank) + " is not a pair of tokens");
    t->ranks.try_emplace(key, static_cast<int32_t>(rank));
  }
  if (model->getBoolean("byte_fallback").value_or(false))
    return fail(path, "BPE with byte_fallback (SentencePiece style) is not "
                      "read by kiln yet");
  t->ignoreMerges = model->getBoolean("ignore_merges").value_or(false);
  if (std::optional<StringRef> unk = model->getString("unk_token")) {
    auto it = t->vocab.find(*unk);
    if (it != t->vocab.end())
      t->unk = it->second;
  }
  const json::Object *pre = root.getObject("pre_tokenizer");
  // SmolLM's: a Sequence of Digits (each digit its own piece), then
  // ByteLevel.
  if (pre && pre->getString("type") == StringRef("Sequence")) {
    const json::Array *steps = pre->getArray("pretokenizers");
    const json::Object *digits =
        steps && steps->size() == 2 ? (*steps)[0].getAsObject() : nullptr;
    if (!digits || digits->getString("type") != StringRef("Digits") ||
        !digits->getBoolean("individual_digits").value_or(false))
      return fail(path, "BPE's pre_tokenizer: kiln reads a Sequence only as "
                        "[Digits (individual_digits), ByteLevel]");
    t->individualDigits = true;
    pre = (*steps)[1].getAsObject();
  }
  if (!pre || pre->getString("type") != StringRef("ByteLevel") ||
      !pre->getBoolean("use_regex").value_or(true))
    return fail(path, "BPE's pre_tokenizer: kiln reads ByteLevel with GPT-2's "
                      "split (use_regex)");
  t->prefixSpace = pre->getBoolean("add_prefix_space").value_or(false);
  if (const json::Object *n = root.getObject("normalizer"))
    return fail(path, "normalizer '" + n->getString("type").value_or("?") +
                          "': kiln's byte-level BPE reads none");
  if (Error e = t->readPostProcessor(path, root))
    return std::move(e);
  t->added = readAddedTokens(root);
  return std::unique_ptr<Tokenizer>(std::move(t));
}

void BpeTokenizer::encodePiece(const std::u32string &piece,
                               std::vector<int32_t> &ids) const {
  std::string bytes = encodeUtf8(piece);
  std::vector<std::string> symbols;
  std::string word;
  for (unsigned char b : bytes) {
    symbols.push_back(standIns[b]);
    word += standIns[b];
  }
  auto whole = vocab.find(word);
  if (ignoreMerges && whole != vocab.end()) {
    ids.push_back(whole->second);
    return;
  }
  while (symbols.size() > 1) {
    int32_t best = INT32_MAX;
    size_t at = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = ranks.find(symbols[i] + " " + symbols[i + 1]);
      if (it != ranks.end() && it->second < best) {
        best = it->second;
        at = i;
      }
    }
    if (best == INT32_MAX)
      break;
    symbols[at] += symbols[at + 1];
    symbols.erase(symbols.begin() + at + 1);
  }
  for (const std::string &s : symbols) {
    auto it = vocab.find(s);
    if (it != vocab.end())
      ids.push_back(it->second);
    else if (unk >= 0)
      ids.push_back(unk);
  }
}

std::vector<int32_t> BpeTokenizer::encode(StringRef text,
                                          bool addSpecialTokens) const {
  std::vector<int32_t> ids;
  forEachSegment(
      decodeUtf8(text), added,
      [&](const std::u32string &segment) {
        if (segment.empty())
          return;
        std::u32string s = segment;
        if (prefixSpace && s[0] != ' ')
          s.insert(s.begin(), U' ');
        // Digits first, each digit alone; GPT-2's split on what is between.
        auto split = [&](const std::u32string &stretch) {
          for (const std::u32string &piece : splitGpt2(stretch))
            encodePiece(piece, ids);
        };
        if (!individualDigits)
          return split(s);
        size_t from = 0;
        for (size_t i = 0; i <= s.size(); ++i) {
          if (i < s.size() && !isNumber(s[i]))
            continue;
          if (i > from)
            split(s.substr(from, i - from));
          if (i < s.size())
            encodePiece(s.substr(i, 1), ids);
          from = i + 1;
        }
      },
      ids);
  return addSpecialTokens ? withSpecialTokens(ids) : ids;
}

} // namespace

Expected<std::unique_ptr<Tokenizer>>
kiln::tok::createBpe(StringRef path, const json::Object &root) {
  return BpeTokenizer::create(path, root);
}
