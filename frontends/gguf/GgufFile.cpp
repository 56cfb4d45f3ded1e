//===- GgufFile.cpp - memory-mapped GGUF files ----------------------------===//
//
// Part of kiln. The layout (llama.cpp's docs/gguf.md), all little-endian:
//
//   u32 magic "GGUF", u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x { string key, u32 type, value },
//   tensor_count x { string name, u32 n_dims, u64 dims[n_dims], u32 type,
//                    u64 offset (from the data's start) },
//   padding to general.alignment (default 32), the data.
//
// A string is a u64 length and its bytes; an array a u32 element type, a
// u64 count and the elements.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GgufFile.h"

#include "llvm/ADT/StringExtras.h"

#include <cstring>

using namespace llvm;
using namespace kiln::gguf;

namespace {

enum ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

/// Block size (elements) and bytes per block of a tensor type kiln reads.
std::optional<std::pair<int64_t, int64_t>> blockLayout(uint32_t type) {
  switch (static_cast<TensorType>(type)) {
  case TensorType::F32:
    return std::make_pair(1, 4);
  case TensorType::F16:
  case TensorType::BF16:
    return std::make_pair(1, 2);
  case TensorType::Q4_0:
    return std::make_pair(32, 18);
  case TensorType::Q4_1:
    return std::make_pair(32, 20);
  case TensorType::Q8_0:
    return std::make_pair(32, 34);
  }
  return std::nullopt;
}

/// A bounds-checked cursor over the file's bytes.
class Reader {
public:
  Reader(ArrayRef<char> bytes) : bytes(bytes) {}
  size_t offset() const { return at; }
  bool failed() const { return bad; }

  template <typename T> T read() {
    T value{};
    if (bad || bytes.size() - at < sizeof(T)) {
      bad = true;
      return value;
    }
    std::memcpy(&value, bytes.data() + at, sizeof(T));
    at += sizeof(T);
    return value;
  }
  std::string string() {
    uint64_t length = read<uint64_t>();
    if (bad || length > bytes.size() - at) {
      bad = true;
      return "";
    }
    std::string s(bytes.data() + at, length);
    at += length;
    return s;
  }

private:
  ArrayRef<char> bytes;
  size_t at = 0;
  bool bad = false;
};

/// Reads one scalar of `type` as an integer, a float or a string.
std::variant<int64_t, double, std::string> readScalar(Reader &r,
                                                      uint32_t type,
                                                      bool &ok) {
  switch (type) {
  case U8: return int64_t(r.read<uint8_t>());
  case I8: return int64_t(r.read<int8_t>());
  case U16: return int64_t(r.read<uint16_t>());
  case I16: return int64_t(r.read<int16_t>());
  case U32: return int64_t(r.read<uint32_t>());
  case I32: return int64_t(r.read<int32_t>());
  case BOOL: return int64_t(r.read<uint8_t>() != 0);
  case U64: return int64_t(r.read<uint64_t>());
  case I64: return r.read<int64_t>();
  case F32: return double(r.read<float>());
  case F64: return r.read<double>();
  case STRING: return r.string();
  default:
    ok = false;
    return int64_t(0);
  }
}

} // namespace

std::string kiln::gguf::typeName(uint32_t type) {
  static const char *names[] = {
      "F32",  "F16",  "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1",
      "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"};
  if (type < std::size(names))
    return names[type];
  if (type == 30)
    return "BF16";
  return "type " + std::to_string(type);
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::vector<int64_t> TensorInfo::shape() const {
  return std::vector<int64_t>(dims.rbegin(), dims.rend());
}

Error File::error(const Twine &message) const {
  return createStringError("'" + mapping->path + "': " + message);
}

Expected<File> File::open(StringRef path) {
  Expected<std::shared_ptr<hf::MappedFile>> mapped =
      hf::MappedFile::open(path);
  if (!mapped)
    return mapped.takeError();
  return parse(*mapped);
}

Expected<File> File::parse(std::shared_ptr<hf::MappedFile> mapped) {
  File f;
  f.mapping = std::move(mapped);
  ArrayRef<char> bytes(f.mapping->data, f.mapping->size);
  Reader r(bytes);
  auto truncated = [&](const Twine &what) {
    return f.error("truncated or malformed " + what + " (at byte " +
                   Twine(r.offset()) + " of " + Twine(bytes.size()) + ")");
  };
  if (r.read<uint32_t>() != 0x46554747) // "GGUF"
    return f.error("not a GGUF file (no 'GGUF' magic)");
  f.fileVersion = r.read<uint32_t>();
  if (f.fileVersion != 2 && f.fileVersion != 3)
    return f.error("GGUF version " + Twine(f.fileVersion) +
                   " is not supported (kiln reads versions 2 and 3)");
  uint64_t tensorCount = r.read<uint64_t>(), kvCount = r.read<uint64_t>();
  if (r.failed())
    return truncated("header");
  // Every entry takes at least 8 bytes: a bound before any allocation.
  if (tensorCount > bytes.size() / 8 || kvCount > bytes.size() / 8)
    return f.error("header claims " + Twine(tensorCount) + " tensors and " +
                   Twine(kvCount) + " metadata entries, more than the file "
                                    "holds");
  for (uint64_t i = 0; i < kvCount; ++i) {
    std::string key = r.string();
    uint32_t type = r.read<uint32_t>();
    if (r.failed())
      return truncated("metadata entry " + Twine(i));
    bool ok = true;
    Value value;
    if (type == ARRAY) {
      uint32_t elementType = r.read<uint32_t>();
      uint64_t count = r.read<uint64_t>();
      if (r.failed() || count > bytes.size() - r.offset())
        return truncated("array '" + key + "'");
      if (elementType == STRING) {
        std::vector<std::string> items;
        items.reserve(count);
        for (uint64_t k = 0; k < count && !r.failed(); ++k)
          items.push_back(r.string());
        value.v = std::move(items);
      } else if (elementType == F32 || elementType == F64) {
        std::vector<double> items;
        items.reserve(count);
        for (uint64_t k = 0; k < count && !r.failed(); ++k)
          items.push_back(std::get<double>(readScalar(r, elementType, ok)));
        value.v = std::move(items);
      } else if (elementType != ARRAY) {
        std::vector<int64_t> items;
        items.reserve(count);
        for (uint64_t k = 0; k < count && !r.failed() && ok; ++k) {
          auto item = readScalar(r, elementType, ok);
          if (ok)
            items.push_back(std::get<int64_t>(item));
        }
        value.v = std::move(items);
      } else {
        ok = false; // nested arrays: no key kiln reads has them
      }
    } else {
      auto scalar = readScalar(r, type, ok);
      std::visit([&](auto &&x) { value.v = x; }, scalar);
    }
    if (!ok)
      return f.error("metadata '" + key + "' has an unknown value type " +
                     Twine(type));
    if (r.failed())
      return truncated("metadata '" + key + "'");
    f.metadata[key] = std::move(value);
  }
  struct Pending {
    uint64_t offset, bytes;
  };
  std::vector<Pending> pending;
  for (uint64_t i = 0; i < tensorCount; ++i) {
    TensorInfo t;
    t.name = r.string();
    uint32_t rank = r.read<uint32_t>();
    if (r.failed() || rank > 8)
      return truncated("tensor " + Twine(i) + " ('" + t.name + "')");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint64_t dim = r.read<uint64_t>();
      if (dim > (uint64_t(1) << 40) ||
          (dim && elements > (uint64_t(1) << 48) / dim))
        return f.error("tensor '" + t.name + "' has implausible dims");
      elements *= dim;
      t.dims.push_back(static_cast<int64_t>(dim));
    }
    t.type = r.read<uint32_t>();
    uint64_t offset = r.read<uint64_t>();
    if (r.failed())
      return truncated("tensor '" + t.name + "'");
    std::optional<std::pair<int64_t, int64_t>> layout = blockLayout(t.type);
    if (!layout)
      return f.error("tensor '" + t.name + "' has type " +
                     typeName(t.type) +
                     "; kiln reads F32, F16, BF16, Q8_0, Q4_0 and Q4_1");
    if (t.dims.empty() || t.dims[0] % layout->first)
      return f.error("tensor '" + t.name + "' (" + typeName(t.type) +
                     ") has rows of " +
                     Twine(t.dims.empty() ? 0 : t.dims[0]) +
                     " elements, not a multiple of its block of " +
                     Twine(layout->first));
    pending.push_back({offset, elements / layout->first * layout->second});
    if (f.tensorIndex.count(t.name))
      return f.error("tensor '" + t.name + "' appears twice");
    f.tensorIndex[t.name] = f.tensorList.size();
    f.tensorList.push_back(std::move(t));
  }
  int64_t alignment = 32;
  if (const Value *a = f.lookup("general.alignment")) {
    const int64_t *v = std::get_if<int64_t>(&a->v);
    if (!v || *v <= 0 || (*v & (*v - 1)))
      return f.error("general.alignment must be a power of two");
    alignment = *v;
  }
  uint64_t dataStart = alignTo(r.offset(), alignment);
  for (size_t i = 0; i < f.tensorList.size(); ++i) {
    TensorInfo &t = f.tensorList[i];
    uint64_t begin = pending[i].offset, size = pending[i].bytes;
    if (begin % alignment || dataStart > bytes.size() ||
        begin > bytes.size() - dataStart ||
        size > bytes.size() - dataStart - begin)
      return f.error("tensor '" + t.name + "' (" + Twine(size) +
                     " bytes at data offset " + Twine(begin) +
                     ") lies outside the file or is misaligned");
    t.bytes = bytes.slice(dataStart + begin, size);
  }
  return f;
}

const Value *File::lookup(StringRef key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}

const TensorInfo *File::tensor(StringRef name) const {
  auto it = tensorIndex.find(name);
  return it == tensorIndex.end() ? nullptr : &tensorList[it->second];
}

template <typename T, typename Fallback>
static Expected<T> typed(const File &f, StringRef key,
                         std::optional<Fallback> fallback, const char *what) {
  const Value *v = f.lookup(key);
  if (!v) {
    if (fallback)
      return T(*fallback);
    return f.error("metadata '" + key + "' is missing");
  }
  if (const T *x = std::get_if<T>(&v->v))
    return *x;
  if constexpr (std::is_same_v<T, double>)
    if (const int64_t *i = std::get_if<int64_t>(&v->v))
      return static_cast<double>(*i);
  return f.error("metadata '" + key + "' is not " + what);
}

Expected<int64_t> File::integer(StringRef key,
                                std::optional<int64_t> fallback) const {
  return typed<int64_t>(*this, key, fallback, "an integer");
}

Expected<double> File::number(StringRef key,
                              std::optional<double> fallback) const {
  return typed<double>(*this, key, fallback, "a number");
}

Expected<std::string> File::string(StringRef key,
                                   std::optional<std::string> fallback) const {
  return typed<std::string>(*this, key, fallback, "a string");
}

Expected<const std::vector<std::string> *>
File::strings(StringRef key) const {
  const Value *v = lookup(key);
  if (!v)
    return error("metadata '" + key + "' is missing");
  if (const auto *x = std::get_if<std::vector<std::string>>(&v->v))
    return x;
  return error("metadata '" + key + "' is not an array of strings");
}

Expected<const std::vector<int64_t> *> File::integers(StringRef key) const {
  const Value *v = lookup(key);
  if (!v)
    return error("metadata '" + key + "' is missing");
  if (const auto *x = std::get_if<std::vector<int64_t>>(&v->v))
    return x;
  return error("metadata '" + key + "' is not an array of integers");
}
