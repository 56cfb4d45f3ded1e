//===- Calibration.cpp - activation ranges for static quantization -------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

bool tfm::isQuantizableMatmul(MatmulOp op) {
  auto lhs = cast<RankedTensorType>(op.getLhs().getType());
  auto rhs = cast<RankedTensorType>(op.getRhs().getType());
  return op.getRhs().getDefiningOp<ConstantOp>() && !op.getTransposeLhs() &&
         lhs.getElementType().isF32() && rhs.getElementType().isF32() &&
         rhs.getRank() == 2 && rhs.hasStaticShape() &&
         op.getType().getElementType().isF32();
}

llvm::SmallVector<MatmulOp> tfm::collectQuantizableMatmuls(ModuleOp module) {
  llvm::SmallVector<MatmulOp> matmuls;
  module.walk([&](MatmulOp op) {
    if (isQuantizableMatmul(op))
      matmuls.push_back(op);
  });
  return matmuls;
}

std::string tfm::calibrationName(MatmulOp op, int64_t index) {
  if (auto name = dyn_cast<NameLoc>(op.getLoc()))
    return name.getName().str();
  return "matmul #" + std::to_string(index);
}

int64_t tfm::inputChannels(MatmulOp op) {
  auto rhs = cast<RankedTensorType>(op.getRhs().getType());
  return rhs.getDimSize(op.getTransposeRhs() ? 1 : 0);
}

tfm::WeightView::WeightView(MatmulOp op) {
  auto type = cast<RankedTensorType>(op.getRhs().getType());
  transposed = op.getTransposeRhs();
  k = type.getDimSize(transposed ? 1 : 0);
  n = type.getDimSize(transposed ? 0 : 1);
  if (auto constant = op.getRhs().getDefiningOp<ConstantOp>())
    data = getWeightFloats(constant.getValue(), storage);
}

std::optional<InputRange> tfm::getInputRange(MatmulOp op) {
  auto min = op->getAttrOfType<DenseF32ArrayAttr>(kLhsMinAttrName);
  auto max = op->getAttrOfType<DenseF32ArrayAttr>(kLhsMaxAttrName);
  int64_t k = inputChannels(op);
  if (!min || !max || min.size() != k || max.size() != k)
    return std::nullopt;
  return InputRange{min.asArrayRef(), max.asArrayRef()};
}

void tfm::setInputRange(MatmulOp op, llvm::ArrayRef<float> min,
                        llvm::ArrayRef<float> max) {
  Builder b(op.getContext());
  op->setAttr(kLhsMinAttrName, b.getDenseF32ArrayAttr(min));
  op->setAttr(kLhsMaxAttrName, b.getDenseF32ArrayAttr(max));
}

StaticQuantization tfm::perTensorQuantization(const InputRange &range) {
  double lo = 0, hi = 0;
  for (float v : range.min)
    lo = std::min<double>(lo, v);
  for (float v : range.max)
    hi = std::max<double>(hi, v);
  double scale = hi > lo ? (hi - lo) / 255.0 : 1.0;
  return {static_cast<float>(scale),
          static_cast<int64_t>(
              std::clamp(std::nearbyint(-lo / scale), 0.0, 255.0))};
}

std::string tfm::calibrationOutputName(int64_t index, bool max,
                                       llvm::StringRef name) {
  return "calibration:" + std::to_string(index) + (max ? ":max:" : ":min:") +
         name.str();
}

std::optional<CalibrationOutput>
tfm::parseCalibrationOutputName(llvm::StringRef output) {
  if (!output.consume_front("calibration:"))
    return std::nullopt;
  auto [index, rest] = output.split(':');
  auto [kind, name] = rest.split(':');
  CalibrationOutput parsed;
  if (index.getAsInteger(10, parsed.index) || parsed.index < 0 ||
      (kind != "min" && kind != "max"))
    return std::nullopt;
  parsed.max = kind == "max";
  parsed.name = name.str();
  return parsed;
}

bool tfm::writeCalibration(llvm::StringRef path, const CalibrationStats &stats,
                           std::string &error) {
  llvm::json::Array matmuls;
  for (const ChannelRanges &ranges : stats.matmuls)
    matmuls.push_back(llvm::json::Object{
        {"name", ranges.name},
        {"min", llvm::json::Array(ranges.min)},
        {"max", llvm::json::Array(ranges.max)}});
  llvm::json::Object root{{"format", "kiln-calibration"},
                          {"version", 1},
                          {"samples", stats.samples},
                          {"matmuls", std::move(matmuls)}};
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    error = "cannot write the calibration file '" + path.str() +
            "': " + ec.message();
    return false;
  }
  os << llvm::json::Value(std::move(root)) << "\n";
  os.close();
  if (os.has_error()) {
    error = "cannot write the calibration file '" + path.str() +
            "': " + os.error().message();
    return false;
  }
  return true;
}

bool tfm::readCalibration(llvm::StringRef path, CalibrationStats &stats,
                          std::string &error) {
  auto fail = [&](const llvm::Twine &why) {
    error = ("the calibration file '" + path + "' " + why).str();
    return false;
  };
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fail("cannot be read: " + buffer.getError().message());
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse((*buffer)->getBuffer());
  if (!parsed)
    return fail("is not JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != "kiln-calibration")
    return fail("is not a kiln calibration file (from kiln calibrate)");
  if (root->getInteger("version") != 1)
    return fail("has a version this kiln does not read (it reads 1)");
  stats.samples = root->getInteger("samples").value_or(0);
  const llvm::json::Array *matmuls = root->getArray("matmuls");
  if (!matmuls)
    return fail("has no \"matmuls\" list");
  stats.matmuls.clear();
  for (const llvm::json::Value &entry : *matmuls) {
    const llvm::json::Object *object = entry.getAsObject();
    int64_t index = static_cast<int64_t>(stats.matmuls.size());
    if (!object)
      return fail("has a matmul entry (#" + llvm::Twine(index) +
                  ") that is not an object");
    ChannelRanges ranges;
    ranges.name = object->getString("name").value_or("").str();
    for (auto [key, out] : {std::pair{"min", &ranges.min},
                            std::pair{"max", &ranges.max}}) {
      const llvm::json::Array *values = object->getArray(key);
      if (!values)
        return fail("has no \"" + llvm::Twine(key) + "\" for matmul #" +
                    llvm::Twine(index));
      for (const llvm::json::Value &v : *values) {
        std::optional<double> number = v.getAsNumber();
        if (!number)
          return fail("has a non-number in \"" + llvm::Twine(key) +
                      "\" of matmul #" + llvm::Twine(index));
        out->push_back(static_cast<float>(*number));
      }
    }
    if (ranges.min.size() != ranges.max.size())
      return fail("has min and max of different lengths for matmul #" +
                  llvm::Twine(index));
    stats.matmuls.push_back(std::move(ranges));
  }
  return true;
}
