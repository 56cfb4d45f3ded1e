//===- Tokenizer.cpp - reading tokenizer.json, shared pieces --------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "tokenizers/TokenizerSupport.h"

#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace llvm;
using namespace kiln::tok;

Error kiln::tok::fail(StringRef path, const Twine &what) {
  return createStringError(inconvertibleErrorCode(), "'" + path + "': " + what);
}

/// UTF-8 to code points; an invalid byte reads as U+FFFD.
std::u32string kiln::tok::decodeUtf8(StringRef s) {
  std::u32string out;
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    unsigned len = c < 0x80         ? 1
                   : (c >> 5) == 6  ? 2
                   : (c >> 4) == 14 ? 3
                   : (c >> 3) == 30 ? 4
                                    : 0;
    char32_t cp = len == 1   ? c
                  : len == 2 ? c & 0x1f
                  : len == 3 ? c & 0x0f
                             : c & 0x07;
    bool ok = len && i + len <= n;
    for (unsigned k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xc0) == 0x80;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    static const char32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= minimum[len] && cp <= 0x10ffff &&
         !(cp >= 0xd800 && cp <= 0xdfff);
    out.push_back(ok ? cp : 0xfffd);
    i += ok ? len : 1;
  }
  return out;
}

void kiln::tok::appendUtf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | c >> 6);
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | c >> 12);
    out += static_cast<char>(0x80 | (c >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | c >> 18);
    out += static_cast<char>(0x80 | (c >> 12 & 0x3f));
    out += static_cast<char>(0x80 | (c >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

std::string kiln::tok::encodeUtf8(const std::u32string &s) {
  std::string out;
  for (char32_t c : s)
    appendUtf8(out, c);
  return out;
}

Error kiln::tok::readVocab(StringRef path, const json::Object &vocab,
                           StringMap<int32_t> &ids,
                           std::vector<std::string> &tokens) {
  for (const auto &[token, id] : vocab) {
    std::optional<int64_t> i = id.getAsInteger();
    if (!i || *i < 0 || *i > (1 << 24))
      return fail(path, "vocab entry '" + token.str() + "' has no valid id");
    ids[token] = static_cast<int32_t>(*i);
    if (tokens.size() <= static_cast<size_t>(*i))
      tokens.resize(*i + 1);
    tokens[*i] = token.str();
  }
  return Error::success();
}

std::vector<AddedToken> kiln::tok::readAddedTokens(const json::Object &root) {
  std::vector<AddedToken> added;
  if (const json::Array *tokens = root.getArray("added_tokens"))
    for (const json::Value &v : *tokens) {
      const json::Object *o = v.getAsObject();
      std::optional<StringRef> content =
          o ? o->getString("content") : std::nullopt;
      std::optional<int64_t> id = o ? o->getInteger("id") : std::nullopt;
      if (content && id && !content->empty())
        added.push_back({decodeUtf8(*content), static_cast<int32_t>(*id),
                         o->getBoolean("special").value_or(false)});
    }
  std::stable_sort(added.begin(), added.end(),
                   [](const AddedToken &a, const AddedToken &b) {
                     return a.content.size() > b.content.size();
                   });
  return added;
}

const AddedToken *VocabularyTokenizer::addedToken(int32_t id) const {
  for (const AddedToken &a : added)
    if (a.id == id)
      return &a;
  return nullptr;
}

std::optional<int32_t> VocabularyTokenizer::find(StringRef token) const {
  std::u32string wide = decodeUtf8(token);
  for (const AddedToken &a : added)
    if (a.content == wide)
      return a.id;
  auto it = vocab.find(token);
  if (it != vocab.end())
    return it->second;
  return std::nullopt;
}

std::vector<int32_t>
VocabularyTokenizer::withSpecialTokens(ArrayRef<int32_t> ids) const {
  std::vector<int32_t> out = prefix;
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), suffix.begin(), suffix.end());
  return out;
}

Error VocabularyTokenizer::readPostProcessor(StringRef path,
                                             const json::Object &root) {
  prefix.clear();
  suffix.clear();
  if (const json::Object *post = root.getObject("post_processor"))
    return readProcessor(path, *post);
  return Error::success();
}

Error VocabularyTokenizer::readProcessor(StringRef path,
                                         const json::Object &processor) {
  StringRef type = processor.getString("type").value_or("?");
  if (type == "ByteLevel")
    return Error::success();
  if (type == "Sequence") {
    const json::Array *steps = processor.getArray("processors");
    if (!steps)
      return fail(path, "the post_processor Sequence has no \"processors\"");
    for (const json::Value &step : *steps) {
      const json::Object *o = step.getAsObject();
      if (!o)
        return fail(path, "a post_processor step is not an object");
      if (Error e = readProcessor(path, *o))
        return e;
    }
    return Error::success();
  }
  // BertProcessing and RobertaProcessing: cls $A sep, each a
  // [token, id] pair.
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto id = [&](StringRef key) -> std::optional<int32_t> {
      const json::Array *pair = processor.getArray(key);
      if (!pair || pair->size() != 2)
        return std::nullopt;
      std::optional<int64_t> v = (*pair)[1].getAsInteger();
      return v ? std::optional<int32_t>(*v) : std::nullopt;
    };
    std::optional<int32_t> cls = id("cls"), sep = id("sep");
    if (!cls || !sep)
      return fail(path, type + " needs \"cls\" and \"sep\" as [token, id]");
    prefix = {*cls};
    suffix = {*sep};
    return Error::success();
  }
  if (type != "TemplateProcessing")
    return fail(path, "post_processor '" + type +
                          "': kiln reads TemplateProcessing, BertProcessing, "
                          "RobertaProcessing, ByteLevel and Sequences of them");
  // The single-sequence template: the special tokens before and after $A,
  // their ids from "special_tokens" (or, without one, the vocab).
  const json::Array *single = processor.getArray("single");
  if (!single)
    return fail(path, "TemplateProcessing has no \"single\" template");
  const json::Object *specials = processor.getObject("special_tokens");
  bool seenSequence = false;
  std::vector<int32_t> before, after;
  for (const json::Value &piece : *single) {
    const json::Object *o = piece.getAsObject();
    if (o && o->getObject("Sequence")) {
      seenSequence = true;
      continue;
    }
    const json::Object *special = o ? o->getObject("SpecialToken") : nullptr;
    std::optional<StringRef> name =
        special ? special->getString("id") : std::nullopt;
    if (!name)
      return fail(path, "the post_processor's template has a piece that is "
                        "neither a Sequence nor a SpecialToken");
    std::vector<int32_t> &into = seenSequence ? after : before;
    const json::Object *entry = specials ? specials->getObject(*name) : nullptr;
    const json::Array *ids = entry ? entry->getArray("ids") : nullptr;
    if (ids) {
      for (const json::Value &v : *ids) {
        std::optional<int64_t> i = v.getAsInteger();
        if (!i)
          return fail(path,
                      "special token '" + *name + "' has a non-integer id");
        into.push_back(static_cast<int32_t>(*i));
      }
      continue;
    }
    auto found = vocab.find(*name);
    if (found == vocab.end())
      return fail(path, "the post_processor's template names special token '" +
                            *name + "', which is not in the vocab");
    into.push_back(found->second);
  }
  prefix = std::move(before);
  suffix = std::move(after);
  return Error::success();
}

void kiln::tok::forEachSegment(
    const std::u32string &s, const std::vector<AddedToken> &added,
    function_ref<void(const std::u32string &)> onText,
    std::vector<int32_t> &ids) {
  size_t from = 0;
  while (from <= s.size()) {
    size_t best = std::u32string::npos;
    const AddedToken *match = nullptr;
    for (const AddedToken &a : added) {
      size_t at = s.find(a.content, from);
      if (at < best) {
        best = at;
        match = &a;
      }
    }
    onText(s.substr(from, best == std::u32string::npos ? s.npos : best - from));
    if (!match)
      break;
    ids.push_back(match->id);
    from = best + match->content.size();
  }
}

Expected<std::unique_ptr<Tokenizer>> Tokenizer::parse(StringRef path,
                                                      StringRef text) {
  Expected<json::Value> value = json::parse(text);
  if (!value)
    return fail(path, "not valid JSON: " + toString(value.takeError()));
  const json::Object *root = value->getAsObject();
  const json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model)
    return fail(path, "no \"model\" object (not a tokenizer.json?)");
  StringRef type = model->getString("type").value_or("");
  if (type == "WordPiece")
    return createWordPiece(path, *root);
  if (type == "BPE")
    return createBpe(path, *root);
  return fail(path, "model type '" + type +
                        "': kiln's tokenizers read WordPiece and BPE");
}

Expected<std::unique_ptr<Tokenizer>> Tokenizer::load(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return fail(path, "cannot be read: " + buffer.getError().message());
  return parse(path, (*buffer)->getBuffer());
}
