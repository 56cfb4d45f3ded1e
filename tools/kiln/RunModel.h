//===- RunModel.h - `kiln run` and `kiln bench` -----------------*- C++ -*-===//
//
// Part of kiln. Runs a compiled model library (model.so) the way a user
// would: dlopen()s it and calls its C API (runtime/kiln_runtime.h) through
// dlsym, so kiln itself never links the runtime. Inputs come from .npy files
// or are made up (--random); outputs go to .npy files.
//
// Needs -ldl (${CMAKE_DL_LIBS}) on glibc older than 2.34.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUNMODEL_H
#define KILN_TOOLS_KILN_RUNMODEL_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// Options of `kiln run`.
struct RunOptions {
  /// The model library (model.so); its weights are model.so.weights.
  std::string library;
  /// NAME=FILE.npy, one per input given from a file.
  std::vector<std::string> inputs;
  /// Makes up the inputs not given: floats uniform in [-1, 1); integers in
  /// the input's range (token ids), ones for masks, else 0 or 1.
  bool random = false;
  /// Seed of --random.
  uint64_t seed = 0;
  /// Shapes of --random inputs, for their dynamic dims (1 by default):
  /// NAME=D0xD1... for an input (NAME= for a scalar), or DIM=N for a
  /// symbolic dim of the model (e.g. batch=2, seq=128).
  std::vector<std::string> shapes;
  /// Where to write NAME.npy per output (created if needed); none if empty.
  std::string outputDir;
  /// Threads per run; 0: the library's default (KILN_NUM_THREADS, or all
  /// cores).
  int threads = 0;
};

/// Options of `kiln bench`: the inputs as for `kiln run`.
struct BenchOptions {
  std::string library;
  std::vector<std::string> inputs;
  bool random = false;
  uint64_t seed = 0;
  std::vector<std::string> shapes;
  int threads = 0;
  /// Runs before timing.
  int warmup = 3;
  /// Timed runs: at least this many, and more until minTime has passed.
  int iterations = 20;
  /// Seconds; 0 for none.
  double minTime = 0;
};

/// `kiln run`: loads the library, runs it once on the inputs, prints the
/// inputs, outputs and time, and writes the outputs. Returns the exit code;
/// errors are printed as "kiln: error: ...".
int runModelCommand(const RunOptions &options);

/// `kiln bench`: runs the model repeatedly and prints its latency (min,
/// median, p90, mean) and thread count. Returns the exit code.
int benchModelCommand(const BenchOptions &options);

/// One float32 output of a run.
struct FloatOutput {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// Receives run `set`'s float32 outputs; returns false (with `error`) to
/// stop.
using OutputSink = std::function<bool(
    size_t set, const std::vector<FloatOutput> &outputs, std::string &error)>;

/// Loads `library` once and runs it on each input set (NAME=FILE.npy per
/// input, as --input takes them), passing each run's outputs to `sink`.
/// Prints nothing; returns false with `error` on the first failure.
bool runOnInputSets(const std::string &library, int threads,
                    const std::vector<std::vector<std::string>> &inputSets,
                    const OutputSink &sink, std::string &error);

/// An integer input held in memory, by name (token ids, masks).
struct IntInput {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<int64_t> values;
};

/// A model library loaded once and run on inputs held in memory (`kiln
/// embed`): every model input must be given, as integers that fit its
/// dtype.
class ModelSession {
public:
  ModelSession();
  ~ModelSession();
  /// Loads `library`; `threads` as RunOptions says.
  bool open(const std::string &library, int threads, std::string &error);
  /// Runs it; the float32 outputs in the library's order. A decoder runs
  /// on the cache createCache made (appending to sequences 0, 1, ...), or
  /// on a fresh one sized to the inputs.
  bool run(const std::vector<IntInput> &inputs,
           std::vector<FloatOutput> &outputs, std::string &error);
  /// Decoders: whether the library keeps a KV cache; its context limit.
  bool hasCache(int64_t *contextLimit = nullptr) const;
  /// Decoders: a new, empty KV cache of `batch` sequences of at most
  /// `maxContext` tokens, which run() then appends to.
  bool createCache(size_t batch, size_t maxContext, std::string &error);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace kiln

#endif // KILN_TOOLS_KILN_RUNMODEL_H
