//===- OnnxLoader.cpp - read ONNX models from disk ------------------------===//
//
// Part of kiln. Built with -fexceptions (see CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxLoader.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace kiln::onnx_import;

/// The first line of `text`, for one-line diagnoses.
static std::string firstLine(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

/// Parses ONNX text syntax; `name` names it in messages.
static std::unique_ptr<onnx::ModelProto> parseText(llvm::StringRef text,
                                                   llvm::StringRef name,
                                                   std::string &error) {
  auto model = std::make_unique<onnx::ModelProto>();
  try {
    // The parser reads a NUL-terminated string.
    std::string terminated = text.str();
    onnx::OnnxParser parser(terminated.c_str());
    onnx::Status status = parser.Parse(*model);
    if (!status.IsOK()) {
      error = "'" + name.str() +
              "' is not valid ONNX text: " + firstLine(status.ErrorMessage());
      return nullptr;
    }
  } catch (const std::exception &e) {
    error = "'" + name.str() + "' is not valid ONNX text: " +
            firstLine(e.what());
    return nullptr;
  }
  return model;
}

/// Parses a binary ModelProto from `stream` (which `stillReading` says has
/// not failed); `name` names it in messages.
static std::unique_ptr<onnx::ModelProto>
parseBinary(google::protobuf::io::ZeroCopyInputStream &stream,
            llvm::function_ref<bool()> streamOk, llvm::StringRef name,
            std::string &error) {
  auto model = std::make_unique<onnx::ModelProto>();
  bool clean;
  {
    google::protobuf::io::CodedInputStream coded(&stream);
    coded.SetTotalBytesLimit(INT_MAX);
    clean = model->ParseFromCodedStream(&coded) &&
            coded.ConsumedEntireMessage();
  }
  // A truncated file parses as a shorter message when the cut falls
  // between fields; a model without a graph is the usual sign.
  if (!clean || !streamOk()) {
    error = "'" + name.str() +
            "' is not a valid ONNX model (malformed or truncated protobuf)";
    return nullptr;
  }
  if (!model->has_graph()) {
    error = "'" + name.str() + "' has no graph (truncated or not a model)";
    return nullptr;
  }
  return model;
}

std::unique_ptr<onnx::ModelProto>
kiln::onnx_import::loadModel(llvm::StringRef path, std::string &error) {
  if (path.ends_with(".onnxtxt")) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer) {
      error =
          "cannot read '" + path.str() + "': " + buffer.getError().message();
      return nullptr;
    }
    return parseText((*buffer)->getBuffer(), path, error);
  }
  int fd = ::open(path.str().c_str(), O_RDONLY);
  if (fd < 0) {
    error = "cannot open '" + path.str() + "': " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<onnx::ModelProto> model;
  {
    // Streamed, not read whole: memory peaks near the model's size.
    google::protobuf::io::FileInputStream file(fd);
    model = parseBinary(
        file, [&] { return file.GetErrno() == 0; }, path, error);
  }
  ::close(fd);
  return model;
}

std::unique_ptr<onnx::ModelProto>
kiln::onnx_import::parseModel(llvm::StringRef contents, llvm::StringRef name,
                              std::string &error) {
  if (name.ends_with(".onnxtxt"))
    return parseText(contents, name, error);
  if (contents.size() > static_cast<size_t>(INT_MAX)) {
    error = "'" + name.str() +
            "' is larger than protobuf's 2 GiB limit for one message; "
            "save its weights as external data";
    return nullptr;
  }
  google::protobuf::io::ArrayInputStream array(
      contents.data(), static_cast<int>(contents.size()));
  return parseBinary(array, [] { return true; }, name, error);
}

std::optional<std::string>
kiln::onnx_import::checkModel(const onnx::ModelProto &model,
                              llvm::StringRef modelDir,
                              std::string &skippedReason) {
  if (model.ir_version() > kCheckerMaxIrVersion) {
    skippedReason = "IR version " + std::to_string(model.ir_version()) +
                    " is newer than libonnx's checker knows";
    return std::nullopt;
  }
  for (const auto &opset : model.opset_import()) {
    bool standard = opset.domain().empty() || opset.domain() == "ai.onnx";
    if (standard && opset.version() > kCheckerMaxOpset) {
      skippedReason = "opset " + std::to_string(opset.version()) +
                      " is newer than libonnx's checker knows";
      return std::nullopt;
    }
  }
  if (!model.has_ir_version())
    return std::string("ONNX checker: the model has no ir_version");
  try {
    // check_model(ModelProto) without the model's directory, so that
    // external data files are looked up where the model is.
    onnx::checker::CheckerContext context;
    context.set_ir_version(static_cast<int>(model.ir_version()));
    std::unordered_map<std::string, int> opsets;
    for (const auto &opset : model.opset_import())
      opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] =
          static_cast<int>(opset.version());
    context.set_opset_imports(opsets);
    context.set_model_dir(modelDir.empty() ? "." : modelDir.str());
    onnx::checker::LexicalScopeContext scope;
    onnx::checker::check_graph(model.graph(), context, scope);
    onnx::checker::check_model_local_functions(model, context, scope);
  } catch (const std::exception &e) {
    std::string message = firstLine(e.what());
    // ONNX Runtime's optimizer writes some contrib ops (e.g.
    // SimplifiedLayerNormalization) in the default domain; libonnx has no
    // schema for them. Leave those to the importer, which knows them or
    // reports them as unsupported.
    if (llvm::StringRef(message).starts_with("No Op registered for ")) {
      skippedReason = message;
      return std::nullopt;
    }
    return "ONNX checker: " + message;
  }
  return std::nullopt;
}

std::optional<std::vector<bool>>
kiln::onnx_import::requiredInputs(llvm::StringRef opType,
                                  llvm::StringRef domain, int64_t opset) {
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      opType.str(), static_cast<int>(opset),
      domain == "ai.onnx" ? std::string() : domain.str());
  if (!schema)
    return std::nullopt;
  std::vector<bool> required;
  for (const onnx::OpSchema::FormalParameter &input : schema->inputs())
    required.push_back(input.GetOption() ==
                       onnx::OpSchema::FormalParameterOption::Single);
  return required;
}
