//===- ApproximateMath.cpp - inline polynomial math for vectorization -----===//
//
// Part of kiln. Implements kiln-approximate-math (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/x86/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86APPROXIMATEMATH
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct X86ApproximateMath
    : mlir::tfm::impl::X86ApproximateMathBase<X86ApproximateMath> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // sin and cos stay libm calls: their range reduction is only good for
    // small arguments, and rotary angles reach thousands of radians.
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) {
          return llvm::is_contained(
              {"math.exp", "math.expm1", "math.exp2", "math.log",
               "math.log1p", "math.log2", "math.tanh", "math.erf",
               "math.erfc", "math.atan", "math.atan2", "math.asin",
               "math.acos", "math.cbrt"},
              name);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
