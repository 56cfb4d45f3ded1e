//===- Attention.cpp - fused attention as one GPU kernel ------------------===//
//
// Part of kiln. Implements kiln-cuda-attention (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/KernelChecks.h"
#include "backends/common/MatmulKernels.h"
#include "backends/cuda/Passes.h"
#include "dialects/tfm/TfmOps.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CUDAATTENTION
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr int64_t kMaxHeadDim = 256; // Accumulators live in registers.
constexpr int kThreads = 128;

enum class MaskKind { None, Additive, Keep };

/// What a kernel variant is specialised for.
struct Variant {
  int64_t d, dv;
  MaskKind mask;
  bool causal;

  std::string name() const {
    std::string n = "kiln_cuda_attention_d" + std::to_string(d) + "_v" +
                    std::to_string(dv);
    n += mask == MaskKind::Additive ? "_addmask"
         : mask == MaskKind::Keep   ? "_keepmask"
                                    : "";
    return causal ? n + "_causal" : n;
  }
};

/// The kernel's MLIR text: one GPU thread per query row, an online softmax
/// over the keys one at a time, the output row accumulated in registers.
std::string kernelSource(const Variant &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string qType = "tensor<?x?x?x" + std::to_string(v.d) + "xf32>";
  std::string vType = "tensor<?x?x?x" + std::to_string(v.dv) + "xf32>";
  std::string qMem = "memref<?x?x?x" + std::to_string(v.d) + "xf32>";
  std::string vMem = "memref<?x?x?x" + std::to_string(v.dv) + "xf32>";
  std::string maskElem = v.mask == MaskKind::Keep ? "i1" : "f32";
  std::string maskType = "tensor<?x?x?x?x" + maskElem + ">";
  std::string maskMem = "memref<?x?x?x?x" + maskElem + ">";
  bool hasMask = v.mask != MaskKind::None;
  os << "func.func private @" << v.name() << "(%q: " << qType << ", %k: "
     << qType << ", %v: " << vType;
  if (hasMask)
    os << ", %mask: " << maskType;
  os << ", %scale: f32) -> " << vType << " {\n"
     << "  %c0 = arith.constant 0 : index\n"
     << "  %c1 = arith.constant 1 : index\n"
     << "  %c2 = arith.constant 2 : index\n"
     << "  %c3 = arith.constant 3 : index\n"
     << "  %threads = arith.constant " << kThreads << " : index\n"
     << "  %Q = bufferization.to_buffer %q read_only : " << qType << " to "
     << qMem << "\n"
     << "  %K = bufferization.to_buffer %k read_only : " << qType << " to "
     << qMem << "\n"
     << "  %V = bufferization.to_buffer %v read_only : " << vType << " to "
     << vMem << "\n";
  if (hasMask)
    os << "  %MASK = bufferization.to_buffer %mask read_only : " << maskType
       << " to " << maskMem << "\n"
       << "  %MB = memref.dim %MASK, %c0 : " << maskMem << "\n"
       << "  %MH = memref.dim %MASK, %c1 : " << maskMem << "\n"
       << "  %MS = memref.dim %MASK, %c2 : " << maskMem << "\n"
       << "  %MK = memref.dim %MASK, %c3 : " << maskMem << "\n";
  os << "  %B = memref.dim %Q, %c0 : " << qMem << "\n"
     << "  %H = memref.dim %Q, %c1 : " << qMem << "\n"
     << "  %S = memref.dim %Q, %c2 : " << qMem << "\n"
     << "  %HKV = memref.dim %K, %c1 : " << qMem << "\n"
     << "  %SK = memref.dim %K, %c2 : " << qMem << "\n"
     << "  %O = memref.alloc(%B, %H, %S) : " << vMem << "\n"
     << "  %BH = arith.muli %B, %H : index\n"
     << "  %rows = arith.muli %BH, %S : index\n"
     << "  %group = arith.divui %H, %HKV : index\n"
     << "  %past = arith.subi %SK, %S : index\n"
     << "  %nonEmpty = arith.cmpi ugt, %rows, %c0 : index\n"
     << "  scf.if %nonEmpty {\n"
     << "    %blockSize = arith.minui %rows, %threads : index\n"
     << "    %grid = arith.ceildivui %rows, %blockSize : index\n"
     << "    gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid, %gy = %c1, "
        "%gz = %c1) threads(%tx, %ty, %tz) in (%sx = %blockSize, %sy = %c1, "
        "%sz = %c1) {\n"
     << "      %base = arith.muli %bx, %sx : index\n"
     << "      %r = arith.addi %base, %tx : index\n"
     << "      %inRange = arith.cmpi ult, %r, %rows : index\n"
     << "      scf.if %inRange {\n"
     << "        %i = arith.remui %r, %S : index\n"
     << "        %bh = arith.divui %r, %S : index\n"
     << "        %h = arith.remui %bh, %H : index\n"
     << "        %b = arith.divui %bh, %H : index\n"
     << "        %hk = arith.divui %h, %group : index\n"
     << "        %zero = arith.constant 0.0 : f32\n"
     << "        %ninf = arith.constant 0xFF800000 : f32\n"
     << "        %lastKey = arith.addi %i, %past : index\n";
  if (hasMask) {
    // A mask dim of size 1 broadcasts.
    auto bcast = [&](StringRef out, StringRef dim, StringRef idx) {
      os << "        %" << out << "One = arith.cmpi eq, %" << dim
         << ", %c1 : index\n"
         << "        %" << out << " = arith.select %" << out << "One, %c0, %"
         << idx << " : index\n";
    };
    bcast("mb", "MB", "b");
    bcast("mh", "MH", "h");
    bcast("mi", "MS", "i");
    os << "        %keyOne = arith.cmpi eq, %MK, %c1 : index\n";
  }
  for (int64_t d = 0; d < std::max(v.d, v.dv); ++d)
    os << "        %cd" << d << " = arith.constant " << d << " : index\n";
  for (int64_t d = 0; d < v.d; ++d)
    os << "        %q" << d << " = memref.load %Q[%b, %h, %i, %cd" << d
       << "] : " << qMem << "\n";
  std::string types = "f32, f32";
  for (int64_t t = 0; t < v.dv; ++t)
    types += ", f32";
  os << "        %acc:" << v.dv + 2
     << " = scf.for %j = %c0 to %SK step %c1 iter_args(%m = %ninf, %l = "
        "%zero";
  for (int64_t t = 0; t < v.dv; ++t)
    os << ", %a" << t << " = %zero";
  os << ") -> (" << types << ") {\n";
  // The score.
  os << "          %s0 = arith.constant 0.0 : f32\n";
  for (int64_t d = 0; d < v.d; ++d)
    os << "          %k" << d << " = memref.load %K[%b, %hk, %j, %cd" << d
       << "] : " << qMem << "\n"
       << "          %s" << d + 1 << " = math.fma %q" << d << ", %k" << d
       << ", %s" << d << " : f32\n";
  os << "          %scaled = arith.mulf %s" << v.d << ", %scale : f32\n";
  std::string score = "%scaled", keep = "%true";
  os << "          %true = arith.constant true\n";
  if (hasMask)
    os << "          %mj = arith.select %keyOne, %c0, %j : index\n"
       << "          %mv = memref.load %MASK[%mb, %mh, %mi, %mj] : " << maskMem
       << "\n";
  if (v.mask == MaskKind::Additive) {
    os << "          %masked = arith.addf %scaled, %mv : f32\n";
    score = "%masked";
  }
  if (v.mask == MaskKind::Keep)
    keep = "%mv";
  if (v.causal) {
    os << "          %visible = arith.cmpi ule, %j, %lastKey : index\n"
       << "          %keepC = arith.andi " << keep << ", %visible : i1\n";
    keep = "%keepC";
  }
  // A score of -inf contributes nothing (and must not make NaNs).
  os << "          %finite = arith.cmpf ogt, " << score << ", %ninf : f32\n"
     << "          %keep = arith.andi " << keep << ", %finite : i1\n"
     << "          %next:" << v.dv + 2 << " = scf.if %keep -> (" << types
     << ") {\n"
     << "            %mNew = arith.maximumf %m, " << score << " : f32\n"
     << "            %mDiff = arith.subf %m, %mNew : f32\n"
     << "            %alpha = math.exp %mDiff : f32\n"
     << "            %sDiff = arith.subf " << score << ", %mNew : f32\n"
     << "            %p = math.exp %sDiff : f32\n"
     << "            %lScaled = arith.mulf %l, %alpha : f32\n"
     << "            %lNew = arith.addf %lScaled, %p : f32\n";
  for (int64_t t = 0; t < v.dv; ++t)
    os << "            %v" << t << " = memref.load %V[%b, %hk, %j, %cd" << t
       << "] : " << vMem << "\n"
       << "            %as" << t << " = arith.mulf %a" << t << ", %alpha : f32\n"
       << "            %an" << t << " = math.fma %p, %v" << t << ", %as" << t
       << " : f32\n";
  os << "            scf.yield %mNew, %lNew";
  for (int64_t t = 0; t < v.dv; ++t)
    os << ", %an" << t;
  os << " : " << types << "\n"
     << "          } else {\n"
     << "            scf.yield %m, %l";
  for (int64_t t = 0; t < v.dv; ++t)
    os << ", %a" << t;
  os << " : " << types << "\n"
     << "          }\n"
     << "          scf.yield %next#0";
  for (int64_t t = 1; t < v.dv + 2; ++t)
    os << ", %next#" << t;
  os << " : " << types << "\n"
     << "        }\n"
     // A row with every key masked gives zeros.
     << "        %any = arith.cmpf ogt, %acc#1, %zero : f32\n"
     << "        %one = arith.constant 1.0 : f32\n"
     << "        %den = arith.select %any, %acc#1, %one : f32\n"
     << "        %inv = arith.divf %one, %den : f32\n";
  for (int64_t t = 0; t < v.dv; ++t)
    os << "        %o" << t << " = arith.mulf %acc#" << t + 2 << ", %inv : f32\n"
       << "        memref.store %o" << t << ", %O[%b, %h, %i, %cd" << t
       << "] : " << vMem << "\n";
  os << "      }\n"
     << "      gpu.terminator\n"
     << "    }\n"
     << "  }\n"
     << "  %out = bufferization.to_tensor %O restrict writable : " << vMem
     << " to " << vType << "\n"
     << "  return %out : " << vType << "\n"
     << "}\n";
  return s;
}

struct CudaAttention : mlir::tfm::impl::CudaAttentionBase<CudaAttention> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tfm::AttentionOp> ops;
    module.walk([&](tfm::AttentionOp op) { ops.push_back(op); });
    for (tfm::AttentionOp op : ops) {
      std::optional<Variant> variant = variantOf(op);
      if (!variant)
        continue; // The generic lowering handles it.
      if (failed(kiln::addKernelFunction(module, variant->name(),
                                         kernelSource(*variant))))
        return signalPassFailure();
      rewrite(op, *variant);
    }
  }

  static std::optional<Variant> variantOf(tfm::AttentionOp op) {
    RankedTensorType q = op.getQuery().getType(), v = op.getValue().getType();
    if (!q.getElementType().isF32() || !op.getEffectiveScale())
      return std::nullopt;
    int64_t d = q.getDimSize(3), dv = v.getDimSize(3);
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(dv) ||
        d > kMaxHeadDim || dv > kMaxHeadDim ||
        op.getKey().getType().getDimSize(3) != d)
      return std::nullopt;
    MaskKind mask = MaskKind::None;
    if (Value m = op.getMask()) {
      auto type = cast<RankedTensorType>(m.getType());
      if (type.getRank() > 4)
        return std::nullopt;
      mask = type.getElementType().isInteger(1) ? MaskKind::Keep
                                                 : MaskKind::Additive;
    }
    return Variant{d, dv, mask, op.getCausal()};
  }

  static void rewrite(tfm::AttentionOp op, const Variant &variant) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto dynamic = [&](Value x, int64_t last) -> Value {
      auto type = cast<RankedTensorType>(x.getType());
      auto to = RankedTensorType::get({ShapedType::kDynamic,
                                       ShapedType::kDynamic,
                                       ShapedType::kDynamic, last},
                                      type.getElementType());
      return type == to ? x : tensor::CastOp::create(b, loc, to, x).getResult();
    };
    SmallVector<Value> operands{dynamic(op.getQuery(), variant.d),
                                dynamic(op.getKey(), variant.d),
                                dynamic(op.getValue(), variant.dv)};
    if (Value mask = op.getMask()) {
      // To rank 4 (leading unit dims broadcast), all dims dynamic.
      int64_t rank = cast<RankedTensorType>(mask.getType()).getRank();
      if (rank < 4) {
        SmallVector<int64_t> axes;
        for (int64_t a = 0; a < 4 - rank; ++a)
          axes.push_back(a);
        mask = tfm::UnsqueezeOp::create(b, loc, mask,
                                        b.getDenseI64ArrayAttr(axes));
      }
      kiln::checkAttentionMaskSizes(b, loc, op, mask);
      operands.push_back(dynamic(mask, ShapedType::kDynamic));
    }
    operands.push_back(arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(*op.getEffectiveScale())));
    Type resultType = operands[2].getType();
    Value out = func::CallOp::create(b, loc, variant.name(),
                                     TypeRange{resultType}, operands)
                    .getResult(0);
    if (out.getType() != op.getType())
      out = tensor::CastOp::create(b, loc, op.getType(), out);
    op.replaceAllUsesWith(out);
    op.erase();
  }
};

} // namespace
