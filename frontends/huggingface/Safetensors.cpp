//===- Safetensors.cpp - memory-mapped safetensors checkpoints ------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;
using namespace kiln::hf;

static Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

MappedFile::~MappedFile() {
  if (mapped && data)
    ::munmap(const_cast<char *>(data), size);
}

Expected<std::shared_ptr<MappedFile>> MappedFile::open(StringRef path) {
  auto file = std::make_shared<MappedFile>();
  file->path = path.str();
  int fd = ::open(file->path.c_str(), O_RDONLY);
  struct stat info;
  if (fd < 0 || ::fstat(fd, &info) != 0) {
    std::string reason = std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return fail("'" + path + "' cannot be opened: " + reason);
  }
  file->size = info.st_size;
  if (file->size) {
    void *address = ::mmap(nullptr, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      ::close(fd);
      return fail("'" + path + "' cannot be mapped");
    }
    file->data = static_cast<const char *>(address);
    file->mapped = true;
  }
  ::close(fd);
  return file;
}

std::shared_ptr<MappedFile> MappedFile::borrow(StringRef path,
                                               ArrayRef<char> bytes) {
  auto file = std::make_shared<MappedFile>();
  file->path = path.str();
  file->data = bytes.data();
  file->size = bytes.size();
  return file;
}

void MappedFile::drop(ArrayRef<char> bytes) const {
  if (!mapped || bytes.empty())
    return;
  uintptr_t page = ::sysconf(_SC_PAGESIZE);
  uintptr_t begin = reinterpret_cast<uintptr_t>(bytes.data());
  uintptr_t end = begin + bytes.size();
  begin = (begin + page - 1) / page * page;
  end = end / page * page;
  if (begin < end)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

std::shared_ptr<MappedFile> MappedFile::adopt(StringRef path,
                                              std::vector<float> values) {
  auto file = std::make_shared<MappedFile>();
  file->path = path.str();
  file->owned = std::move(values);
  file->data = reinterpret_cast<const char *>(file->owned.data());
  file->size = file->owned.size() * sizeof(float);
  return file;
}

unsigned kiln::hf::dtypeByteWidth(StringRef dtype) {
  return StringSwitch<unsigned>(dtype)
      .Cases({"F64", "I64", "U64"}, 8)
      .Cases({"F32", "I32", "U32"}, 4)
      .Cases({"F16", "BF16", "I16", "U16"}, 2)
      .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"}, 1)
      .Default(0);
}

int64_t TensorView::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const TensorView *Checkpoint::lookup(StringRef name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

uint64_t Checkpoint::dataBytes() const {
  uint64_t total = 0;
  for (const auto &entry : tensors)
    total += entry.second.bytes.size();
  return total;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> result;
  for (const auto &entry : tensors)
    result.push_back(entry.first().str());
  llvm::sort(result);
  return result;
}

/// Reads one tensor's header entry; `dataSize` is the bytes after the
/// header.
static Expected<TensorView> parseEntry(StringRef file, StringRef name,
                                       const json::Value &value,
                                       const char *data, uint64_t dataSize) {
  auto where = [&] {
    return "'" + file.str() + "': tensor '" + name.str() + "'";
  };
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return fail(where() + " is not a JSON object");
  TensorView view;
  std::optional<StringRef> dtype = entry->getString("dtype");
  if (!dtype)
    return fail(where() + " has no dtype");
  view.dtype = dtype->str();
  unsigned width = dtypeByteWidth(*dtype);
  if (!width)
    return fail(where() + " has dtype '" + *dtype +
                "', which kiln does not read");
  const json::Array *shape = entry->getArray("shape");
  if (!shape)
    return fail(where() + " has no shape");
  uint64_t elements = 1;
  for (const json::Value &d : *shape) {
    std::optional<int64_t> dim = d.getAsInteger();
    if (!dim || *dim < 0)
      return fail(where() +
                  " has a shape entry that is not a non-negative integer");
    view.shape.push_back(*dim);
    if (*dim && elements > std::numeric_limits<uint64_t>::max() / 8 / *dim)
      return fail(where() + " has a shape too large to address");
    elements *= *dim;
  }
  const json::Array *offsets = entry->getArray("data_offsets");
  std::optional<int64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = (*offsets)[0].getAsInteger();
    end = (*offsets)[1].getAsInteger();
  }
  if (!begin || !end || *begin < 0 || *end < *begin)
    return fail(where() + " has no valid data_offsets [begin, end]");
  if (static_cast<uint64_t>(*end) > dataSize)
    return fail(where() +
                formatv(" ends at byte {0} of the data, which holds {1} "
                        "(truncated file?)",
                        *end, dataSize));
  if (static_cast<uint64_t>(*end - *begin) != elements * width)
    return fail(where() +
                formatv(" holds {0} bytes, but its dtype and shape need {1}",
                        *end - *begin, elements * width));
  view.bytes = ArrayRef<char>(data + *begin, *end - *begin);
  return view;
}

Error Checkpoint::addFile(StringRef path) {
  Expected<std::shared_ptr<MappedFile>> mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.takeError();
  return addFile(*mapped);
}

Error Checkpoint::addFile(std::shared_ptr<MappedFile> file) {
  StringRef path = file->path;
  if (file->size < 8)
    return fail("'" + path + "' is too short for a safetensors header");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | static_cast<unsigned char>(file->data[i]);
  if (headerSize > file->size - 8)
    return fail("'" + path +
                formatv("' declares a {0}-byte header but holds {1} bytes "
                        "(not safetensors, or truncated)",
                        headerSize, file->size));
  Expected<json::Value> header =
      json::parse(StringRef(file->data + 8, headerSize));
  if (!header)
    return fail("'" + path + "' has a malformed JSON header: " +
                toString(header.takeError()));
  const json::Object *object = header->getAsObject();
  if (!object)
    return fail("'" + path + "' has a header that is not a JSON object");
  const char *data = file->data + 8 + headerSize;
  uint64_t dataSize = file->size - 8 - headerSize;
  for (const auto &[key, value] : *object) {
    if (key == "__metadata__")
      continue;
    Expected<TensorView> view = parseEntry(path, key, value, data, dataSize);
    if (!view)
      return view.takeError();
    view->file = file;
    if (!tensors.try_emplace(key.str(), std::move(*view)).second)
      return fail("'" + path + "': tensor '" + key.str() +
                  "' is in more than one shard");
  }
  return Error::success();
}

Expected<Checkpoint> Checkpoint::open(StringRef path) {
  SmallString<256> file(path);
  if (sys::fs::is_directory(path)) {
    SmallString<256> single(path), index(path);
    sys::path::append(single, "model.safetensors");
    sys::path::append(index, "model.safetensors.index.json");
    if (sys::fs::exists(single))
      file = single;
    else if (sys::fs::exists(index))
      file = index;
    else
      return fail("'" + path +
                  "' holds neither model.safetensors nor "
                  "model.safetensors.index.json");
  }
  Checkpoint checkpoint;
  if (!StringRef(file).ends_with(".json")) {
    if (Error e = checkpoint.addFile(file))
      return std::move(e);
    return checkpoint;
  }
  // A sharded checkpoint: the index maps tensor names to shard files.
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(file);
  if (!buffer)
    return fail("'" + file +
                "' cannot be read: " + buffer.getError().message());
  Expected<json::Value> index = json::parse((*buffer)->getBuffer());
  if (!index)
    return fail("'" + file +
                "' is not valid JSON: " + toString(index.takeError()));
  const json::Object *map = index->getAsObject()
                                ? index->getAsObject()->getObject("weight_map")
                                : nullptr;
  if (!map)
    return fail("'" + file + "' has no \"weight_map\" object");
  StringSet<> shards;
  for (const auto &[name, shard] : *map) {
    std::optional<StringRef> shardName = shard.getAsString();
    if (!shardName || shardName->contains('/') || shardName->contains(".."))
      return fail("'" + file + "': tensor '" + name.str() +
                  "' maps to something other than a shard file beside it");
    shards.insert(*shardName);
  }
  std::vector<std::string> sorted;
  for (const auto &s : shards)
    sorted.push_back(s.getKey().str());
  llvm::sort(sorted);
  for (const std::string &shard : sorted) {
    SmallString<256> shardPath(sys::path::parent_path(file));
    sys::path::append(shardPath, shard);
    if (Error e = checkpoint.addFile(shardPath))
      return std::move(e);
  }
  for (const auto &[name, shard] : *map)
    if (!checkpoint.contains(name))
      return fail("'" + file + "' lists tensor '" + name.str() +
                  "', which its shard does not hold");
  return checkpoint;
}
