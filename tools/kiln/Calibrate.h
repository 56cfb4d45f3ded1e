//===- Calibrate.h - `kiln calibrate` ---------------------------*- C++ -*-===//
//
// Part of kiln. Records the range of every weight matmul's input over a set
// of real inputs, for the calibrated quantization schemes (smoothquant,
// w8a8-static): compiles the model with tfm-record-activation-ranges into a
// temporary library, runs it on each sample, and writes the per-channel
// minimum and maximum over all of them (passes/quantization/Calibration.h).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_CALIBRATE_H
#define KILN_TOOLS_KILN_CALIBRATE_H

#include "compiler/Compiler.h"

#include <string>

namespace kiln {

struct CalibrateOptions {
  /// How to compile the model: its input, frontend, shapes, fusion and
  /// target as the quantizing compile will have them (output and
  /// quantization are set here).
  CompileOptions compile;
  /// The samples: a folder of NAME.npy files (one sample), or a folder of
  /// such folders (one per sample, taken in name order).
  std::string samples;
  /// The calibration file to write (JSON).
  std::string output;
  /// Threads per run; 0: the library's default.
  int threads = 0;
};

/// Records the ranges; prints a line of what it did. Returns false with
/// `error` (compile errors are printed as they come).
bool calibrate(const CalibrateOptions &options, std::string &error);

} // namespace kiln

#endif // KILN_TOOLS_KILN_CALIBRATE_H
