//===- Attention.cpp - tfm.attention on the attention microkernel ---------===//
//
// Part of kiln. Implements kiln-x86-attention (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/KernelChecks.h"
#include "backends/common/MatmulKernels.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/Passes.h"
#include "backends/x86/WrapperText.h"
#include "dialects/tfm/TfmOps.h"
#include "runtime/ukernels/ukernels.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86ATTENTION
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

enum class MaskKind { none, add, keep };

std::string wrapperName(const kiln::x86::KernelIsa &isa, MaskKind mask,
                        bool causal) {
  const char *kinds[] = {"nomask", "addmask", "keepmask"};
  return "kiln_attention_" + isa.name + "_" +
         kinds[static_cast<int>(mask)] + (causal ? "_causal" : "");
}

/// The end both attention wrappers share: the output [B, HQ, SQ, DV], one
/// microkernel call `uk(args)` per work item (batch x query head x query
/// block) in an scf.parallel loop, the output returned as a tensor.
std::string workItemsLoop(llvm::StringRef uk, llvm::StringRef args,
                          llvm::StringRef ukArgs) {
  const char *t4 = "tensor<?x?x?x?xf32>", *m4 = "memref<?x?x?x?xf32>";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "  %O = memref.alloc(%B, %HQ, %SQ, %DV) {alignment = 64} : " << m4
     << "\n"
     << kiln::x86::bufferPointer("O", m4)
     << "  %blocks = arith.ceildivui %SQ, %qb : index\n"
        "  %bh = arith.muli %B, %HQ : index\n"
        "  %items = arith.muli %bh, %blocks : index\n"
        "  scf.parallel (%it) = (%c0) to (%items) step (%c1) {\n"
        "    %it_w = arith.index_cast %it : index to i64\n"
        "    func.call @"
     << uk << "(" << args << ", %it_w) : " << ukArgs
     << " -> ()\n"
        "    scf.reduce\n"
        "  }\n"
        "  %r = bufferization.to_tensor %O restrict writable : "
     << m4 << " to " << t4 << "\n  return %r : " << t4 << "\n}\n";
  return s;
}

/// The wrapper's MLIR text: out = attention(q, k, v, [mask], scale) on
/// rank-4 tensors, parallel over the microkernel's work items.
std::string wrapperSource(const kiln::x86::KernelIsa &isa, MaskKind mask,
                          bool causal) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string uk = "kiln_uk_attention_" + isa.name;
  const char *t4 = "tensor<?x?x?x?xf32>", *m4 = "memref<?x?x?x?xf32>";
  std::string maskTensor = mask == MaskKind::keep ? "tensor<?x?x?x?xi1>"
                                                  : "tensor<?x?x?x?xf32>";
  std::string maskMemref = mask == MaskKind::keep ? "memref<?x?x?x?xi1>"
                                                  : "memref<?x?x?x?xf32>";
  std::string ukArgs = "(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, "
                       "i64, i64, i64, i64, i64, i64, f32, !llvm.ptr, i64, "
                       "i64, i64, i64, i64, i64, i64)";
  os << "func.func private @" << uk << ukArgs << "\n";
  os << "func.func private @" << wrapperName(isa, mask, causal) << "(%q: "
     << t4 << ", %k: " << t4 << ", %v: " << t4;
  if (mask != MaskKind::none)
    os << ", %mask: " << maskTensor;
  os << ", %scale: f32) -> " << t4 << " {\n";
  auto pointer = [&](StringRef name, StringRef tensor, StringRef memrefType,
                     StringRef tensorType) {
    os << kiln::x86::tensorPointer(name, tensor, memrefType, tensorType);
  };

  os << "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %c2 = arith.constant 2 : index\n"
        "  %c3 = arith.constant 3 : index\n"
        "  %z = arith.constant 0 : i64\n"
        "  %qb = arith.constant "
     << KILN_UK_ATTENTION_QUERY_BLOCK
     << " : index\n"
        "  %kind = arith.constant "
     << (mask == MaskKind::none  ? KILN_UK_MASK_NONE
         : mask == MaskKind::add ? KILN_UK_MASK_ADD
                                 : KILN_UK_MASK_KEEP)
     << " : i64\n"
        "  %causal = arith.constant "
     << (causal ? 1 : 0) << " : i64\n";
  pointer("Q", "q", m4, t4);
  pointer("K", "k", m4, t4);
  pointer("V", "v", m4, t4);
  auto dim = [&](StringRef name, StringRef buffer, int d) {
    os << kiln::x86::bufferDim(name, buffer, d, m4);
  };
  dim("B", "Q", 0);
  dim("HQ", "Q", 1);
  dim("SQ", "Q", 2);
  dim("D", "Q", 3);
  dim("HKV", "K", 1);
  dim("SK", "K", 2);
  dim("DV", "V", 3);
  if (mask != MaskKind::none) {
    pointer("MK", "mask", maskMemref, maskTensor);
    // Row-major strides, 0 along a dim of size 1 (broadcast).
    for (int d = 0; d < 4; ++d)
      os << llvm::formatv("  %ms{0}_n = memref.dim %MK, %c{0} : {1}\n"
                          "  %ms{0}_nw = arith.index_cast %ms{0}_n : index "
                          "to i64\n",
                          d, maskMemref);
    os << "  %one = arith.constant 1 : i64\n"
          "  %st3 = arith.constant 1 : i64\n"
          "  %st2 = arith.muli %st3, %ms3_nw : i64\n"
          "  %st1 = arith.muli %st2, %ms2_nw : i64\n"
          "  %st0 = arith.muli %st1, %ms1_nw : i64\n";
    for (int d = 0; d < 4; ++d)
      os << llvm::formatv("  %ms{0}_b = arith.cmpi eq, %ms{0}_nw, %one : i64\n"
                          "  %ms{0} = arith.select %ms{0}_b, %z, %st{0} : "
                          "i64\n",
                          d);
  } else {
    os << "  %MK_p = llvm.mlir.zero : !llvm.ptr\n";
    for (int d = 0; d < 4; ++d)
      os << "  %ms" << d << " = arith.constant 0 : i64\n";
  }
  os << workItemsLoop(uk,
                      "%Q_p, %K_p, %V_p, %O_p, %B_w, %HQ_w, %HKV_w, %SQ_w, "
                      "%SK_w, %D_w, %DV_w, %scale, %MK_p, %kind, %ms0, %ms1, "
                      "%ms2, %ms3, %causal",
                      ukArgs);
  return s;
}

/// The wrapper of tfm.cached_attention: appends the new keys and values to
/// the caches in place (sequentially: a few rows per head), then runs the
/// causal attention items in parallel over what the caches hold.
std::string cachedWrapperSource(const kiln::x86::KernelIsa &isa) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string uk = "kiln_uk_cached_attention_" + isa.name;
  std::string append = "kiln_uk_cache_append_" + isa.name;
  const char *t4 = "tensor<?x?x?x?xf32>", *m4 = "memref<?x?x?x?xf32>";
  const char *ukArgs = "(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, "
                       "!llvm.ptr, i64, i64, i64, i64, i64, i64, i64, f32, "
                       "i64)";
  const char *appendArgs =
      "(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64)";
  os << "func.func private @" << uk << ukArgs << "\n"
     << "func.func private @" << append << appendArgs << "\n"
     << "func.func private @kiln_cached_attention_" << isa.name << "(%q: "
     << t4 << ", %k: " << t4 << ", %v: " << t4 << ", %kc: " << t4
     << ", %vc: " << t4 << ", %len: tensor<?xi64>, %scale: f32) -> " << t4
     << " {\n"
     << "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %c2 = arith.constant 2 : index\n"
        "  %c3 = arith.constant 3 : index\n"
        "  %qb = arith.constant "
     << KILN_UK_ATTENTION_QUERY_BLOCK << " : index\n";
  // The caches are written through their pointers: bufferization sees a
  // read of the runtime's buffers, which it passes on as they are.
  for (auto [name, tensor] :
       {std::pair{"Q", "q"}, {"K", "k"}, {"V", "v"}, {"KC", "kc"},
        {"VC", "vc"}})
    os << kiln::x86::tensorPointer(name, tensor, m4, t4);
  os << kiln::x86::tensorPointer("L", "len", "memref<?xi64>",
                                 "tensor<?xi64>");
  for (auto [name, buffer, d] :
       {std::tuple{"B", "Q", 0}, {"HQ", "Q", 1}, {"SQ", "Q", 2}, {"D", "Q", 3},
        {"HKV", "K", 1}, {"C", "KC", 2}, {"DV", "V", 3}})
    os << kiln::x86::bufferDim(name, buffer, d, m4);
  os << "  func.call @" << append
     << "(%K_p, %KC_p, %L_p, %B_w, %HKV_w, %SQ_w, %C_w, %D_w) : "
     << appendArgs << " -> ()\n"
     << "  func.call @" << append
     << "(%V_p, %VC_p, %L_p, %B_w, %HKV_w, %SQ_w, %C_w, %DV_w) : "
     << appendArgs << " -> ()\n"
     << workItemsLoop(uk,
                      "%Q_p, %KC_p, %VC_p, %O_p, %L_p, %B_w, %HQ_w, %HKV_w, "
                      "%SQ_w, %C_w, %D_w, %DV_w, %scale",
                      ukArgs);
  return s;
}

/// `x` as a rank-4 tensor with unit dims prepended (NumPy broadcasting
/// aligns dims to the right).
Value toRank4(OpBuilder &b, Location loc, Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t pad = 4 - t.getRank();
  if (pad == 0)
    return x;
  SmallVector<int64_t> shape(pad, 1);
  llvm::append_range(shape, t.getShape());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    ReassociationIndices group;
    if (d == 0)
      for (int64_t p = 0; p < pad; ++p)
        group.push_back(p);
    group.push_back(d + pad);
    groups.push_back(group);
  }
  SmallVector<OpFoldResult> outputShape;
  for (int64_t p = 0; p < pad; ++p)
    outputShape.push_back(b.getIndexAttr(1));
  for (int64_t d = 0; d < t.getRank(); ++d)
    outputShape.push_back(tensor::getMixedSize(b, loc, x, d));
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), x, groups,
      outputShape);
}

Value castTo(OpBuilder &b, Location loc, Value x, Type type) {
  return x.getType() == type ? x : tensor::CastOp::create(b, loc, type, x);
}

/// Replaces attention `op` by a call of wrapper `name` on `operands` and
/// the softmax scale, which returns the [?, ?, ?, ?] f32 output.
void replaceWithCall(OpBuilder &b, Operation *op, StringRef name,
                     SmallVector<Value> &operands, double scale) {
  Location loc = op->getLoc();
  int64_t dyn = ShapedType::kDynamic;
  auto t4 = RankedTensorType::get({dyn, dyn, dyn, dyn}, b.getF32Type());
  operands.push_back(
      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(scale)));
  Value out = func::CallOp::create(b, loc, name, TypeRange{t4}, operands)
                  .getResult(0);
  op->getResult(0).replaceAllUsesWith(
      castTo(b, loc, out, op->getResult(0).getType()));
  op->erase();
}

struct X86Attention : mlir::tfm::impl::X86AttentionBase<X86Attention> {
  using X86AttentionBase::X86AttentionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<kiln::x86::KernelIsa> kernelIsa =
        kiln::x86::kernelIsaOption(module, "kiln-x86-attention", isa);
    if (!kernelIsa)
      return signalPassFailure();
    SmallVector<tfm::AttentionOp> ops;
    module.walk([&](tfm::AttentionOp op) {
      if (supported(op))
        ops.push_back(op);
    });
    for (tfm::AttentionOp op : ops)
      if (failed(rewrite(module, op, *kernelIsa)))
        return signalPassFailure();
    SmallVector<tfm::CachedAttentionOp> cached;
    module.walk([&](tfm::CachedAttentionOp op) { cached.push_back(op); });
    for (tfm::CachedAttentionOp op : cached)
      if (failed(rewriteCached(module, op, *kernelIsa)))
        return signalPassFailure();
  }

  /// tfm.cached_attention has no generic lowering: one the kernel cannot
  /// run is an error naming what it lacks.
  LogicalResult rewriteCached(ModuleOp module, tfm::CachedAttentionOp op,
                              const kiln::x86::KernelIsa &isa) {
    auto q = cast<RankedTensorType>(op.getQuery().getType());
    auto k = cast<RankedTensorType>(op.getKey().getType());
    auto v = cast<RankedTensorType>(op.getValue().getType());
    for (RankedTensorType t : {q, k, v})
      if (!t.getElementType().isF32() || ShapedType::isDynamic(t.getDimSize(1)) ||
          ShapedType::isDynamic(t.getDimSize(3)) ||
          t.getDimSize(3) > KILN_UK_ATTENTION_MAX_HEAD_DIM)
        return op.emitOpError()
               << "runs on the x86 attention kernel only with f32 tensors, "
                  "static head counts and head dims of at most "
               << KILN_UK_ATTENTION_MAX_HEAD_DIM << "; got query " << q
               << ", key " << k << ", value " << v;
    std::string name = "kiln_cached_attention_" + isa.name;
    if (failed(kiln::addKernelFunction(module, name, cachedWrapperSource(isa))))
      return failure();
    OpBuilder b(op);
    Location loc = op.getLoc();
    int64_t dyn = ShapedType::kDynamic;
    auto t4 = RankedTensorType::get({dyn, dyn, dyn, dyn}, b.getF32Type());
    auto t1 = RankedTensorType::get({dyn}, b.getI64Type());
    SmallVector<Value> operands;
    for (Value x : {op.getQuery(), op.getKey(), op.getValue(),
                    op.getKeyCache(), op.getValueCache()})
      operands.push_back(castTo(b, loc, x, t4));
    operands.push_back(castTo(b, loc, op.getLengths(), t1));
    replaceWithCall(b, op, name, operands, *op.getEffectiveScale());
    return success();
  }

  static bool supported(tfm::AttentionOp op) {
    auto q = cast<RankedTensorType>(op.getQuery().getType());
    auto k = cast<RankedTensorType>(op.getKey().getType());
    auto v = cast<RankedTensorType>(op.getValue().getType());
    auto small = [](int64_t d) {
      return !ShapedType::isDynamic(d) && d > 0 &&
             d <= KILN_UK_ATTENTION_MAX_HEAD_DIM;
    };
    bool f32 = q.getElementType().isF32() && k.getElementType().isF32() &&
               v.getElementType().isF32();
    bool heads = !ShapedType::isDynamic(q.getDimSize(1)) &&
                 !ShapedType::isDynamic(k.getDimSize(1)) &&
                 k.getDimSize(1) > 0 &&
                 q.getDimSize(1) % k.getDimSize(1) == 0;
    if (!f32 || !heads || !small(q.getDimSize(3)) || !small(v.getDimSize(3)))
      return false;
    if (Value mask = op.getMask()) {
      auto m = cast<RankedTensorType>(mask.getType());
      if (m.getRank() < 1 || m.getRank() > 4)
        return false;
      if (!m.getElementType().isF32() && !m.getElementType().isInteger(1))
        return false;
    }
    return op.getEffectiveScale().has_value();
  }

  LogicalResult rewrite(ModuleOp module, tfm::AttentionOp op,
                        const kiln::x86::KernelIsa &isa) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MaskKind kind = MaskKind::none;
    Value mask = op.getMask();
    if (mask)
      kind = cast<RankedTensorType>(mask.getType())
                     .getElementType()
                     .isInteger(1)
                 ? MaskKind::keep
                 : MaskKind::add;
    bool causal = op.getCausal();
    std::string name = wrapperName(isa, kind, causal);
    if (failed(kiln::addKernelFunction(module, name,
                                       wrapperSource(isa, kind, causal))))
      return failure();
    int64_t dyn = ShapedType::kDynamic;
    auto t4 = RankedTensorType::get({dyn, dyn, dyn, dyn}, b.getF32Type());
    SmallVector<Value> operands{castTo(b, loc, op.getQuery(), t4),
                                castTo(b, loc, op.getKey(), t4),
                                castTo(b, loc, op.getValue(), t4)};
    if (mask) {
      Value m4 = toRank4(b, loc, mask);
      kiln::checkAttentionMaskSizes(b, loc, op, m4);
      auto mt = RankedTensorType::get(
          {dyn, dyn, dyn, dyn},
          cast<RankedTensorType>(mask.getType()).getElementType());
      operands.push_back(castTo(b, loc, m4, mt));
    }
    replaceWithCall(b, op, name, operands, *op.getEffectiveScale());
    return success();
  }
};

} // namespace
