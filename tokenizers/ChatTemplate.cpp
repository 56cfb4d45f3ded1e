//===- ChatTemplate.cpp - a model's chat prompt and end tokens ------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "tokenizers/ChatTemplate.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>

using namespace llvm;
using namespace kiln::tok;

namespace {

/// A special-token field: a string, or an object with "content".
std::string tokenField(const json::Object &o, StringRef key) {
  const json::Value *v = o.get(key);
  if (!v)
    return "";
  if (std::optional<StringRef> s = v->getAsString())
    return s->str();
  if (const json::Object *obj = v->getAsObject())
    if (std::optional<StringRef> s = obj->getString("content"))
      return s->str();
  return "";
}

/// The system prompt a ChatML template writes when the messages have none
/// (SmolLM2's "You are a helpful AI assistant named SmolLM..."): a string
/// literal "<|im_start|>system\n...<|im_end|>" in the template, or "".
std::string defaultSystemPrompt(StringRef tmpl) {
  for (StringRef newline : {"\\n", "\n"}) {
    std::string opener = ("<|im_start|>system" + newline).str();
    size_t at = tmpl.find(opener);
    if (at == StringRef::npos)
      continue;
    StringRef rest = tmpl.drop_front(at + opener.size());
    size_t end = rest.find("<|im_end|>");
    StringRef text = rest.take_front(end);
    // "system\n' + messages[0]['content']": not a literal.
    if (end == StringRef::npos || text.find_first_of("'\"{}") != StringRef::npos)
      return "";
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
        out += '\n';
        ++i;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  return "";
}

} // namespace

Expected<GenerationConfig> GenerationConfig::load(StringRef path) {
  GenerationConfig config;
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return createStringError("'" + path + "' cannot be read: " +
                             buffer.getError().message());
  Expected<json::Value> parsed = json::parse((*buffer)->getBuffer());
  if (!parsed)
    return createStringError("'" + path + "' is not JSON: " +
                             toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return createStringError("'" + path + "' is not a JSON object");
  config.eosToken = tokenField(*root, "eos_token");
  if (const json::Value *t = root->get("chat_template")) {
    if (std::optional<StringRef> s = t->getAsString())
      config.chatTemplate = s->str();
    // Several named templates: the "default" one.
    else if (const json::Array *named = t->getAsArray())
      for (const json::Value &entry : *named)
        if (const json::Object *o = entry.getAsObject())
          if (o->getString("name") == "default")
            config.chatTemplate = o->getString("template").value_or("").str();
  }
  return config;
}

Expected<std::string> GenerationConfig::renderChat(StringRef prompt,
                                                   StringRef system) const {
  if (chatTemplate.empty())
    return createStringError(
        "the model has no chat template (tokenizer_config.json's "
        "chat_template); give the formatted prompt instead");
  if (chatTemplate.find("<|im_start|>") == std::string::npos)
    return createStringError(
        "kiln renders ChatML chat templates (<|im_start|>role ... "
        "<|im_end|>) and this model's template is another kind; give the "
        "formatted prompt instead");
  std::string sys =
      system.empty() ? defaultSystemPrompt(chatTemplate) : system.str();
  std::string text;
  if (!sys.empty())
    text += "<|im_start|>system\n" + sys + "<|im_end|>\n";
  text += "<|im_start|>user\n" + prompt.str() +
          "<|im_end|>\n<|im_start|>assistant\n";
  return text;
}

std::vector<int32_t> GenerationConfig::stopTokens(const Tokenizer &tokenizer,
                                                  bool chat) const {
  std::vector<int32_t> stops;
  for (const std::string &token :
       {eosToken, std::string(chat ? "<|im_end|>" : "")})
    if (!token.empty())
      if (std::optional<int32_t> id = tokenizer.find(token))
        stops.push_back(*id);
  return stops;
}
