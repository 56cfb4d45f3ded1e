//===- CompilerCApi.cpp - kiln's compiler as a C library ------------------===//
//
// Part of kiln. Implements kiln_compiler.h over compiler/Compiler.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/kiln_compiler.h"
#include "tokenizers/ChatTemplate.h"
#include "tokenizers/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>

struct kiln_compile_options {
  kiln::CompileOptions options;
  bool timing = false, stats = false;
  std::string error;
};

struct kiln_compile_result {
  kiln::CompileResult result;
  std::vector<std::string> texts; ///< Each diagnostic as printed.
  std::string report;
};

kiln_compile_options *kiln_compile_options_create(void) {
  return new (std::nothrow) kiln_compile_options();
}

void kiln_compile_options_free(kiln_compile_options *options) {
  delete options;
}

/// Parses "0"/"1" (also "false"/"true").
static bool parseFlag(llvm::StringRef value, bool &out) {
  if (value == "1" || value == "true")
    return out = true, true;
  if (value == "0" || value == "false")
    return out = false, true;
  return false;
}

const char *kiln_compile_options_set(kiln_compile_options *options,
                                     const char *name, const char *value) {
  if (!options || !name || !value)
    return "kiln_compile_options_set: options, name and value must be given";
  kiln::CompileOptions &o = options->options;
  kiln::TargetConfig &t = o.target;
  llvm::StringRef key(name), v(value);
  auto bad = [&](const char *expected) {
    options->error =
        "option '" + key.str() + "': '" + v.str() + "' is not " + expected;
    return options->error.c_str();
  };
  if (key == "input")
    o.input = v.str();
  else if (key == "output" || key == "o")
    o.output = v.str();
  else if (key == "emit") {
    std::optional<kiln::EmitStage> stage = kiln::parseEmitStage(v);
    if (!stage)
      return bad("a stage (import, tfm, linalg, ptx, llvm, obj, so)");
    o.emit = *stage;
  } else if (key == "frontend")
    o.frontend = v.str();
  else if (key == "target")
    t.triple = v.str();
  else if (key == "mcpu")
    t.cpu = v.str();
  else if (key == "mattr")
    t.features = v.str();
  else if (key == "O") {
    unsigned level;
    if (v.getAsInteger(10, level) || level > 3)
      return bad("an optimization level 0..3");
    t.optLevel = level;
  } else if (key == "jobs") {
    unsigned jobs;
    if (v.getAsInteger(10, jobs))
      return bad("a thread count (0: automatic)");
    t.jobs = jobs;
  } else if (key == "precision")
    t.precision = v.str();
  else if (key == "gpu-arch")
    t.gpuArch = v.str();
  else if (key == "cuda-path")
    t.cudaPath = v.str();
  else if (key == "gpu-emulate") {
    if (!parseFlag(v, t.gpuEmulate))
      return bad("0 or 1");
  } else if (key == "fusion") {
    if (!parseFlag(v, o.fuse))
      return bad("0 or 1");
  } else if (key == "linear-attention") {
    if (!parseFlag(v, o.linearAttention))
      return bad("0 or 1");
  } else if (key == "kv-cache") {
    if (!parseFlag(v, o.kvCache))
      return bad("0 or 1");
  } else if (key == "dequantize") {
    if (!parseFlag(v, o.dequantize))
      return bad("0 or 1");
  } else if (key == "quantize")
    o.quantize = v.str();
  else if (key == "group-size") {
    if (v.getAsInteger(10, o.groupSize))
      return bad("an integer");
  } else if (key == "outlier-threshold") {
    double threshold;
    if (v.getAsDouble(threshold))
      return bad("a number");
    o.outlierThreshold = static_cast<float>(threshold);
  } else if (key == "quantize-softmax")
    o.quantizeSoftmax = v.str();
  else if (key == "softmax-bits") {
    if (v.getAsInteger(10, o.softmaxBits))
      return bad("an integer");
  } else if (key == "calibration")
    o.calibration = v.str();
  else if (key == "smoothquant-alpha") {
    double alpha;
    if (v.getAsDouble(alpha))
      return bad("a number");
    o.smoothquantAlpha = static_cast<float>(alpha);
  } else if (key == "record-activation-ranges") {
    if (!parseFlag(v, o.recordActivationRanges))
      return bad("0 or 1");
  } else if (key == "shape")
    o.shapes.push_back(v.str());
  else if (key == "timing") {
    if (!parseFlag(v, options->timing))
      return bad("0 or 1");
  } else if (key == "stats") {
    if (!parseFlag(v, options->stats))
      return bad("0 or 1");
  } else if (key == "runtime-archive")
    o.runtimeArchive = v.str();
  else {
    options->error = "unknown option '" + key.str() + "'";
    return options->error.c_str();
  }
  return nullptr;
}

void kiln_compile_options_set_contents(kiln_compile_options *options,
                                       const void *data, size_t size) {
  if (!options)
    return;
  if (!data)
    options->options.contents.reset();
  else
    options->options.contents =
        llvm::StringRef(static_cast<const char *>(data), size);
}

kiln_compile_result *kiln_compile(const kiln_compile_options *options) {
  auto *result = new (std::nothrow) kiln_compile_result();
  if (!result)
    return nullptr;
  if (!options) {
    result->result.diagnostics.push_back(
        {kiln::CompileDiagnostic::Severity::Error, "kiln", "",
         "kiln_compile: no options given"});
  } else {
    kiln::CompileOptions compileOptions = options->options;
    llvm::raw_string_ostream report(result->report);
    if (options->timing)
      compileOptions.timing = &report;
    if (options->stats)
      compileOptions.stats = &report;
    result->result = kiln::compile(compileOptions);
  }
  for (const kiln::CompileDiagnostic &diagnostic : result->result.diagnostics)
    result->texts.push_back(diagnostic.str());
  return result;
}

int kiln_compile_result_succeeded(const kiln_compile_result *result) {
  return result && result->result.succeeded;
}

size_t kiln_compile_result_num_diagnostics(const kiln_compile_result *result) {
  return result ? result->result.diagnostics.size() : 0;
}

static const char *severityName(kiln::CompileDiagnostic::Severity severity) {
  switch (severity) {
  case kiln::CompileDiagnostic::Severity::Error:
    return "error";
  case kiln::CompileDiagnostic::Severity::Warning:
    return "warning";
  case kiln::CompileDiagnostic::Severity::Note:
    return "note";
  case kiln::CompileDiagnostic::Severity::Remark:
    return "remark";
  }
  return "error";
}

const char *kiln_compile_result_diagnostic(const kiln_compile_result *result,
                                           size_t index, const char *part) {
  if (!result || !part || index >= result->result.diagnostics.size())
    return nullptr;
  const kiln::CompileDiagnostic &d = result->result.diagnostics[index];
  llvm::StringRef which(part);
  if (which == "severity")
    return severityName(d.severity);
  if (which == "location")
    return d.location.c_str();
  if (which == "node")
    return d.node.c_str();
  if (which == "message")
    return d.message.c_str();
  if (which == "text")
    return result->texts[index].c_str();
  return nullptr;
}

const char *kiln_compile_result_report(const kiln_compile_result *result) {
  return result ? result->report.c_str() : "";
}

void kiln_compile_result_free(kiln_compile_result *result) { delete result; }

//===----------------------------------------------------------------------===//
// Tokenizers
//===----------------------------------------------------------------------===//

struct kiln_tokenizer {
  std::unique_ptr<kiln::tok::Tokenizer> tokenizer;
  std::string error;
};

kiln_tokenizer *kiln_tokenizer_load(const char *path) {
  auto *t = new (std::nothrow) kiln_tokenizer;
  if (!t)
    return nullptr;
  llvm::Expected<std::unique_ptr<kiln::tok::Tokenizer>> loaded =
      kiln::tok::Tokenizer::load(path ? path : "");
  if (loaded)
    t->tokenizer = std::move(*loaded);
  else
    t->error = llvm::toString(loaded.takeError());
  return t;
}

const char *kiln_tokenizer_error(const kiln_tokenizer *t) {
  return !t ? "no tokenizer" : t->tokenizer ? nullptr : t->error.c_str();
}

static size_t copyIds(const std::vector<int32_t> &ids, int *out,
                      size_t capacity) {
  for (size_t i = 0; i < ids.size() && i < capacity; ++i)
    out[i] = ids[i];
  return ids.size();
}

size_t kiln_tokenizer_encode(const kiln_tokenizer *t, const char *text,
                             size_t size, int add_special_tokens, int *ids,
                             size_t capacity) {
  if (!t || !t->tokenizer || (!text && size))
    return 0;
  return copyIds(t->tokenizer->encode(llvm::StringRef(text, size),
                                      add_special_tokens != 0),
                 ids, capacity);
}

size_t kiln_tokenizer_add_special_tokens(const kiln_tokenizer *t,
                                         const int *ids, size_t count,
                                         int *out, size_t capacity) {
  if (!t || !t->tokenizer || (!ids && count))
    return 0;
  std::vector<int32_t> in(ids, ids + count);
  return copyIds(t->tokenizer->withSpecialTokens(in), out, capacity);
}

size_t kiln_tokenizer_decode(const kiln_tokenizer *t, const int *ids,
                             size_t count, int skip_special_tokens,
                             char *text, size_t capacity) {
  if (!t || !t->tokenizer || (!ids && count))
    return 0;
  std::vector<int32_t> in(ids, ids + count);
  std::string bytes = t->tokenizer->decode(in, skip_special_tokens != 0);
  if (text)
    std::memcpy(text, bytes.data(), std::min(capacity, bytes.size()));
  return bytes.size();
}

int kiln_tokenizer_find(const kiln_tokenizer *t, const char *token) {
  if (!t || !t->tokenizer || !token)
    return -1;
  std::optional<int32_t> id = t->tokenizer->find(token);
  return id ? *id : -1;
}

void kiln_tokenizer_free(kiln_tokenizer *t) { delete t; }

static char *copyString(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out)
    std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

char *kiln_chat_render(const char *config_path, const kiln_tokenizer *t,
                       const char *prompt, const char *system, int chat,
                       char **out_text, int *stops, size_t capacity,
                       size_t *out_stops) {
  if (!config_path || !t || !t->tokenizer)
    return copyString("kiln_chat_render: no config path or no tokenizer");
  llvm::Expected<kiln::tok::GenerationConfig> config =
      kiln::tok::GenerationConfig::load(config_path);
  if (!config)
    return copyString(llvm::toString(config.takeError()));
  std::string text;
  if (prompt) {
    llvm::Expected<std::string> rendered =
        config->renderChat(prompt, system ? system : "");
    if (!rendered)
      return copyString(llvm::toString(rendered.takeError()));
    text = std::move(*rendered);
  }
  std::vector<int32_t> ids = config->stopTokens(*t->tokenizer, chat != 0);
  if (out_stops)
    *out_stops = copyIds(ids, stops, stops ? capacity : 0);
  if (out_text)
    *out_text = copyString(text);
  return nullptr;
}

void kiln_string_free(char *text) { std::free(text); }

