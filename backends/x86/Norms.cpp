//===- Norms.cpp - layer and RMS norms on the norm microkernel ------------===//
//
// Part of kiln. Implements kiln-x86-norms (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/Passes.h"
#include "backends/x86/WrapperText.h"
#include "dialects/tfm/TfmOps.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86NORMS
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Rows per work item: enough to pay for a fork, few enough for two threads
/// at 128 tokens.
constexpr int64_t kRowBlock = 16;

std::string wrapperName(const kiln::x86::KernelIsa &isa, bool rms,
                        bool bias) {
  return "kiln_" + std::string(rms ? "rms_norm_" : "layer_norm_") +
         isa.name + (bias ? "_bias" : "");
}

/// y = norm(x [rows, n], gamma, [beta], eps) -> [rows, n], parallel over
/// blocks of kRowBlock rows.
std::string wrapperSource(const kiln::x86::KernelIsa &isa, bool rms,
                          bool bias) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string uk = "kiln_uk_norm_" + isa.name;
  const char *ukArgs = "(!llvm.ptr, !llvm.ptr, i64, i64, i64, !llvm.ptr, "
                       "!llvm.ptr, f32, i64)";
  os << "func.func private @" << uk << ukArgs << "\n"
     << "func.func private @" << wrapperName(isa, rms, bias)
     << "(%x: tensor<?x?xf32>, %g: tensor<?xf32>"
     << (bias ? ", %b: tensor<?xf32>" : "")
     << ", %eps: f32) -> tensor<?x?xf32> {\n"
        "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %rb = arith.constant "
     << kRowBlock
     << " : index\n"
        "  %rms = arith.constant "
     << (rms ? 1 : 0) << " : i64\n"
     << kiln::x86::tensorPointer("X", "x", "memref<?x?xf32>",
                                 "tensor<?x?xf32>")
     << kiln::x86::tensorPointer("G", "g", "memref<?xf32>", "tensor<?xf32>");
  if (bias)
    os << kiln::x86::tensorPointer("Bt", "b", "memref<?xf32>",
                                   "tensor<?xf32>");
  else
    os << "  %Bt_p = llvm.mlir.zero : !llvm.ptr\n";
  os << "  %R = memref.dim %X, %c0 : memref<?x?xf32>\n"
        "  %N = memref.dim %X, %c1 : memref<?x?xf32>\n"
        "  %N_w = arith.index_cast %N : index to i64\n"
        "  %Y = memref.alloc(%R, %N) {alignment = 64} : memref<?x?xf32>\n"
     << kiln::x86::bufferPointer("Y", "memref<?x?xf32>")
     << "  %blocks = arith.ceildivui %R, %rb : index\n"
        "  scf.parallel (%i) = (%c0) to (%blocks) step (%c1) {\n"
        "    %r0 = arith.muli %i, %rb : index\n"
        "    %r1e = arith.addi %r0, %rb : index\n"
        "    %r1 = arith.minui %r1e, %R : index\n"
        "    %r0w = arith.index_cast %r0 : index to i64\n"
        "    %r1w = arith.index_cast %r1 : index to i64\n"
        "    func.call @"
     << uk
     << "(%X_p, %Y_p, %r0w, %r1w, %N_w, %G_p, %Bt_p, %eps, %rms) : "
     << ukArgs
     << " -> ()\n"
        "    scf.reduce\n"
        "  }\n"
        "  %y = bufferization.to_tensor %Y restrict writable : "
        "memref<?x?xf32> to tensor<?x?xf32>\n"
        "  return %y : tensor<?x?xf32>\n"
        "}\n";
  return s;
}

/// Whether `v` is a 1-D f32 tensor of static size n.
bool isVectorOf(Value v, int64_t n) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 1 && t.getDimSize(0) == n &&
         t.getElementType().isF32();
}

struct X86Norms : mlir::tfm::impl::X86NormsBase<X86Norms> {
  using X86NormsBase::X86NormsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<kiln::x86::KernelIsa> kernelIsa =
        kiln::x86::kernelIsaOption(module, "kiln-x86-norms", isa);
    if (!kernelIsa)
      return signalPassFailure();
    SmallVector<Operation *> norms;
    module.walk([&](Operation *op) {
      if (isa_and_nonnull<tfm::LayerNormOp, tfm::RmsNormOp>(op))
        norms.push_back(op);
    });
    for (Operation *op : norms) {
      if (auto ln = dyn_cast<tfm::LayerNormOp>(op)) {
        if (failed(rewrite(module, op, ln.getInput(), ln.getScale(),
                           ln.getBias(), ln.getAxis(),
                           ln.getEpsilon().convertToFloat(), false,
                           *kernelIsa)))
          return signalPassFailure();
      } else {
        auto rn = cast<tfm::RmsNormOp>(op);
        if (failed(rewrite(module, op, rn.getInput(), rn.getScale(), Value(),
                           rn.getAxis(), rn.getEpsilon().convertToFloat(),
                           true, *kernelIsa)))
          return signalPassFailure();
      }
    }
  }

  LogicalResult rewrite(ModuleOp module, Operation *op, Value x, Value gamma,
                        Value beta, int64_t axis, float eps, bool rms,
                        const kiln::x86::KernelIsa &isa) {
    auto xt = cast<RankedTensorType>(x.getType());
    int64_t n = xt.getShape().back();
    // Only the last dim normalized, static, with [n] scale and bias; other
    // norms keep the generic lowering.
    if (axis != xt.getRank() - 1 || ShapedType::isDynamic(n) ||
        xt.getRank() < 2 || !xt.getElementType().isF32() ||
        !isVectorOf(gamma, n) || (beta && !isVectorOf(beta, n)))
      return success();
    std::string name = wrapperName(isa, rms, beta != nullptr);
    if (failed(kiln::addKernelFunction(module, name,
                                       wrapperSource(isa, rms, beta != nullptr))))
      return failure();
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto vec = RankedTensorType::get({ShapedType::kDynamic}, b.getF32Type());
    SmallVector<Value> operands{kiln::flattenToRows(b, loc, x),
                                tensor::CastOp::create(b, loc, vec, gamma)};
    if (beta)
      operands.push_back(tensor::CastOp::create(b, loc, vec, beta));
    operands.push_back(
        arith::ConstantOp::create(b, loc, b.getF32FloatAttr(eps)));
    Value y = func::CallOp::create(b, loc, name,
                                   TypeRange{operands.front().getType()},
                                   operands)
                  .getResult(0);
    // Back to x's shape.
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    Value shape = tfm::ShapeOp::create(b, loc, x, b.getI64IntegerAttr(0),
                                       IntegerAttr());
    y = tfm::ReshapeOp::create(b, loc, type, y, shape);
    op->getResult(0).replaceAllUsesWith(y);
    op->erase();
    return success();
  }
};

} // namespace
