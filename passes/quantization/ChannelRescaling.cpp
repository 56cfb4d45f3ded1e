//===- ChannelRescaling.cpp - moving scales between a matmul's inputs -----===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/ChannelRescaling.h"
#include "passes/quantization/Calibration.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

llvm::MapVector<Value, llvm::SmallVector<MatmulOp, 3>>
tfm::groupMatmulsByInput(ModuleOp module) {
  llvm::MapVector<Value, llvm::SmallVector<MatmulOp, 3>> groups;
  for (MatmulOp op : collectQuantizableMatmuls(module))
    groups[op.getLhs()].push_back(op);
  return groups;
}

namespace {

/// The f32 values of `value` if a constant holds `size` of them.
std::optional<std::vector<float>> constantFloats(Value value, size_t size) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!constant)
    return std::nullopt;
  std::vector<float> storage;
  ArrayRef<float> data = getWeightFloats(constant.getValue(), storage);
  if (data.size() != size)
    return std::nullopt;
  return std::vector<float>(data.begin(), data.end());
}

Value floatVector(OpBuilder &b, Location loc, StringRef name,
                  ArrayRef<float> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getF32Type());
  return createBlobConstant(b, loc, type, name, values);
}

/// Folds x * mul + add into the norm producing x, if it has constant
/// parameters over the last dim only.
bool foldIntoNorm(Value x, ArrayRef<float> mul, ArrayRef<float> add) {
  Operation *norm = x.getDefiningOp();
  auto type = cast<RankedTensorType>(x.getType());
  size_t k = mul.size();
  auto foldScale = [&](Value scale) -> Value {
    std::optional<std::vector<float>> gamma = constantFloats(scale, k);
    if (!gamma)
      return {};
    for (size_t c = 0; c < k; ++c)
      (*gamma)[c] *= mul[c];
    OpBuilder b(norm);
    return floatVector(b, norm->getLoc(), "smoothed_norm_scale", *gamma);
  };
  if (auto ln = dyn_cast_or_null<LayerNormOp>(norm)) {
    if (static_cast<int64_t>(ln.getAxis()) != type.getRank() - 1)
      return false;
    std::optional<std::vector<float>> beta =
        ln.getBias() ? constantFloats(ln.getBias(), k)
                     : std::vector<float>(k, 0.0f);
    if (!beta)
      return false;
    Value gamma = foldScale(ln.getScale());
    if (!gamma)
      return false;
    for (size_t c = 0; c < k; ++c)
      (*beta)[c] = (*beta)[c] * mul[c] + (add.empty() ? 0.0f : add[c]);
    OpBuilder b(norm);
    auto oldScale = ln.getScale().getDefiningOp<ConstantOp>();
    auto oldBias = ln.getBias() ? ln.getBias().getDefiningOp<ConstantOp>()
                                : ConstantOp();
    ln.getScaleMutable().assign(gamma);
    Value bias = floatVector(b, ln.getLoc(), "smoothed_norm_bias", *beta);
    if (ln.getBias())
      ln.getBiasMutable().assign(bias);
    else
      ln.getBiasMutable().append(bias);
    releaseWeight(oldScale);
    releaseWeight(oldBias);
    return true;
  }
  if (auto rms = dyn_cast_or_null<RmsNormOp>(norm)) {
    if (static_cast<int64_t>(rms.getAxis()) != type.getRank() - 1 ||
        llvm::any_of(add, [](float v) { return v != 0.0f; }))
      return false;
    Value gamma = foldScale(rms.getScale());
    if (!gamma)
      return false;
    auto oldScale = rms.getScale().getDefiningOp<ConstantOp>();
    rms.getScaleMutable().assign(gamma);
    releaseWeight(oldScale);
    return true;
  }
  return false;
}

} // namespace

bool tfm::rescaleInputChannels(ArrayRef<MatmulOp> group, ArrayRef<float> mul,
                               ArrayRef<float> add) {
  MatmulOp first = group.front();
  Value x = first.getLhs();
  llvm::SmallPtrSet<Operation *, 4> members;
  for (MatmulOp op : group)
    members.insert(op);
  bool onlyGroup = llvm::all_of(x.getUses(), [&](OpOperand &use) {
    return members.contains(use.getOwner()) && use.getOperandNumber() == 0;
  });
  if (onlyGroup && foldIntoNorm(x, mul, add))
    return true;

  // Right after x (or at the top of the block for an argument).
  OpBuilder b(x.getContext());
  if (Operation *def = x.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(x).getOwner());
  Location loc = first.getLoc();
  Value rescaled =
      MulOp::create(b, loc, x, floatVector(b, loc, "channel_scale", mul));
  if (llvm::any_of(add, [](float v) { return v != 0.0f; }))
    rescaled = AddOp::create(b, loc, rescaled,
                             floatVector(b, loc, "channel_shift", add));
  for (MatmulOp op : group)
    op.getLhsMutable().assign(rescaled);
  return false;
}

LogicalResult tfm::scaleWeightRows(MatmulOp op, ArrayRef<float> scale,
                                   ArrayRef<float> shift) {
  auto weight = op.getRhs().getDefiningOp<ConstantOp>();
  auto type = cast<RankedTensorType>(op.getRhs().getType());
  bool transposed = op.getTransposeRhs();
  int64_t k = type.getDimSize(transposed ? 1 : 0);
  int64_t n = type.getDimSize(transposed ? 0 : 1);
  std::optional<std::vector<float>> w = constantFloats(op.getRhs(), k * n);
  if (!w)
    return op.emitOpError("cannot read the weight to rescale it");
  auto at = [&](int64_t row, int64_t col) -> float & {
    return transposed ? (*w)[col * k + row] : (*w)[row * n + col];
  };
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      at(row, col) *= scale[row];

  OpBuilder b(op);
  Location loc = op.getLoc();
  op.getRhsMutable().assign(
      createBlobConstant(b, loc, type, "rescaled_weight", ArrayRef<float>(*w)));
  releaseWeight(weight);
  if (llvm::none_of(shift, [](float v) { return v != 0.0f; }))
    return success();

  // bias += shift * W' (in double: K terms).
  std::vector<double> delta(n, 0.0);
  for (int64_t row = 0; row < k; ++row)
    if (shift[row] != 0.0f)
      for (int64_t col = 0; col < n; ++col)
        delta[col] += static_cast<double>(shift[row]) * at(row, col);
  std::vector<float> bias(n, 0.0f);
  Value oldBias = op.getBias();
  if (oldBias) {
    auto type = cast<RankedTensorType>(oldBias.getType());
    std::optional<std::vector<float>> values = constantFloats(oldBias, n);
    if (!values || type.getRank() != 1)
      return op.emitOpError("cannot fold the input's shift into a bias that "
                            "is not a constant [N] vector");
    bias = *values;
  }
  for (int64_t col = 0; col < n; ++col)
    bias[col] = static_cast<float>(bias[col] + delta[col]);
  Value newBias = floatVector(b, loc, "rescaled_bias", bias);
  if (oldBias) {
    op.getBiasMutable().assign(newBias);
    releaseWeight(oldBias.getDefiningOp<ConstantOp>());
  } else {
    op.getBiasMutable().append(newBias);
  }
  return success();
}

LogicalResult tfm::divideInputChannels(ArrayRef<MatmulOp> group,
                                       ArrayRef<float> min,
                                       ArrayRef<float> max,
                                       ArrayRef<float> s) {
  size_t k = s.size();
  std::vector<float> inverse(k), newMin(k), newMax(k);
  for (size_t c = 0; c < k; ++c) {
    inverse[c] = 1.0f / s[c];
    newMin[c] = min[c] * inverse[c];
    newMax[c] = max[c] * inverse[c];
  }
  rescaleInputChannels(group, inverse, {});
  for (MatmulOp op : group) {
    if (failed(scaleWeightRows(op, s, {})))
      return failure();
    setInputRange(op, newMin, newMax);
  }
  return success();
}

std::vector<float> tfm::weightRowAbsMax(MatmulOp op) {
  WeightView w(op);
  std::vector<float> amax(w.k, 0.0f);
  if (!w.valid())
    return amax;
  for (int64_t row = 0; row < w.k; ++row)
    for (int64_t col = 0; col < w.n; ++col)
      amax[row] = std::max(amax[row], std::fabs(w.at(row, col)));
  return amax;
}
