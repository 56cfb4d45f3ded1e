//===- OnnxFrontend.h - the ONNX frontend -----------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_ONNXFRONTEND_H
#define KILN_FRONTENDS_ONNX_ONNXFRONTEND_H

#include "frontends/Frontend.h"

namespace kiln::onnx_import {

/// ONNX models: binary protobuf (`.onnx`) or the ONNX text syntax
/// (`.onnxtxt`), imported by OnnxImporter.h.
const Frontend &getOnnxFrontend();

} // namespace kiln::onnx_import

#endif // KILN_FRONTENDS_ONNX_ONNXFRONTEND_H
