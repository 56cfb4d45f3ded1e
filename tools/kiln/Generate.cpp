//===- Generate.cpp - `kiln generate` -------------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Generate.h"
#include "tools/kiln/Embed.h"
#include "tools/kiln/RunModel.h"

#include "tokenizers/ChatTemplate.h"
#include "tokenizers/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

namespace kiln {
namespace {

int generateError(const std::string &message) {
  llvm::outs().flush();
  llvm::errs() << "kiln: error: " << message << "\n";
  return 1;
}

/// The next token from `logits`: argmax at temperature 0, else a sample.
int32_t sampleToken(const std::vector<float> &logits,
                    const GenerateOptions &options, std::mt19937_64 &rng) {
  if (options.temperature <= 0)
    return static_cast<int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin());
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  size_t keep = options.topK > 0
                    ? std::min(order.size(), static_cast<size_t>(options.topK))
                    : order.size();
  std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  order.resize(keep);
  std::vector<double> p(keep);
  double top = logits[order[0]], sum = 0;
  for (size_t i = 0; i < keep; ++i)
    sum += p[i] = std::exp((logits[order[i]] - top) / options.temperature);
  // Nucleus: the most likely tokens until their probability reaches topP.
  double mass = 0;
  size_t nucleus = keep;
  for (size_t i = 0; i < keep; ++i) {
    mass += p[i] / sum;
    if (mass >= options.topP) {
      nucleus = i + 1;
      break;
    }
  }
  std::discrete_distribution<size_t> pick(p.begin(), p.begin() + nucleus);
  return order[pick(rng)];
}

/// Writes decoded bytes as they come, holding back an incomplete UTF-8
/// character until its last byte arrives.
class TextStream {
public:
  void write(const std::string &bytes) {
    pending += bytes;
    size_t complete = pending.size();
    // A lead byte within the last 3 whose character is not all here.
    for (size_t back = 1; back <= 3 && back <= pending.size(); ++back) {
      unsigned char c = pending[pending.size() - back];
      if ((c & 0xC0) == 0x80)
        continue;
      size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (length > back)
        complete = pending.size() - back;
      break;
    }
    llvm::outs() << llvm::StringRef(pending).take_front(complete);
    llvm::outs().flush();
    pending.erase(0, complete);
  }
  void finish() {
    llvm::outs() << pending << "\n";
    llvm::outs().flush();
  }

private:
  std::string pending;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

void printIds(llvm::StringRef what, const std::vector<int32_t> &ids) {
  llvm::errs() << "kiln: " << what << " ids:";
  for (int32_t id : ids)
    llvm::errs() << " " << id;
  llvm::errs() << "\n";
}

} // namespace

int generateCommand(const GenerateOptions &given) {
  GenerateOptions options = given;
  if (!options.promptFile.empty()) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFileOrSTDIN(options.promptFile);
    if (!buffer)
      return generateError("'" + options.promptFile + "' cannot be read: " +
                           buffer.getError().message());
    options.prompt = (*buffer)->getBuffer().str();
  }
  if (options.prompt.empty())
    return generateError("no prompt: give --prompt or --file");
  if (options.maxTokens < 1)
    return generateError("--max-tokens must be at least 1");
  if (options.topP <= 0 || options.topP > 1)
    return generateError("--top-p must be in (0, 1]");

  llvm::Expected<std::unique_ptr<tok::Tokenizer>> tokenizer =
      loadLibraryTokenizer(options.library, options.tokenizer);
  if (!tokenizer)
    return generateError(llvm::toString(tokenizer.takeError()));
  std::string configPath = options.tokenizerConfig.empty()
                               ? options.library + ".tokenizer_config.json"
                               : options.tokenizerConfig;
  tok::GenerationConfig config;
  if (!options.tokenizerConfig.empty() ||
      llvm::sys::fs::exists(configPath)) {
    llvm::Expected<tok::GenerationConfig> read =
        tok::GenerationConfig::load(configPath);
    if (!read)
      return generateError(llvm::toString(read.takeError()));
    config = std::move(*read);
  }
  std::vector<int32_t> stops = config.stopTokens(**tokenizer, options.chat);

  std::string text = options.prompt;
  if (options.chat) {
    llvm::Expected<std::string> chat =
        config.renderChat(options.prompt, options.system);
    if (!chat)
      return generateError("--chat: " + llvm::toString(chat.takeError()));
    text = *chat;
  }
  // A chat template writes its own BOS; a plain prompt gets the
  // tokenizer's special tokens, as transformers' tokenizer() adds them.
  std::vector<int32_t> prompt = (*tokenizer)->encode(text, !options.chat);
  if (prompt.empty())
    return generateError("the prompt has no tokens");

  ModelSession session;
  std::string error;
  if (!session.open(options.library, options.threads, error))
    return generateError(error);
  int64_t limit = 0;
  if (!session.hasCache(&limit))
    return generateError(
        "'" + options.library +
        "' is not a decoder library with a KV cache (compile a LLaMA-family "
        "checkpoint without --no-kv-cache)");
  int64_t context =
      options.maxContext
          ? options.maxContext
          : std::min<int64_t>(limit, static_cast<int64_t>(prompt.size()) +
                                         options.maxTokens);
  if (static_cast<int64_t>(prompt.size()) >= context)
    return generateError("the prompt has " + std::to_string(prompt.size()) +
                         " tokens, which leaves no room in a context of " +
                         std::to_string(context) + " (the model's limit is " +
                         std::to_string(limit) + ")");
  if (!session.createCache(1, static_cast<size_t>(context), error))
    return generateError(error);

  auto run = [&](const std::vector<int32_t> &ids,
                 std::vector<float> &logits) {
    IntInput in{"input_ids", {1, static_cast<int64_t>(ids.size())}, {}};
    in.values.assign(ids.begin(), ids.end());
    std::vector<FloatOutput> outputs;
    if (!session.run({in}, outputs, error))
      return false;
    if (outputs.empty() || outputs[0].values.empty()) {
      error = "the model returned no logits";
      return false;
    }
    logits = std::move(outputs[0].values);
    return true;
  };

  std::vector<float> logits;
  auto start = std::chrono::steady_clock::now();
  if (!run(prompt, logits))
    return generateError(error);
  double prefillSeconds = secondsSince(start);

  std::mt19937_64 rng(options.seed);
  TextStream stream;
  std::vector<int32_t> generated;
  double decodeSeconds = 0;
  int decodeRuns = 0;
  int64_t room = context - static_cast<int64_t>(prompt.size());
  while (true) {
    int32_t next = sampleToken(logits, options, rng);
    if (std::find(stops.begin(), stops.end(), next) != stops.end())
      break;
    generated.push_back(next);
    stream.write((*tokenizer)->decode({next}));
    if (static_cast<int>(generated.size()) >= options.maxTokens ||
        static_cast<int64_t>(generated.size()) >= room)
      break;
    auto step = std::chrono::steady_clock::now();
    if (!run({next}, logits))
      return generateError(error);
    decodeSeconds += secondsSince(step);
    ++decodeRuns;
  }
  stream.finish();
  if (options.printIds) {
    printIds("prompt", prompt);
    printIds("generated", generated);
  }
  llvm::errs() << llvm::format(
      "kiln: prompt %zu tokens in %.3f s (%.1f tokens/s); generated %zu "
      "tokens, %d decode runs in %.3f s (%.1f tokens/s)\n",
      prompt.size(), prefillSeconds, prompt.size() / prefillSeconds,
      generated.size(), decodeRuns, decodeSeconds,
      decodeRuns ? decodeRuns / decodeSeconds : 0.0);
  return 0;
}

} // namespace kiln
