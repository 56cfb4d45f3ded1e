//===- Embed.cpp - `kiln embed` -------------------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Embed.h"
#include "tools/kiln/Npy.h"
#include "tools/kiln/RunModel.h"

#include "tokenizers/Tokenizer.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kiln {

static int embedError(const std::string &message) {
  llvm::outs().flush();
  llvm::errs() << "kiln: error: " << message << "\n";
  return 1;
}

llvm::Expected<std::unique_ptr<tok::Tokenizer>>
loadLibraryTokenizer(const std::string &library, const std::string &path) {
  llvm::Expected<std::unique_ptr<tok::Tokenizer>> tokenizer =
      tok::Tokenizer::load(path.empty() ? library + ".tokenizer.json" : path);
  if (!tokenizer)
    return llvm::createStringError(
        llvm::toString(tokenizer.takeError()) +
        " (compiling a checkpoint folder or a GGUF file puts the model's "
        "tokenizer beside its library; else give --tokenizer)");
  return tokenizer;
}

int embedCommand(const EmbedOptions &options) {
  std::vector<std::string> texts = options.texts;
  if (!options.textFile.empty()) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFileOrSTDIN(options.textFile);
    if (!buffer)
      return embedError("'" + options.textFile +
                        "' cannot be read: " + buffer.getError().message());
    llvm::StringRef body = (*buffer)->getBuffer();
    body.consume_back("\n");
    llvm::SmallVector<llvm::StringRef> lines;
    body.split(lines, '\n', -1, /*KeepEmpty=*/true);
    for (llvm::StringRef line : lines)
      texts.push_back(line.str());
  }
  if (texts.empty())
    return embedError("no text to embed: give --text or --file");
  if (options.maxTokens < 3)
    return embedError("--max-tokens must be at least 3");
  llvm::Expected<std::unique_ptr<tok::Tokenizer>> tokenizer =
      loadLibraryTokenizer(options.library, options.tokenizer);
  if (!tokenizer)
    return embedError(llvm::toString(tokenizer.takeError()));

  // One batch, padded with id 0 to the longest text; the mask hides the
  // padding from attention and pooling.
  std::vector<std::vector<int32_t>> ids;
  size_t longest = 0;
  size_t specials = (*tokenizer)->withSpecialTokens({}).size();
  for (const std::string &text : texts) {
    std::vector<int32_t> t = (*tokenizer)->encode(text, false);
    size_t room = options.maxTokens > static_cast<int>(specials)
                      ? options.maxTokens - specials
                      : 0;
    if (t.size() > room)
      t.resize(room);
    ids.push_back((*tokenizer)->withSpecialTokens(t));
    longest = std::max(longest, ids.back().size());
  }
  int64_t n = texts.size(), len = longest;
  IntInput inputIds{"input_ids", {n, len}, {}},
      mask{"attention_mask", {n, len}, {}},
      types{"token_type_ids", {n, len}, {}};
  for (const std::vector<int32_t> &t : ids)
    for (int64_t j = 0; j < len; ++j) {
      bool real = j < static_cast<int64_t>(t.size());
      inputIds.values.push_back(real ? t[j] : 0);
      mask.values.push_back(real);
      types.values.push_back(0);
    }

  ModelSession session;
  std::string error;
  std::vector<FloatOutput> outputs;
  if (!session.open(options.library, options.threads, error) ||
      !session.run({inputIds, mask, types}, outputs, error))
    return embedError(error);
  auto it =
      std::find_if(outputs.begin(), outputs.end(), [](const FloatOutput &o) {
        return o.name == "sentence_embedding";
      });
  if (it == outputs.end() || it->shape.size() != 2 || it->shape[0] != n)
    return embedError("'" + options.library +
                      "' has no sentence_embedding output [texts, dim]: "
                      "compile a sentence-transformers checkpoint folder "
                      "(with 1_Pooling/config.json)");
  int64_t dim = it->shape[1];
  if (!options.output.empty()) {
    if (!npy::writeNpy(options.output, npy::DType::Float32, it->shape,
                       it->values.data(), error))
      return embedError(error);
    llvm::outs() << "kiln: " << n << " embeddings of dimension " << dim
                 << " -> " << options.output << "\n";
    return 0;
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < dim; ++j) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.7g", it->values[i * dim + j]);
      llvm::outs() << (j ? " " : "") << buf;
    }
    llvm::outs() << "\n";
  }
  return 0;
}

} // namespace kiln
