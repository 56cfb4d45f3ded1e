//===- Calibrate.cpp - `kiln calibrate` -----------------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Calibrate.h"
#include "tools/kiln/RunModel.h"

#include "passes/quantization/Calibration.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;
using mlir::tfm::CalibrationStats;

namespace kiln {
namespace {

/// NAME=FILE.npy for each .npy file directly in `dir`, sorted.
std::vector<std::string> npyInputs(const fs::path &dir) {
  std::vector<std::string> inputs;
  std::error_code ec;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".npy")
      inputs.push_back(entry.path().stem().string() + "=" +
                       entry.path().string());
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

/// The samples' input sets: `dir` itself if it holds .npy files, else each
/// subfolder that does.
bool findSamples(const std::string &dir,
                 std::vector<std::vector<std::string>> &samples,
                 std::string &error) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = "--calibration: '" + dir + "' is not a folder of samples";
    return false;
  }
  if (std::vector<std::string> own = npyInputs(dir); !own.empty()) {
    samples.push_back(std::move(own));
    return true;
  }
  std::vector<fs::path> subdirs;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory())
      subdirs.push_back(entry.path());
  std::sort(subdirs.begin(), subdirs.end());
  for (const fs::path &sub : subdirs)
    if (std::vector<std::string> inputs = npyInputs(sub); !inputs.empty())
      samples.push_back(std::move(inputs));
  if (samples.empty()) {
    error = "--calibration: '" + dir +
            "' has no samples (a sample is a folder of NAME.npy files, one "
            "per model input)";
    return false;
  }
  return true;
}

/// Folds one run's range outputs into `stats`.
bool accumulate(const std::vector<FloatOutput> &outputs, bool first,
                CalibrationStats &stats, std::string &error) {
  for (const FloatOutput &out : outputs) {
    std::optional<mlir::tfm::CalibrationOutput> parsed =
        mlir::tfm::parseCalibrationOutputName(out.name);
    if (!parsed)
      continue;
    if (stats.matmuls.size() <= static_cast<size_t>(parsed->index))
      stats.matmuls.resize(parsed->index + 1);
    mlir::tfm::ChannelRanges &ranges = stats.matmuls[parsed->index];
    std::vector<float> &into = parsed->max ? ranges.max : ranges.min;
    ranges.name = parsed->name;
    if (first) {
      into = out.values;
      continue;
    }
    if (into.size() != out.values.size()) {
      error = "the recording library's output '" + out.name + "' changed size";
      return false;
    }
    for (size_t c = 0; c < into.size(); ++c)
      into[c] = parsed->max ? std::max(into[c], out.values[c])
                            : std::min(into[c], out.values[c]);
  }
  return true;
}

} // namespace

bool calibrate(const CalibrateOptions &options, std::string &error) {
  std::vector<std::vector<std::string>> samples;
  if (!findSamples(options.samples, samples, error))
    return false;

  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("kiln-calibrate", dir)) {
    error = "cannot create a temporary folder: " + ec.message();
    return false;
  }
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } removeDir{dir.str().str()};

  CompileOptions compile = options.compile;
  compile.output = (fs::path(removeDir.path) / "recording.so").string();
  compile.emit = EmitStage::So;
  compile.quantize.clear();
  compile.calibration.clear();
  compile.recordActivationRanges = true;
  CompileResult result =
      kiln::compile(compile, [](const CompileDiagnostic &diagnostic) {
        diagnostic.print(llvm::errs());
      });
  if (!result.succeeded) {
    error = "cannot build the recording library for calibration";
    return false;
  }

  CalibrationStats stats;
  stats.samples = static_cast<int64_t>(samples.size());
  auto sink = [&](size_t set, const std::vector<FloatOutput> &outputs,
                  std::string &sinkError) {
    return accumulate(outputs, set == 0, stats, sinkError);
  };
  if (!runOnInputSets(compile.output, options.threads, samples, sink, error))
    return false;
  if (stats.matmuls.empty()) {
    error = "the model has no weight matmuls to calibrate";
    return false;
  }
  if (!mlir::tfm::writeCalibration(options.output, stats, error))
    return false;
  llvm::outs() << "kiln: recorded the input ranges of " << stats.matmuls.size()
               << " matmuls over " << stats.samples
               << (stats.samples == 1 ? " sample" : " samples") << " -> "
               << options.output << "\n";
  llvm::outs().flush();
  return true;
}

} // namespace kiln
