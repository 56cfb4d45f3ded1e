//===- HuggingFaceFrontend.cpp - Hugging Face checkpoint folders ----------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/HuggingFaceFrontend.h"
#include "frontends/huggingface/ModelBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace {

class HuggingFaceFrontend : public kiln::Frontend {
public:
  llvm::StringRef getName() const override { return "huggingface"; }
  llvm::StringRef getDescription() const override {
    return "Hugging Face checkpoint folders (config.json + safetensors)";
  }
  bool accepts(llvm::StringRef path) const override {
    llvm::SmallString<256> config(path);
    llvm::sys::path::append(config, "config.json");
    return llvm::sys::fs::is_directory(path) && llvm::sys::fs::exists(config);
  }
  OwningOpRef<ModuleOp> import(MLIRContext *context,
                               const kiln::FrontendInput &input) const override;
  /// The folder's tokenizer.json and tokenizer_config.json, as they are.
  llvm::Expected<std::vector<Companion>>
  companions(const kiln::FrontendInput &input) const override {
    std::vector<Companion> files;
    for (const char *name : {"tokenizer.json", "tokenizer_config.json"}) {
      llvm::SmallString<256> path(input.path);
      llvm::sys::path::append(path, name);
      if (!llvm::sys::fs::exists(path))
        continue;
      llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
          llvm::MemoryBuffer::getFile(path);
      if (!buffer)
        return llvm::createStringError("'" + std::string(path) +
                                       "' cannot be read: " +
                                       buffer.getError().message());
      files.push_back({name, (*buffer)->getBuffer().str()});
    }
    return files;
  }
};

OwningOpRef<ModuleOp>
HuggingFaceFrontend::import(MLIRContext *context,
                            const kiln::FrontendInput &input) const {
  Location loc = FileLineColLoc::get(context, input.path, 0, 0);
  llvm::SmallString<256> configPath(input.path);
  llvm::sys::path::append(configPath, "config.json");
  llvm::Expected<kiln::hf::HfConfig> config =
      kiln::hf::HfConfig::load(configPath);
  if (!config) {
    emitError(loc) << llvm::toString(config.takeError());
    return nullptr;
  }
  llvm::Expected<kiln::hf::Checkpoint> weights =
      kiln::hf::Checkpoint::open(input.path);
  if (!weights) {
    emitError(loc) << llvm::toString(weights.takeError());
    return nullptr;
  }
  kiln::hf::CheckpointFolder folder{input.path, std::move(*config),
                                    std::move(*weights)};
  llvm::StringRef type = folder.config.modelType();
  if (type == "bert" || type == "roberta" || type == "xlm-roberta" ||
      type == "distilbert")
    return kiln::hf::buildBert(context, folder);
  if (type == "llama" || type == "mistral" || type == "qwen2")
    return kiln::hf::buildLlama(context, folder, input.kvCache);
  if (type == "gpt2")
    return kiln::hf::buildGpt2(context, folder, input.kvCache);
  emitError(loc) << "'" << configPath << "' has model_type '" << type
                 << "'; the Hugging Face frontend builds: bert, distilbert, "
                    "gpt2, llama, mistral, qwen2, roberta, xlm-roberta";
  return nullptr;
}

} // namespace

const kiln::Frontend &kiln::hf::getHuggingFaceFrontend() {
  static const HuggingFaceFrontend frontend;
  return frontend;
}
