//===- FusionUtils.h - matchers shared by the fusion passes -----*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_FUSION_FUSIONUTILS_H
#define KILN_PASSES_FUSION_FUSIONUTILS_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <optional>

namespace mlir::tfm::fusion {

/// The value of a splat float constant (any shape), if `v` is one.
inline std::optional<double> splatValue(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  if (isa<FloatType>(attr.getElementType()))
    return attr.getSplatValue<APFloat>().convertToDouble();
  if (attr.getElementType().isIntOrIndex())
    return static_cast<double>(attr.getSplatValue<APInt>().getSExtValue());
  return std::nullopt;
}

/// Whether `v` is a splat constant within a relative 1e-4 of `expected`.
inline bool isSplat(Value v, double expected) {
  std::optional<double> value = splatValue(v);
  return value && std::abs(*value - expected) <=
                      1e-4 * std::max(1.0, std::abs(expected));
}

/// The factors of a product tree of tfm.mul ops (each inner mul used only
/// by its parent), left to right.
inline void collectFactors(Value v, SmallVectorImpl<Value> &factors,
                           bool isRoot = true) {
  auto mul = v.getDefiningOp<MulOp>();
  if (mul && (isRoot || mul->hasOneUse())) {
    collectFactors(mul.getLhs(), factors, false);
    collectFactors(mul.getRhs(), factors, false);
    return;
  }
  factors.push_back(v);
}

/// For `a + b` with one side a splat equal to `c`, the other side.
inline Value addendOf(Value v, double c) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return {};
  if (isSplat(add.getRhs(), c))
    return add.getLhs();
  if (isSplat(add.getLhs(), c))
    return add.getRhs();
  return {};
}

/// A plain rank-4 product `tfm.matmul(a, b)` (no epilogue, no transposes):
/// the q k^T and P v of attention, softmax or linear.
inline MatmulOp plainRank4Product(Value v) {
  auto mm = v.getDefiningOp<MatmulOp>();
  if (!mm || mm.getBias() || mm.getResidual() || mm.getActivation() ||
      mm.getTransposeLhs() || mm.getTransposeRhs() ||
      mm.getType().getRank() != 4 || mm.getLhs().getType().getRank() != 4 ||
      mm.getRhs().getType().getRank() != 4)
    return {};
  return mm;
}

/// A pass that applies one pattern set greedily: every fusion pass is this
/// over its populate function.
template <typename Base, void (*populate)(RewritePatternSet &)>
struct PatternPass : Base {
  void runOnOperation() override {
    RewritePatternSet patterns(&this->getContext());
    populate(patterns);
    if (failed(applyPatternsGreedily(this->getOperation(),
                                     std::move(patterns))))
      this->signalPassFailure();
  }
};

} // namespace mlir::tfm::fusion

#endif // KILN_PASSES_FUSION_FUSIONUTILS_H
