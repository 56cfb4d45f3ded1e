//===- hf_checkpoint_fuzzer.cpp - libFuzzer target for checkpoint readers -===//
//
// Part of kiln. Feeds arbitrary bytes to the Hugging Face frontend's
// readers: the first byte picks the safetensors reader (header length,
// JSON header, every tensor's dtype, shape and byte range) or the
// config.json reader and the fields the BERT builder asks for. Any input
// must end in tensors or in an error; a crash, a hang or a sanitizer
// report is a bug. Built and run by scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/HfConfig.h"
#include "frontends/huggingface/Safetensors.h"

#include <cstdint>

using namespace kiln::hf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(data) + 1,
                             size - 1);
  if (data[0] & 1) {
    Checkpoint checkpoint;
    if (llvm::Error e =
            checkpoint.addFile(MappedFile::borrow("fuzz.safetensors", bytes))) {
      llvm::consumeError(std::move(e));
      return 0;
    }
    // Every view the reader accepted lies inside the input.
    for (const std::string &name : checkpoint.names()) {
      const TensorView *t = checkpoint.lookup(name);
      if (t->bytes.data() < bytes.data() ||
          t->bytes.data() + t->bytes.size() > bytes.data() + bytes.size())
        __builtin_trap();
    }
    return 0;
  }
  llvm::Expected<HfConfig> config = HfConfig::parse(
      "config.json", llvm::StringRef(bytes.data(), bytes.size()));
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  for (const char *key : {"hidden_size", "num_hidden_layers", "vocab_size"})
    llvm::consumeError(config->positive(key, 1).takeError());
  llvm::consumeError(config->number("layer_norm_eps", 1e-12).takeError());
  llvm::consumeError(config->string("hidden_act", "gelu").takeError());
  llvm::consumeError(config->boolean("tie_word_embeddings", true).takeError());
  return 0;
}
