//===- ChatTemplate.h - a model's chat prompt and end tokens ----*- C++ -*-===//
//
// Part of kiln. What a Hugging Face tokenizer_config.json (or the GGUF
// frontend's, from the file's metadata) says about generation: the chat
// template and the end-of-sequence token. kiln has no Jinja: it renders
// the ChatML family (<|im_start|>role\n...<|im_end|>\n), which it
// recognises in the template, and refuses others with a message saying so.
// Shared by `kiln generate` and the C API behind kiln.generate.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOKENIZERS_CHATTEMPLATE_H
#define KILN_TOKENIZERS_CHATTEMPLATE_H

#include "tokenizers/Tokenizer.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::tok {

struct GenerationConfig {
  /// "chat_template" (the "default" one of several named ones), or "".
  std::string chatTemplate;
  /// "eos_token" (a string, or an object's "content"), or "".
  std::string eosToken;

  /// Reads a tokenizer_config.json; an error naming the file.
  static llvm::Expected<GenerationConfig> load(llvm::StringRef path);

  /// The prompt of one user turn, as the template renders it with a
  /// generation prompt: the template's default system prompt (or `system`
  /// when not empty), the user's turn, the assistant's opening. An error
  /// when there is no template or it is not ChatML.
  llvm::Expected<std::string> renderChat(llvm::StringRef prompt,
                                         llvm::StringRef system) const;

  /// The ids that end generation: the end-of-sequence token and, in a
  /// chat, the end of a turn (<|im_end|>), where the tokenizer has them.
  std::vector<int32_t> stopTokens(const Tokenizer &tokenizer,
                                  bool chat) const;
};

} // namespace kiln::tok

#endif // KILN_TOKENIZERS_CHATTEMPLATE_H
