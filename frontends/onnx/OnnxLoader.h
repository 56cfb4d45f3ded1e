//===- OnnxLoader.h - read ONNX models from disk ----------------*- C++ -*-===//
//
// Part of kiln. Reads an ONNX model (binary protobuf, or the ONNX text syntax
// for tests) and runs libonnx's checker, turning every failure into a
// one-line message. This is the only code that calls libonnx functions that
// throw; it is built with exceptions and never lets one escape.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_ONNXLOADER_H
#define KILN_FRONTENDS_ONNX_ONNXLOADER_H

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace kiln::onnx_import {

/// The newest ai.onnx opset and IR version Debian's libonnx (1.12) knows.
/// Newer models import (kiln reads the protobuf itself) but skip the checker.
constexpr int64_t kCheckerMaxOpset = 17;
constexpr int64_t kCheckerMaxIrVersion = 8;

/// Reads `path`: ONNX text syntax when it ends in `.onnxtxt`, binary
/// protobuf otherwise. Streams the file instead of reading it whole, so
/// memory peaks near the model's size. Returns null and sets `error` to a
/// one-line reason (missing, truncated or malformed file) on failure.
std::unique_ptr<onnx::ModelProto> loadModel(llvm::StringRef path,
                                            std::string &error);

/// Parses a model held in memory (a serialized ModelProto, or ONNX text
/// syntax when `name` ends in `.onnxtxt`); `name` names it in messages.
std::unique_ptr<onnx::ModelProto> parseModel(llvm::StringRef contents,
                                             llvm::StringRef name,
                                             std::string &error);

/// Runs the ONNX checker on `model` (whose external data files live in
/// `modelDir`) if libonnx knows its opsets. Returns a one-line reason when
/// the model is invalid; `skippedReason` says why the checker did not run,
/// when it did not.
std::optional<std::string> checkModel(const onnx::ModelProto &model,
                                      llvm::StringRef modelDir,
                                      std::string &skippedReason);

/// For each of `opType`'s formal inputs whether it must be given (not
/// optional, not variadic), from libonnx's schema of the newest version at
/// most `opset` in `domain`; std::nullopt when libonnx has no schema (e.g.
/// com.microsoft ops).
std::optional<std::vector<bool>> requiredInputs(llvm::StringRef opType,
                                                llvm::StringRef domain,
                                                int64_t opset);

} // namespace kiln::onnx_import

#endif // KILN_FRONTENDS_ONNX_ONNXLOADER_H
