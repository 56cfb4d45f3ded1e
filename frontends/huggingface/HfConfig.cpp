//===- HfConfig.cpp - a checkpoint's config.json --------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/HfConfig.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;
using namespace kiln::hf;

Expected<HfConfig> HfConfig::load(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return createStringError(
        inconvertibleErrorCode(),
        "'" + path + "' cannot be read: " + buffer.getError().message());
  return parse(path, (*buffer)->getBuffer());
}

Expected<HfConfig> HfConfig::parse(StringRef path, StringRef text) {
  Expected<json::Value> value = json::parse(text);
  if (!value)
    return createStringError(
        inconvertibleErrorCode(),
        "'" + path + "' is not valid JSON: " + toString(value.takeError()));
  json::Object *object = value->getAsObject();
  if (!object)
    return createStringError(inconvertibleErrorCode(),
                             "'" + path + "' is not a JSON object");
  HfConfig config;
  config.file = path.str();
  config.root = std::move(*object);
  if (std::optional<StringRef> type = config.root.getString("model_type"))
    config.type = type->str();
  return config;
}

Error HfConfig::error(StringRef key, const Twine &what) const {
  return createStringError(inconvertibleErrorCode(),
                           "'" + file + "': \"" + key + "\" " + what);
}

/// Reads `key` with `convert` (nullopt: not of the field's kind, `what`
/// says which), or `fallback` when the key is absent or null.
template <typename T, typename Convert>
static Expected<T> readField(const HfConfig &config, const json::Object &object,
                             StringRef key, std::optional<T> fallback,
                             StringRef what, Convert convert) {
  const json::Value *value = object.get(key);
  if (!value || value->kind() == json::Value::Null) {
    if (fallback)
      return *fallback;
    return config.error(key, "is missing");
  }
  std::optional<T> v = convert(*value);
  if (!v)
    return config.error(key, "is not " + what);
  return *v;
}

Expected<int64_t> HfConfig::positive(StringRef key,
                                     std::optional<int64_t> fallback) const {
  return readField<int64_t>(*this, root, key, fallback, "a positive integer",
                            [](const json::Value &v) -> std::optional<int64_t> {
                              std::optional<int64_t> i = v.getAsInteger();
                              return i && *i > 0 ? i : std::nullopt;
                            });
}

Expected<double> HfConfig::number(StringRef key,
                                  std::optional<double> fallback) const {
  return readField<double>(
      *this, root, key, fallback, "a number",
      [](const json::Value &v) { return v.getAsNumber(); });
}

Expected<std::string>
HfConfig::string(StringRef key, std::optional<std::string> fallback) const {
  return readField<std::string>(
      *this, root, key, fallback, "a string",
      [](const json::Value &v) -> std::optional<std::string> {
        if (std::optional<StringRef> s = v.getAsString())
          return s->str();
        return std::nullopt;
      });
}

Expected<bool> HfConfig::boolean(StringRef key, bool fallback) const {
  return readField<bool>(*this, root, key, fallback, "a boolean",
                         [](const json::Value &v) { return v.getAsBoolean(); });
}

Expected<const json::Object *> HfConfig::object(StringRef key) const {
  const json::Value *value = root.get(key);
  if (!value || value->kind() == json::Value::Null)
    return nullptr;
  if (const json::Object *o = value->getAsObject())
    return o;
  return error(key, "is not an object");
}
