//===- gguf_fuzzer.cpp - libFuzzer target for the GGUF reader -------------===//
//
// Part of kiln. Feeds arbitrary bytes to the GGUF reader (header, typed
// metadata, tensor table, data offsets) and dequantizes every tensor it
// accepts. Any input must end in tensors inside the input or in an error;
// a crash, a hang or a sanitizer report is a bug. Built and run by
// scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GgufDequantize.h"
#include "frontends/gguf/GgufFile.h"

#include <cstdint>

using namespace kiln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<gguf::File> file =
      gguf::File::parse(hf::MappedFile::borrow("fuzz.gguf", bytes));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const gguf::TensorInfo &t : file->tensors()) {
    if (t.bytes.data() < bytes.data() ||
        t.bytes.data() + t.bytes.size() > bytes.data() + bytes.size())
      __builtin_trap();
    // Small tensors only: the reader bounds the dims, not the memory.
    if (t.numElements() <= (1 << 20))
      (void)gguf::dequantize(t);
  }
  return 0;
}
