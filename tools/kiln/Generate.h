//===- Generate.h - `kiln generate` -----------------------------*- C++ -*-===//
//
// Part of kiln. Text from a decoder library (a LLaMA-family checkpoint
// compiled in its KV-cache form): the prompt tokenized by kiln's own
// tokenizer (MODEL.so.tokenizer.json), optionally inside the model's chat
// template (MODEL.so.tokenizer_config.json), run once (prefill), then one
// run per generated token on the runtime's KV cache (decode), each token
// sampled from the last logits and streamed as text.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_GENERATE_H
#define KILN_TOOLS_KILN_GENERATE_H

#include <cstdint>
#include <string>

namespace kiln {

struct GenerateOptions {
  std::string library;
  /// The tokenizer.json; empty: LIBRARY.tokenizer.json.
  std::string tokenizer;
  /// The tokenizer_config.json (chat template, end-of-sequence token);
  /// empty: LIBRARY.tokenizer_config.json, if it exists.
  std::string tokenizerConfig;
  std::string prompt;
  /// Read the prompt from this file ('-': stdin) instead.
  std::string promptFile;
  /// Put the prompt in the chat template as the user's turn (with the
  /// template's default system prompt, or `system`), and end at the end
  /// of the assistant's turn.
  bool chat = false;
  std::string system;
  /// Tokens to generate at most (fewer when an end token comes).
  int maxTokens = 64;
  /// 0: greedy (argmax); else sample from softmax(logits / temperature),
  /// restricted to the topK most likely (0: all) and to the smallest set
  /// whose probability reaches topP.
  double temperature = 0;
  int topK = 0;
  double topP = 1.0;
  uint64_t seed = 0;
  int threads = 0;
  /// The KV cache's capacity; 0: prompt + maxTokens.
  int64_t maxContext = 0;
  /// Also print the prompt's and the generated token ids (to stderr).
  bool printIds = false;
};

/// `kiln generate`; returns the exit code.
int generateCommand(const GenerateOptions &options);

} // namespace kiln

#endif // KILN_TOOLS_KILN_GENERATE_H
