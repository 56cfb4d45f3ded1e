//===- LowerRuntimeChecks.cpp - tfm.runtime_check to runtime calls --------===//
//
// Part of kiln. Implements kiln-lower-runtime-checks: every
// tfm.runtime_check becomes
//
//   scf.if %failed {
//     %format = llvm.mlir.addressof @kiln_check_N
//     func.call @kiln_rt_check_failed(%format, %a, %b)
//   }
//
// The runtime's kiln_rt_check_failed does not return: it ends the run and
// kiln_model_run reports the formatted message.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/lowering/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_KILNLOWERRUNTIMECHECKS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kFailFunction = "kiln_rt_check_failed";

/// A check's message as a printf format: '%' doubled, {0} and {1} as %lld.
std::string printfFormat(StringRef message, size_t values) {
  std::string format;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '%') {
      format += "%%";
      continue;
    }
    bool placeholder = false;
    for (size_t v = 0; v < values && !placeholder; ++v) {
      std::string p = "{" + std::to_string(v) + "}";
      if (message.substr(i).starts_with(p)) {
        format += "%lld";
        i += p.size() - 1;
        placeholder = true;
      }
    }
    if (!placeholder)
      format += message[i];
  }
  return format;
}

struct KilnLowerRuntimeChecks
    : mlir::tfm::impl::KilnLowerRuntimeChecksBase<KilnLowerRuntimeChecks> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tfm::RuntimeCheckOp> checks;
    module.walk([&](tfm::RuntimeCheckOp op) { checks.push_back(op); });
    if (checks.empty())
      return;
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    b.setInsertionPointToStart(module.getBody());
    Location loc = module.getLoc();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    Type i64 = b.getI64Type();
    auto fail = module.lookupSymbol<func::FuncOp>(kFailFunction);
    if (!fail) {
      fail = func::FuncOp::create(
          b, loc, kFailFunction,
          b.getFunctionType({ptrType, i64, i64}, TypeRange{}));
      fail.setPrivate();
    }
    // One global per distinct message.
    llvm::StringMap<LLVM::GlobalOp> formats;
    for (tfm::RuntimeCheckOp check : checks) {
      std::string format =
          printfFormat(check.getMessage(), check.getValues().size());
      LLVM::GlobalOp &global = formats[format];
      if (!global) {
        std::string text = format + '\0';
        auto type = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
        global = LLVM::GlobalOp::create(
            b, loc, type, /*isConstant=*/true, LLVM::Linkage::Internal,
            "kiln_check_" + std::to_string(formats.size() - 1),
            b.getStringAttr(text));
      }
      OpBuilder at(check);
      Location l = check.getLoc();
      Value failed = arith::XOrIOp::create(
          at, l, check.getCondition(),
          arith::ConstantOp::create(at, l, at.getBoolAttr(true)));
      scf::IfOp::create(at, l, failed, [&](OpBuilder &nb, Location nl) {
        SmallVector<Value> args = {
            LLVM::AddressOfOp::create(nb, nl, global).getResult()};
        for (Value v : check.getValues())
          args.push_back(arith::IndexCastOp::create(nb, nl, i64, v));
        while (args.size() < 3)
          args.push_back(arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0)));
        func::CallOp::create(nb, nl, fail, args);
        scf::YieldOp::create(nb, nl);
      });
      check.erase();
    }
  }
};

} // namespace
