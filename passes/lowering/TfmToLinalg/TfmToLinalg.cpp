//===- TfmToLinalg.cpp - the tfm-to-linalg pass ---------------------------===//
//
// Part of kiln. The target-independent lowering of every tfm op onto
// upstream dialects on tensors, shared by the x86 and CUDA backends.
// Elementwise ops, reductions and contractions become linalg.generic ops
// with NumPy broadcasting expressed in their indexing maps; data movement
// becomes tensor ops. Dynamic dims are read with tensor.dim. The patterns
// live in one file per op family (Common.h lists them).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/TfmToLinalg/Common.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMTOLINALG
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
namespace tfm = mlir::tfm;

namespace {

/// Why patterns declined each op (notifyMatchFailure), so that an op no
/// pattern lowered is reported once, with the reason.
struct DeclineReasons : RewriterBase::Listener {
  void notifyMatchFailure(
      Location loc, function_ref<void(Diagnostic &)> reasonCallback) override {
    Diagnostic reason(loc, DiagnosticSeverity::Remark);
    reasonCallback(reason);
    reasons[loc] = reason.str();
  }
  DenseMap<Location, std::string> reasons;
};

struct TfmToLinalg : mlir::tfm::impl::TfmToLinalgBase<TfmToLinalg> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    mlir::tfm::populateTfmToLinalgPatterns(patterns, {checkIndices});
    DeclineReasons declined;
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     GreedyRewriteConfig().setListener(
                                         &declined))))
      return signalPassFailure();
    bool failedToLower = false;
    getOperation().walk([&](Operation *op) {
      // Run-time checks stay for kiln-lower-runtime-checks.
      if (isa<tfm::TfmDialect>(op->getDialect()) &&
          !isa<tfm::RuntimeCheckOp>(op)) {
        InFlightDiagnostic error = op->emitError("kiln cannot lower '")
                                   << op->getName() << "' to linalg yet";
        auto reason = declined.reasons.find(op->getLoc());
        if (reason != declined.reasons.end())
          error << ": " << reason->second;
        failedToLower = true;
      }
    });
    if (failedToLower)
      signalPassFailure();
  }
};

} // namespace

void mlir::tfm::populateTfmToLinalgPatterns(RewritePatternSet &patterns,
                                            const TfmToLinalgChecks &checks) {
  lowering::populateElementwisePatterns(patterns);
  lowering::populateReductionPatterns(patterns);
  lowering::populateDataMovementPatterns(patterns, checks);
  lowering::populateMatmulPatterns(patterns);
  lowering::populateNormPatterns(patterns);
  lowering::populateAttentionPatterns(patterns);
  lowering::populateConvPatterns(patterns);
  lowering::populateRopePatterns(patterns);
}
