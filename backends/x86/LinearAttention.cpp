//===- LinearAttention.cpp - tfm.linear_attention on its microkernel ------===//
//
// Part of kiln. Implements kiln-x86-linear-attention (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/Passes.h"
#include "backends/x86/WrapperText.h"
#include "dialects/tfm/TfmOps.h"
#include "runtime/ukernels/ukernels.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86LINEARATTENTION
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

// The microkernel's enum values are the op's (ukernels.h).
static_assert(KILN_UK_FEATURE_ELU_PLUS_ONE ==
                  static_cast<int>(tfm::FeatureMap::elu_plus_one) &&
              KILN_UK_FEATURE_SILU == static_cast<int>(tfm::FeatureMap::silu) &&
              KILN_UK_FEATURE_RELU == static_cast<int>(tfm::FeatureMap::relu));
static_assert(KILN_UK_DECAY_CONSTANT ==
                  static_cast<int>(tfm::LinearDecay::constant) &&
              KILN_UK_DECAY_SCALAR_GATE ==
                  static_cast<int>(tfm::LinearDecay::scalar_gate) &&
              KILN_UK_DECAY_VECTOR_GATE ==
                  static_cast<int>(tfm::LinearDecay::vector_gate));
static_assert(KILN_UK_NORM_DENOMINATOR ==
                  static_cast<int>(tfm::LinearNormalization::denominator) &&
              KILN_UK_NORM_RETNET ==
                  static_cast<int>(tfm::LinearNormalization::retnet));

/// What a wrapper is specialised on: the gate's rank (0: none) and whether
/// a state comes in and goes out. Everything else is an argument.
struct Variant {
  int64_t gateRank;
  bool state;
};

std::string wrapperName(const kiln::x86::KernelIsa &isa, Variant variant) {
  std::string name = "kiln_linear_attention_" + isa.name;
  if (variant.gateRank)
    name += "_gate" + std::to_string(variant.gateRank);
  if (variant.state)
    name += "_state";
  return name;
}

std::string dynamicType(StringRef kind, int64_t rank) {
  std::string s = kind.str() + "<";
  for (int64_t d = 0; d < rank; ++d)
    s += "?x";
  return s + "f32>";
}

/// The wrapper's MLIR text: out[, state'] = linear_attention(q, k, v,
/// [gate], log_decay, [state], flags...) on rank-4 tensors, parallel over
/// (batch, head) work items.
std::string wrapperSource(const kiln::x86::KernelIsa &isa, Variant variant) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string uk = "kiln_uk_linear_attention_" + isa.name;
  std::string t4 = dynamicType("tensor", 4), m4 = dynamicType("memref", 4);
  std::string t1 = dynamicType("tensor", 1), m1 = dynamicType("memref", 1);
  std::string tg = dynamicType("tensor", variant.gateRank),
              mg = dynamicType("memref", variant.gateRank);
  std::string ukArgs = "(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, "
                       "!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, "
                       "i64, i64, i64, i64, i64, i64, i64, f32, f32, i64, i64)";
  os << "func.func private @" << uk << ukArgs << "\n";
  os << "func.func private @" << wrapperName(isa, variant) << "(%q: " << t4
     << ", %k: " << t4 << ", %v: " << t4;
  if (variant.gateRank)
    os << ", %g: " << tg;
  os << ", %ld: " << t1;
  if (variant.state)
    os << ", %s: " << t4;
  os << ", %fm: i64, %dc: i64, %nm: i64, %cs: i64, %scale: f32, %eps: f32, "
        "%chunk: i64) -> ("
     << t4 << (variant.state ? ", " + t4 : "") << ") {\n";
  os << "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %c2 = arith.constant 2 : index\n"
        "  %c3 = arith.constant 3 : index\n";
  os << kiln::x86::tensorPointer("Q", "q", m4, t4)
     << kiln::x86::tensorPointer("K", "k", m4, t4)
     << kiln::x86::tensorPointer("V", "v", m4, t4)
     << kiln::x86::tensorPointer("LD", "ld", m1, t1);
  if (variant.gateRank)
    os << kiln::x86::tensorPointer("G", "g", mg, tg);
  else
    os << "  %G_p = llvm.mlir.zero : !llvm.ptr\n";
  if (variant.state)
    os << kiln::x86::tensorPointer("S", "s", m4, t4);
  else
    os << "  %S_p = llvm.mlir.zero : !llvm.ptr\n";
  auto dim = [&](StringRef name, StringRef buffer, int d) {
    os << kiln::x86::bufferDim(name, buffer, d, m4);
  };
  dim("B", "Q", 0);
  dim("H", "Q", 1);
  dim("T", "Q", 2);
  dim("DK", "Q", 3);
  dim("DV", "V", 3);
  os << "  %O = memref.alloc(%B, %H, %T, %DV) {alignment = 64} : " << m4
     << "\n"
     << kiln::x86::bufferPointer("O", m4);
  if (variant.state) {
    os << "  %DK1 = arith.addi %DK, %c1 : index\n"
          "  %DV1 = arith.addi %DV, %c1 : index\n"
          "  %SO = memref.alloc(%B, %H, %DK1, %DV1) {alignment = 64} : "
       << m4 << "\n"
       << kiln::x86::bufferPointer("SO", m4);
  } else {
    os << "  %SO_p = llvm.mlir.zero : !llvm.ptr\n";
  }
  os << "  %items = arith.muli %B, %H : index\n"
        "  scf.parallel (%it) = (%c0) to (%items) step (%c1) {\n"
        "    %it_w = arith.index_cast %it : index to i64\n"
        "    func.call @"
     << uk
     << "(%Q_p, %K_p, %V_p, %G_p, %LD_p, %S_p, %O_p, %SO_p, %B_w, %H_w, "
        "%T_w, %DK_w, %DV_w, %fm, %dc, %nm, %cs, %scale, %eps, %chunk, "
        "%it_w) : "
     << ukArgs
     << " -> ()\n"
        "    scf.reduce\n"
        "  }\n"
        "  %ro = bufferization.to_tensor %O restrict writable : "
     << m4 << " to " << t4 << "\n";
  if (variant.state)
    os << "  %rs = bufferization.to_tensor %SO restrict writable : " << m4
       << " to " << t4 << "\n"
       << "  return %ro, %rs : " << t4 << ", " << t4 << "\n";
  else
    os << "  return %ro : " << t4 << "\n";
  os << "}\n";
  return s;
}

struct X86LinearAttention
    : mlir::tfm::impl::X86LinearAttentionBase<X86LinearAttention> {
  using X86LinearAttentionBase::X86LinearAttentionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<kiln::x86::KernelIsa> kernelIsa =
        kiln::x86::kernelIsaOption(module, "kiln-x86-linear-attention", isa);
    if (!kernelIsa)
      return signalPassFailure();
    SmallVector<tfm::LinearAttentionOp> ops;
    module.walk([&](tfm::LinearAttentionOp op) { ops.push_back(op); });
    for (tfm::LinearAttentionOp op : ops)
      if (failed(rewrite(module, op, *kernelIsa)))
        return signalPassFailure();
  }

  LogicalResult rewrite(ModuleOp module, tfm::LinearAttentionOp op,
                        const kiln::x86::KernelIsa &isa) {
    if (!op.getQuery().getType().getElementType().isF32())
      return op.emitError("the x86 linear-attention kernel runs f32 only");
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value gate = op.getGate(), state = op.getState();
    Variant variant{gate ? cast<RankedTensorType>(gate.getType()).getRank()
                         : 0,
                    static_cast<bool>(state)};
    std::string name = wrapperName(isa, variant);
    if (failed(kiln::addKernelFunction(module, name,
                                       wrapperSource(isa, variant))))
      return failure();
    Type f32 = b.getF32Type();
    int64_t dyn = ShapedType::kDynamic;
    auto t4 = RankedTensorType::get({dyn, dyn, dyn, dyn}, f32);
    SmallVector<Value> operands{kiln::castTo(b, loc, op.getQuery(), t4),
                                kiln::castTo(b, loc, op.getKey(), t4),
                                kiln::castTo(b, loc, op.getValue(), t4)};
    if (gate)
      operands.push_back(kiln::castTo(
          b, loc, gate,
          RankedTensorType::get(SmallVector<int64_t>(variant.gateRank, dyn),
                                f32)));
    operands.push_back(kiln::linearAttentionLogDecays(b, loc, op));
    if (state)
      operands.push_back(kiln::castTo(b, loc, state, t4));
    auto i64 = [&](int64_t value) -> Value {
      return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(value));
    };
    auto f32c = [&](APFloat value) -> Value {
      return arith::ConstantOp::create(b, loc,
                                       b.getF32FloatAttr(value.convertToFloat()));
    };
    operands.push_back(i64(static_cast<int64_t>(op.getFeatureMap())));
    operands.push_back(i64(static_cast<int64_t>(op.getDecay())));
    operands.push_back(i64(static_cast<int64_t>(op.getNormalization())));
    operands.push_back(i64(op.getCausal() ? 1 : 0));
    operands.push_back(f32c(op.getScale()));
    operands.push_back(f32c(op.getEpsilon()));
    operands.push_back(i64(op.getChunkSize()));
    SmallVector<Type> results{t4};
    if (state)
      results.push_back(t4);
    auto call = func::CallOp::create(b, loc, name, results, operands);
    op.getOutput().replaceAllUsesWith(
        kiln::castTo(b, loc, call.getResult(0), op.getOutput().getType()));
    if (state)
      op.getFinalState().replaceAllUsesWith(
          kiln::castTo(b, loc, call.getResult(1), op.getFinalState().getType()));
    op.erase();
    return success();
  }
};

} // namespace
