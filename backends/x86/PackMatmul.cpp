//===- PackMatmul.cpp - weight matmuls on the packed GEMM microkernel -----===//
//
// Part of kiln. Implements kiln-x86-pack-matmul (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/Passes.h"
#include "backends/x86/WrapperText.h"
#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86PACKMATMUL
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Rows of C per parallel work item; the microkernel blocks K inside it.
constexpr int64_t kRowBlock = 256;

/// What one call site needs from the kernel: the fused epilogue parts.
struct GemmVariant {
  bool bias = false, residual = false;
  int64_t activation = 0; // KILN_UK_ACT_* (ukernels.h)

  std::string name(const kiln::x86::KernelIsa &isa) const {
    std::string s = "kiln_sgemm_" + isa.name;
    if (bias)
      s += "_bias";
    if (residual)
      s += "_res";
    if (activation)
      s += "_act" + std::to_string(activation);
    return s;
  }
};

/// The wrapper's MLIR text: C = kernel(A [M, K], B packed [P, K, NR], n,
/// [bias [n]], [residual [M, n]]) -> C [M, n], parallel over blocks of
/// kRowBlock rows and groups of panels, each block one microkernel call on
/// raw pointers.
std::string wrapperSource(const kiln::x86::KernelIsa &isa,
                          const GemmVariant &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string panelType =
      llvm::formatv("memref<?x?x{0}xf32>", isa.panelWidth).str();
  std::string panelTensor =
      llvm::formatv("tensor<?x?x{0}xf32>", isa.panelWidth).str();
  std::string uk = "kiln_uk_sgemm_" + isa.name;
  os << "func.func private @" << uk
     << "(!llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, i64, i64, i64, i64, "
        "i64, i64, !llvm.ptr, !llvm.ptr, i64, i64)\n";
  os << "func.func private @" << v.name(isa)
     << "(%a: tensor<?x?xf32>, %b: " << panelTensor << ", %n: index";
  if (v.bias)
    os << ", %bias: tensor<?xf32>";
  if (v.residual)
    os << ", %res: tensor<?x?xf32>";
  os << ") -> tensor<?x?xf32> {\n";
  auto pointer = [&](StringRef name, StringRef tensor, StringRef memrefType,
                     StringRef tensorType) {
    os << kiln::x86::tensorPointer(name, tensor, memrefType, tensorType);
  };

  os << "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %c4 = arith.constant 4 : index\n"
        "  %c64 = arith.constant 64 : index\n"
        "  %mc = arith.constant "
     << kRowBlock
     << " : index\n"
        "  %act = arith.constant "
     << v.activation << " : i64\n";
  pointer("A", "a", "memref<?x?xf32>", "tensor<?x?xf32>");
  pointer("B", "b", panelType, panelTensor);
  if (v.bias)
    pointer("Bias", "bias", "memref<?xf32>", "tensor<?xf32>");
  if (v.residual)
    pointer("R", "res", "memref<?x?xf32>", "tensor<?x?xf32>");
  os << "  %null = llvm.mlir.zero : !llvm.ptr\n"
        "  %M = memref.dim %A, %c0 : memref<?x?xf32>\n"
        "  %K = memref.dim %A, %c1 : memref<?x?xf32>\n"
        "  %P = memref.dim %B, %c0 : "
     << panelType
     << "\n"
        "  %C = memref.alloc(%M, %n) {alignment = 64} : memref<?x?xf32>\n"
     << kiln::x86::bufferPointer("C", "memref<?x?xf32>")
     << "  %K_w = arith.index_cast %K : index to i64\n"
        "  %n_w = arith.index_cast %n : index to i64\n"
        // Few rows (decode) are memory-bound: one panel per work item
        // spreads the weight stream over every thread. More rows reuse a
        // slice of A across four panels.
        "  %small = arith.cmpi ule, %M, %c64 : index\n"
        "  %g = arith.select %small, %c1, %c4 : index\n"
        "  %MB = arith.ceildivui %M, %mc : index\n"
        "  %PG = arith.ceildivui %P, %g : index\n"
        "  scf.parallel (%mb, %pg) = (%c0, %c0) to (%MB, %PG) step (%c1, "
        "%c1) {\n"
        "    %m0 = arith.muli %mb, %mc : index\n"
        "    %m1e = arith.addi %m0, %mc : index\n"
        "    %m1 = arith.minui %m1e, %M : index\n"
        "    %p0 = arith.muli %pg, %g : index\n"
        "    %p1e = arith.addi %p0, %g : index\n"
        "    %p1 = arith.minui %p1e, %P : index\n"
        "    %m0w = arith.index_cast %m0 : index to i64\n"
        "    %m1w = arith.index_cast %m1 : index to i64\n"
        "    %p0w = arith.index_cast %p0 : index to i64\n"
        "    %p1w = arith.index_cast %p1 : index to i64\n"
        "    func.call @"
     << uk
     << "(%A_p, %K_w, %B_p, %K_w, %C_p, %n_w, %m0w, %m1w, %p0w, %p1w, "
        "%n_w, "
     << (v.bias ? "%Bias_p" : "%null") << ", "
     << (v.residual ? "%R_p" : "%null")
     << ", %n_w, %act) : (!llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, i64, "
        "i64, i64, i64, i64, i64, !llvm.ptr, !llvm.ptr, i64, i64) -> ()\n"
        "    scf.reduce\n"
        "  }\n"
        "  %r = bufferization.to_tensor %C restrict writable : "
        "memref<?x?xf32> to tensor<?x?xf32>\n"
        "  return %r : tensor<?x?xf32>\n"
        "}\n";
  return s;
}

/// A patch-embedding convolution (ViT: 2-D, stride = kernel, no padding or
/// dilation, one group, static channels and image size, a constant weight)
/// as a weight matmul on the image cut into patches:
///   [N, C, Ph*kh, Pw*kw] -> [N, Ph, Pw, C, kh, kw] -> [N*Ph*Pw, C*kh*kw]
///   x W[M, C*kh*kw]^T + bias -> [N, Ph, Pw, M] -> [N, M, Ph, Pw].
/// The generic lowering of the conv is a scalar loop nest.
void rewritePatchConv(tfm::ConvOp op) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto weight = op.getWeight().getDefiningOp<tfm::ConstantOp>();
  if (!weight || xt.getRank() != 4 || wt.getRank() != 4 ||
      !xt.getElementType().isF32() || !wt.getElementType().isF32() ||
      op.getGroup() != 1 || !wt.hasStaticShape())
    return;
  int64_t m = wt.getDimSize(0), c = wt.getDimSize(1), kh = wt.getDimSize(2),
          kw = wt.getDimSize(3);
  int64_t h = xt.getDimSize(2), w = xt.getDimSize(3);
  if (xt.getDimSize(1) != c || ShapedType::isDynamic(h) ||
      ShapedType::isDynamic(w) || h % kh || w % kw ||
      op.getStrides() != ArrayRef<int64_t>{kh, kw} ||
      llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; }) ||
      llvm::any_of(op.getDilations(), [](int64_t d) { return d != 1; }))
    return;
  std::vector<float> storage;
  ArrayRef<float> data = tfm::getWeightFloats(weight.getValue(), storage);
  int64_t k = c * kh * kw, ph = h / kh, pw = w / kw;
  if (static_cast<int64_t>(data.size()) != m * k)
    return;
  OpBuilder b(op);
  Location loc = op.getLoc();
  // The weight's bytes are already [M, C*kh*kw] row-major.
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(data));
  auto matrixType = RankedTensorType::get({m, k}, b.getF32Type());
  Value matrix = tfm::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(matrixType, "patch_weight",
                                     std::move(blob)));
  int64_t dyn = ShapedType::kDynamic;
  Value x = tfm::ReshapeOp::create(
      b, loc, RankedTensorType::get({dyn, c, ph, kh, pw, kw}, b.getF32Type()),
      op.getInput(), kiln::shapeConstant(b, loc, {-1, c, ph, kh, pw, kw}));
  x = tfm::TransposeOp::create(b, loc, x,
                               b.getDenseI64ArrayAttr({0, 2, 4, 1, 3, 5}));
  x = tfm::ReshapeOp::create(b, loc,
                             RankedTensorType::get({dyn, k}, b.getF32Type()),
                             x, kiln::shapeConstant(b, loc, {-1, k}));
  Value y = tfm::MatmulOp::create(b, loc, x, matrix, op.getBias(), Value(),
                                  false, true, tfm::ActivationAttr());
  y = tfm::ReshapeOp::create(
      b, loc, RankedTensorType::get({dyn, ph, pw, m}, b.getF32Type()), y,
      kiln::shapeConstant(b, loc, {-1, ph, pw, m}));
  y = tfm::TransposeOp::create(b, loc, y, b.getDenseI64ArrayAttr({0, 3, 1, 2}));
  if (y.getType() != op.getType())
    y = tensor::CastOp::create(b, loc, op.getType(), y);
  op.getResult().replaceAllUsesWith(y);
  op.erase();
  if (weight->use_empty())
    tfm::releaseWeight(weight);
}

struct X86PackMatmul : mlir::tfm::impl::X86PackMatmulBase<X86PackMatmul> {
  using X86PackMatmulBase::X86PackMatmulBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<kiln::x86::KernelIsa> kernelIsa =
        kiln::x86::kernelIsaOption(module, "kiln-x86-pack-matmul", isa);
    if (!kernelIsa)
      return signalPassFailure();
    SmallVector<tfm::ConvOp> convs;
    module.walk([&](tfm::ConvOp op) { convs.push_back(op); });
    for (tfm::ConvOp op : convs)
      rewritePatchConv(op);
    SmallVector<tfm::MatmulOp> matmuls = kiln::collectWeightMatmuls(module);
    llvm::DenseMap<Value, Value> packedWeights;
    for (tfm::MatmulOp op : matmuls) {
      auto weight = op.getRhs().getDefiningOp<tfm::ConstantOp>();
      if (failed(rewrite(module, op, *kernelIsa, packedWeights)))
        return signalPassFailure();
      // Release each unpacked weight as soon as nothing uses it, so that
      // compile memory stays near one copy of the weights.
      if (weight->use_empty()) {
        packedWeights.erase(weight.getResult());
        tfm::releaseWeight(weight);
      }
    }
  }

  /// The weight packed into panels of `isa.panelWidth` columns, once per
  /// weight.
  FailureOr<Value> packWeight(tfm::MatmulOp op, const kiln::x86::KernelIsa &isa,
                              llvm::DenseMap<Value, Value> &packedWeights) {
    Value &packed = packedWeights[op.getRhs()];
    if (packed)
      return packed;
    auto rhs = op.getRhs().getDefiningOp<tfm::ConstantOp>();
    bool transposed = op.getTransposeRhs();
    auto [k, n] = kiln::weightMatmulSizes(op);
    int64_t nr = isa.panelWidth;
    int64_t panels = (n + nr - 1) / nr;
    std::vector<float> storage;
    ArrayRef<float> w = tfm::getWeightFloats(rhs.getValue(), storage);
    if (w.size() != static_cast<size_t>(k * n))
      return op.emitOpError("cannot read the weight to pack it");
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        panels * k * nr * sizeof(float), /*align=*/64);
    float *out = reinterpret_cast<float *>(blob.getMutableData().data());
    for (int64_t p = 0; p < panels; ++p)
      for (int64_t kk = 0; kk < k; ++kk)
        for (int64_t j = 0; j < nr; ++j) {
          int64_t col = p * nr + j;
          float v = 0;
          if (col < n)
            v = transposed ? w[col * k + kk] : w[kk * n + col];
          *out++ = v;
        }
    OpBuilder b(rhs);
    auto type = RankedTensorType::get({panels, k, nr}, b.getF32Type());
    packed = tfm::ConstantOp::create(
        b, rhs.getLoc(),
        DenseResourceElementsAttr::get(type, "packed_weight", std::move(blob)));
    return packed;
  }

  /// Calls the wrapper of `v` (added to the module beforehand) and returns
  /// C reshaped to op's result type, with the epilogue parts the kernel
  /// does not fuse applied.
  Value emitCall(OpBuilder &b, tfm::MatmulOp op,
                 const kiln::x86::KernelIsa &isa, const GemmVariant &v,
                 Value packed) {
    Location loc = op.getLoc();
    int64_t n = kiln::weightMatmulSizes(op).second;
    auto dynPacked = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, isa.panelWidth},
        b.getF32Type());
    kiln::FusedEpilogue fused;
    fused.bias = v.bias;
    fused.activation = v.activation != 0;
    fused.residual = v.residual;
    return kiln::callRowKernel(
        b, loc, v.name(isa), op.getLhs(),
        {tensor::CastOp::create(b, loc, dynPacked, packed),
         arith::ConstantIndexOp::create(b, loc, n)},
        op.getType(),
        kiln::Epilogue{op.getBias(), op.getActivation(), op.getResidual()},
        fused);
  }

  LogicalResult rewrite(ModuleOp module, tfm::MatmulOp op,
                        const kiln::x86::KernelIsa &isa,
                        llvm::DenseMap<Value, Value> &packedWeights) {
    FailureOr<Value> packed = packWeight(op, isa, packedWeights);
    if (failed(packed))
      return failure();
    OpBuilder b(op);
    Location loc = op.getLoc();
    int64_t n = kiln::weightMatmulSizes(op).second;
    GemmVariant v;
    // A bias of [N] is read per column; other shapes broadcast as tfm ops.
    if (Value bias = op.getBias()) {
      auto t = cast<RankedTensorType>(bias.getType());
      v.bias = t.getRank() == 1 && t.getDimSize(0) == n &&
               t.getElementType().isF32();
    }
    // An activation is fused only with the bias before it.
    if (!op.getBias() || v.bias)
      v.activation = kiln::activationCode(op.getActivation());
    // A residual of the result's type is fused when it has as many rows as
    // A at run time (it could still broadcast along a dynamic dim of 1).
    Value residual = op.getResidual();
    bool fuseResidual = residual && residual.getType() == op.getType() &&
                        (!op.getActivation() || v.activation);
    GemmVariant withResidual = v;
    withResidual.residual = true;
    bool guarded = fuseResidual &&
                   !cast<RankedTensorType>(kiln::flattenedType(op.getType()))
                        .hasStaticShape();
    // The wrappers the calls below use: the unfused one unless the residual
    // is fused unguarded, the fused one when it is fused at all.
    SmallVector<const GemmVariant *, 2> wrappers;
    if (!fuseResidual || guarded)
      wrappers.push_back(&v);
    if (fuseResidual)
      wrappers.push_back(&withResidual);
    for (const GemmVariant *w : wrappers)
      if (failed(kiln::addKernelFunction(module, w->name(isa),
                                         wrapperSource(isa, *w))))
        return failure();
    Value result;
    if (!guarded) {
      result = emitCall(b, op, isa, fuseResidual ? withResidual : v, *packed);
    } else {
      Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         kiln::rowCount(b, loc, op.getLhs()),
                                         kiln::rowCount(b, loc, residual));
      result = scf::IfOp::create(
                   b, loc, same,
                   [&](OpBuilder &nb, Location) {
                     scf::YieldOp::create(
                         nb, loc, emitCall(nb, op, isa, withResidual, *packed));
                   },
                   [&](OpBuilder &nb, Location) {
                     scf::YieldOp::create(nb, loc,
                                          emitCall(nb, op, isa, v, *packed));
                   })
                   .getResult(0);
    }
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

} // namespace
