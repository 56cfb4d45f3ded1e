//===- HuggingFaceFrontend.h - Hugging Face checkpoint folders --*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_HUGGINGFACE_HUGGINGFACEFRONTEND_H
#define KILN_FRONTENDS_HUGGINGFACE_HUGGINGFACEFRONTEND_H

#include "frontends/Frontend.h"

namespace kiln::hf {

/// A Hugging Face checkpoint folder (config.json beside model.safetensors
/// or a sharded model.safetensors.index.json), built into tfm IR from the
/// config's architecture with the weights memory-mapped: no ONNX, no
/// Python.
const Frontend &getHuggingFaceFrontend();

} // namespace kiln::hf

#endif // KILN_FRONTENDS_HUGGINGFACE_HUGGINGFACEFRONTEND_H
