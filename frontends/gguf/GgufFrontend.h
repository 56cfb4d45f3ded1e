//===- GgufFrontend.h - llama.cpp GGUF files --------------------*- C++ -*-===//
//
// Part of kiln. `kiln compile model.gguf`: LLaMA-architecture GGUF files
// (versions 2 and 3) through the Hugging Face LLaMA builder.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_GGUF_GGUFFRONTEND_H
#define KILN_FRONTENDS_GGUF_GGUFFRONTEND_H

#include "frontends/Frontend.h"

namespace kiln::gguf {

const Frontend &getGgufFrontend();

} // namespace kiln::gguf

#endif // KILN_FRONTENDS_GGUF_GGUFFRONTEND_H
