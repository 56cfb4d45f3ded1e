//===- QuantizedMatmul.cpp - quantized matmuls on the int8/int4 GEMMs -----===//
//
// Part of kiln. Implements kiln-x86-quantized-matmul (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/x86/KernelIsa.h"
#include "backends/x86/Passes.h"
#include "backends/x86/WrapperText.h"
#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace mlir::tfm {
#define GEN_PASS_DEF_X86QUANTIZEDMATMUL
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Rows of C per GEMM work item, and per quantize_rows work item.
constexpr int64_t kRowBlock = 256;
constexpr int64_t kQuantizeRowBlock = 32;

/// The bits of `f` as a hexadecimal integer literal, which MLIR reads back
/// as exactly that f32 (a decimal rendering may round).
std::string floatLiteral(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return llvm::formatv("{0:x8}", bits).str();
}

/// One wrapper: the kernel, its fused epilogue parts and its constants.
struct Variant {
  /// per_token or per_tensor: qgemm; none: wgemm.
  tfm::LhsQuantization lhs = tfm::LhsQuantization::per_token;
  int64_t bits = 8;       ///< wgemm: 4 or 8.
  int64_t group = 0;      ///< wgemm: K per scale group.
  bool halfParams = false; ///< wgemm: scales and offsets as IEEE halves
  bool outliers = false;  ///< qgemm: LLM.int8() outlier columns.
  float threshold = 0;    ///< with `outliers`.
  bool weightZero = false; ///< qgemm: a weight zero point per channel
  bool channelScale = false; ///< qgemm per token: the input's [K] multiplier
  float lhsScale = 0;     ///< per_tensor_static
  int64_t lhsZero = 0;    ///< per_tensor_static
  bool bias = false, residual = false;
  int64_t activation = 0; ///< KILN_UK_ACT_*

  bool int8Lhs() const { return lhs != tfm::LhsQuantization::none; }
  bool isStatic() const {
    return lhs == tfm::LhsQuantization::per_tensor_static;
  }
  /// One scale and zero point for all of the lhs (dynamic or static).
  bool perTensor() const {
    return lhs == tfm::LhsQuantization::per_tensor || isStatic();
  }

  std::string name(const kiln::x86::KernelIsa &isa) const {
    std::string s;
    llvm::raw_string_ostream os(s);
    if (int8Lhs())
      os << "kiln_qgemm_" << (perTensor() ? "tensor_" : "") << isa.name;
    else
      os << "kiln_wgemm_" << isa.name << "_w" << bits << "_g" << group
         << (halfParams ? "_h" : "");
    if (bias)
      os << "_bias";
    if (residual)
      os << "_res";
    if (activation)
      os << "_act" << activation;
    if (outliers)
      os << "_outliers" << floatLiteral(threshold);
    if (isStatic())
      os << "_static" << floatLiteral(lhsScale) << "_z" << lhsZero;
    if (weightZero)
      os << "_wz";
    if (channelScale)
      os << "_cs";
    return s;
  }
};

/// A dynamic tensor type with a static last dim.
std::string tensorOf(int64_t rank, int64_t last, StringRef element) {
  std::string s = "tensor<";
  for (int64_t i = 0; i + 1 < rank; ++i)
    s += "?x";
  s += (last < 0 ? std::string("?") : std::to_string(last)) + "x" +
       element.str() + ">";
  return s;
}

std::string memrefOf(int64_t rank, int64_t last, StringRef element) {
  return "memref" + tensorOf(rank, last, element).substr(6);
}

/// The row-block loop header both wrappers use: %m0w, %m1w (i64) for the
/// block %mb of %mc rows.
std::string rowBlock(StringRef mc) {
  return llvm::formatv("    %m0 = arith.muli %mb, {0} : index\n"
                       "    %m1e = arith.addi %m0, {0} : index\n"
                       "    %m1 = arith.minui %m1e, %M : index\n"
                       "    %m0w = arith.index_cast %m0 : index to i64\n"
                       "    %m1w = arith.index_cast %m1 : index to i64\n",
                       mc)
      .str();
}

/// The wrapper's MLIR text. qgemm: C = kernel(A [M, K], B [P, K/4, 4 NR],
/// bsum [P NR], bscale [P NR], n, [bias], [res]); wgemm: C = kernel(A,
/// B [P, K, NR or NR / 2], params [P, G, 2 NR] (f32 or f16), n, ...).
std::string wrapperSource(const kiln::x86::KernelIsa &isa, const Variant &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  int64_t nr = isa.panelWidth;
  auto pointer = [&](StringRef name, StringRef tensor, const std::string &mt,
                     const std::string &tt) {
    os << kiln::x86::tensorPointer(name, tensor, mt, tt);
  };
  std::string a2 = tensorOf(2, -1, "f32"), a2m = memrefOf(2, -1, "f32");
  std::string v1 = tensorOf(1, -1, "f32"), v1m = memrefOf(1, -1, "f32");
  std::string panelT, panelM, extraT, extraM;
  if (v.int8Lhs()) {
    if (v.perTensor() && !v.isStatic())
      os << "func.func private @kiln_uk_tensor_quant_params_" << isa.name
         << "(!llvm.ptr, i64, i64, i64, !llvm.ptr) -> i64\n";
    if (v.perTensor())
      os << "func.func private @kiln_uk_quantize_rows_affine_" << isa.name
         << "(!llvm.ptr, i64, i64, i64, i64, !llvm.ptr, i64, !llvm.ptr, i64, "
            "!llvm.ptr, !llvm.ptr)\n";
    else
      os << "func.func private @kiln_uk_quantize_rows_" << isa.name
         << "(!llvm.ptr, i64, i64, i64, i64, !llvm.ptr, !llvm.ptr, i64, "
            "!llvm.ptr, !llvm.ptr)\n";
    os << "func.func private @kiln_uk_qgemm_" << isa.name
       << "(!llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, "
          "i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64, "
          "i64, !llvm.ptr, "
          "!llvm.ptr, i64, i64, !llvm.ptr, i64, !llvm.ptr, i64)\n";
    if (v.outliers)
      os << "func.func private @kiln_uk_find_outliers_" << isa.name
         << "(!llvm.ptr, i64, i64, i64, f32, !llvm.ptr, !llvm.ptr) -> i64\n";
    panelT = tensorOf(3, 4 * nr, "i8");
    panelM = memrefOf(3, 4 * nr, "i8");
    os << "func.func private @" << v.name(isa) << "(%a: " << a2
       << ", %b: " << panelT << ", %bsum: tensor<?xi32>, %bscale: " << v1
       << (v.weightZero ? ", %bzero: tensor<?xi32>" : "")
       << (v.channelScale ? ", %cs: " + v1 : "") << ", %n: index";
  } else {
    os << "func.func private @kiln_uk_wgemm_" << isa.name
       << "(!llvm.ptr, i64, !llvm.ptr, i64, i64, i64, !llvm.ptr, "
          "i64, !llvm.ptr, i64, i64, i64, i64, i64, i64, !llvm.ptr, "
          "!llvm.ptr, i64, i64)\n";
    panelT = tensorOf(3, v.bits == 4 ? nr / 2 : nr, "i8");
    panelM = memrefOf(3, v.bits == 4 ? nr / 2 : nr, "i8");
    extraT = tensorOf(3, 2 * nr, v.halfParams ? "f16" : "f32");
    extraM = memrefOf(3, 2 * nr, v.halfParams ? "f16" : "f32");
    os << "func.func private @" << v.name(isa) << "(%a: " << a2
       << ", %b: " << panelT << ", %params: " << extraT << ", %n: index";
  }
  if (v.bias)
    os << ", %bias: " << v1;
  if (v.residual)
    os << ", %res: " << a2;
  os << ") -> " << a2 << " {\n";
  os << "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %c3 = arith.constant 3 : index\n"
        "  %c4 = arith.constant 4 : index\n"
        "  %c64 = arith.constant 64 : index\n"
        "  %mc = arith.constant "
     << kRowBlock << " : index\n  %act = arith.constant " << v.activation
     << " : i64\n  %null = llvm.mlir.zero : !llvm.ptr\n";
  pointer("A", "a", a2m, a2);
  pointer("B", "b", panelM, panelT);
  if (v.int8Lhs()) {
    pointer("Bsum", "bsum", "memref<?xi32>", "tensor<?xi32>");
    if (v.weightZero)
      pointer("Bz", "bzero", "memref<?xi32>", "tensor<?xi32>");
    pointer("Bscale", "bscale", v1m, v1);
    if (v.channelScale)
      pointer("CS", "cs", v1m, v1);
    else
      os << "  %CS_p = llvm.mlir.zero : !llvm.ptr\n";
  } else {
    pointer("Params", "params", extraM, extraT);
  }
  if (v.bias)
    pointer("Bias", "bias", v1m, v1);
  if (v.residual)
    pointer("R", "res", a2m, a2);
  os << "  %M = memref.dim %A, %c0 : " << a2m << "\n"
     << "  %K = memref.dim %A, %c1 : " << a2m << "\n"
     << "  %P = memref.dim %B, %c0 : " << panelM << "\n"
     << "  %K_w = arith.index_cast %K : index to i64\n"
     << "  %M_w = arith.index_cast %M : index to i64\n"
     << "  %n_w = arith.index_cast %n : index to i64\n"
     << "  %MB = arith.ceildivui %M, %mc : index\n";
  if (v.int8Lhs()) {
    // Activation codes, row scales and (LLM.int8()) outlier columns live
    // for the call; buffer deallocation frees them at its end.
    os << "  %K3 = arith.addi %K, %c3 : index\n"
          "  %KQ = arith.divui %K3, %c4 : index\n"
          "  %KP = arith.muli %KQ, %c4 : index\n"
          "  %KP_w = arith.index_cast %KP : index to i64\n"
          "  %Aq = memref.alloc(%M, %KP) {alignment = 64} : memref<?x?xi8>\n"
       << kiln::x86::bufferPointer("Aq", "memref<?x?xi8>")
       << "  %As = memref.alloc(%M) {alignment = 64} : memref<?xf32>\n"
       << kiln::x86::bufferPointer("As", "memref<?xf32>");
    // With a weight zero point, the rows' sums of codes (quantize_rows_
    // affine writes them) correct the product.
    if (v.weightZero)
      os << "  %Ar = memref.alloc(%M) {alignment = 64} : memref<?xi32>\n"
         << kiln::x86::bufferPointer("Ar", "memref<?xi32>");
    else
      os << "  %Ar_p = llvm.mlir.zero : !llvm.ptr\n"
            "  %Bz_p = llvm.mlir.zero : !llvm.ptr\n";
    if (v.outliers) {
      os << "  %F = memref.alloc(%K) {alignment = 64} : memref<?xi8>\n"
         << kiln::x86::bufferPointer("F", "memref<?xi8>")
         << "  %I = memref.alloc(%K) {alignment = 64} : memref<?xi32>\n"
         << kiln::x86::bufferPointer("I", "memref<?xi32>")
         << "  %thr = arith.constant "
         << floatLiteral(v.threshold)
         << " : f32\n"
         << "  %cnt = func.call @kiln_uk_find_outliers_" << isa.name
         << "(%A_p, %K_w, %M_w, %K_w, %thr, %F_p, %I_p) : (!llvm.ptr, i64, "
            "i64, i64, f32, !llvm.ptr, !llvm.ptr) -> i64\n";
    } else {
      os << "  %cnt = arith.constant 0 : i64\n"
            "  %F_p = llvm.mlir.zero : !llvm.ptr\n"
            "  %I_p = llvm.mlir.zero : !llvm.ptr\n";
    }
    // Per tensor, the range of all of A comes first (one pass, serial),
    // unless the scale and zero point are static.
    if (v.perTensor())
      os << "  %Ts = memref.alloc() {alignment = 64} : memref<1xf32>\n"
         << kiln::x86::bufferPointer("Ts", "memref<1xf32>");
    if (v.isStatic())
      os << "  %ts = arith.constant "
         << floatLiteral(v.lhsScale)
         << " : f32\n  memref.store %ts, %Ts[%c0] : memref<1xf32>\n"
         << "  %zq = arith.constant " << v.lhsZero << " : i64\n";
    else if (v.perTensor())
      os << "  %zq = func.call @kiln_uk_tensor_quant_params_" << isa.name
         << "(%A_p, %K_w, %M_w, %K_w, %Ts_p) : (!llvm.ptr, i64, i64, i64, "
            "!llvm.ptr) -> i64\n";
    else
      os << "  %zq = arith.constant 128 : i64\n";
    os << "  %qc = arith.constant " << kQuantizeRowBlock << " : index\n"
       << "  %QB = arith.ceildivui %M, %qc : index\n"
       << "  scf.parallel (%mb) = (%c0) to (%QB) step (%c1) {\n"
       << rowBlock("%qc");
    if (v.perTensor())
      os << "    func.call @kiln_uk_quantize_rows_affine_" << isa.name
         << "(%A_p, %K_w, %K_w, %m0w, %m1w, %Ts_p, %zq, %Aq_p, %KP_w, %As_p, "
            "%Ar_p) : (!llvm.ptr, i64, i64, i64, i64, !llvm.ptr, i64, "
            "!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()\n";
    else
      os << "    func.call @kiln_uk_quantize_rows_" << isa.name
         << "(%A_p, %K_w, %K_w, %m0w, %m1w, %F_p, %Aq_p, %KP_w, %As_p, "
            "%CS_p) : (!llvm.ptr, i64, i64, i64, i64, !llvm.ptr, !llvm.ptr, "
            "i64, !llvm.ptr, !llvm.ptr) -> ()\n";
    os << "    scf.reduce\n"
          "  }\n";
  }
  os << "  %C = memref.alloc(%M, %n) {alignment = 64} : " << a2m << "\n"
     << kiln::x86::bufferPointer("C", a2m);
  // Few rows (decode) are memory-bound: one panel per work item spreads
  // the weight stream over every thread. The weight-only kernel
  // dequantizes each panel once per row block, so it takes one panel per
  // item always.
  if (v.int8Lhs())
    os << "  %small = arith.cmpi ule, %M, %c64 : index\n"
          "  %g = arith.select %small, %c1, %c4 : index\n";
  else
    os << "  %g = arith.constant 1 : index\n";
  os << "  %PG = arith.ceildivui %P, %g : index\n"
        "  scf.parallel (%mb, %pg) = (%c0, %c0) to (%MB, %PG) step (%c1, "
        "%c1) {\n"
     << rowBlock("%mc")
     << "    %p0 = arith.muli %pg, %g : index\n"
        "    %p1e = arith.addi %p0, %g : index\n"
        "    %p1 = arith.minui %p1e, %P : index\n"
        "    %p0w = arith.index_cast %p0 : index to i64\n"
        "    %p1w = arith.index_cast %p1 : index to i64\n";
  std::string bias = v.bias ? "%Bias_p" : "%null";
  std::string res = v.residual ? "%R_p" : "%null";
  if (v.int8Lhs())
    os << "    func.call @kiln_uk_qgemm_" << isa.name
       << "(%Aq_p, %KP_w, %As_p, %zq, %Ar_p, %Bz_p, %B_p, %KP_w, %Bsum_p, "
          "%Bscale_p, %C_p, %n_w, %m0w, %m1w, %p0w, %p1w, %n_w, "
       << bias << ", " << res
       << ", %n_w, %act, %A_p, %K_w, %I_p, %cnt) : (!llvm.ptr, i64, "
          "!llvm.ptr, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, "
          "i64, i64, i64, i64, i64, !llvm.ptr, !llvm.ptr, i64, i64, "
          "!llvm.ptr, i64, !llvm.ptr, i64) -> ()\n";
  else
    os << "    %bits = arith.constant " << v.bits
       << " : i64\n    %grp = arith.constant " << v.group
       << " : i64\n    %half = arith.constant " << (v.halfParams ? 1 : 0)
       << " : i64\n    func.call @kiln_uk_wgemm_" << isa.name
       << "(%A_p, %K_w, %B_p, %bits, %K_w, %grp, %Params_p, %half, %C_p, "
          "%n_w, %m0w, %m1w, %p0w, %p1w, %n_w, "
       << bias << ", " << res
       << ", %n_w, %act) : (!llvm.ptr, i64, !llvm.ptr, i64, i64, i64, "
          "!llvm.ptr, i64, !llvm.ptr, i64, i64, i64, i64, i64, i64, "
          "!llvm.ptr, !llvm.ptr, i64, i64) -> ()\n";
  os << "    scf.reduce\n"
        "  }\n"
        "  %r = bufferization.to_tensor %C restrict writable : "
     << a2m << " to " << a2 << "\n"
     << "  return %r : " << a2 << "\n"
        "}\n";
  return s;
}

/// A tfm.constant of `type` holding `bytes` (64-byte aligned).
Value blobConstant(OpBuilder &b, Location loc, RankedTensorType type,
                   StringRef name, AsmResourceBlob blob) {
  return tfm::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

template <typename T>
std::pair<AsmResourceBlob, T *> allocateBlob(int64_t count) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      std::max<int64_t>(count, 1) * sizeof(T), /*align=*/64);
  T *data = reinterpret_cast<T *>(blob.getMutableData().data());
  std::memset(data, 0, std::max<int64_t>(count, 1) * sizeof(T));
  return {std::move(blob), data};
}

struct X86QuantizedMatmul
    : mlir::tfm::impl::X86QuantizedMatmulBase<X86QuantizedMatmul> {
  using X86QuantizedMatmulBase::X86QuantizedMatmulBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<kiln::x86::KernelIsa> kernelIsa =
        kiln::x86::quantizedKernelIsaNamed(isa);
    if (!kernelIsa) {
      module.emitError() << "kiln-x86-quantized-matmul: unknown isa '" << isa
                         << "' (amx, avx512vnni or avx2)";
      return signalPassFailure();
    }
    SmallVector<tfm::QuantizedMatmulOp> ops;
    module.walk([&](tfm::QuantizedMatmulOp op) { ops.push_back(op); });
    // One packed copy per weight.
    llvm::DenseMap<Value, SmallVector<Value, 3>> packed;
    for (tfm::QuantizedMatmulOp op : ops) {
      auto weight = op.getWeight().getDefiningOp<tfm::ConstantOp>();
      SmallVector<tfm::ConstantOp, 2> parameters{
          op.getScale().getDefiningOp<tfm::ConstantOp>()};
      for (Value parameter : {op.getZeroPoint(), op.getOffset()})
        if (parameter)
          parameters.push_back(parameter.getDefiningOp<tfm::ConstantOp>());
      SmallVector<Value, 3> &operands = packed[op.getWeight()];
      if (operands.empty() && failed(pack(op, *kernelIsa, operands)))
        return signalPassFailure();
      if (failed(rewrite(module, op, *kernelIsa, operands)))
        return signalPassFailure();
      // The unpacked copies go as soon as nothing uses them.
      if (weight && weight->use_empty()) {
        packed.erase(weight.getResult());
        tfm::releaseWeight(weight);
      }
      for (tfm::ConstantOp parameter : parameters)
        tfm::releaseWeight(parameter);
    }
  }

  /// The packed weight and its per-panel scales for op's kernel.
  LogicalResult pack(tfm::QuantizedMatmulOp op,
                     const kiln::x86::KernelIsa &isa,
                     SmallVectorImpl<Value> &operands) {
    auto weight = op.getWeight().getDefiningOp<tfm::ConstantOp>();
    auto scale = op.getScale().getDefiningOp<tfm::ConstantOp>();
    tfm::ConstantOp zero, offset;
    if (Value z = op.getZeroPoint())
      zero = z.getDefiningOp<tfm::ConstantOp>();
    if (Value o = op.getOffset())
      offset = o.getDefiningOp<tfm::ConstantOp>();
    auto type = cast<RankedTensorType>(op.getWeight().getType());
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    if (!weight || !scale || (op.getZeroPoint() && !zero) ||
        (op.getOffset() && !offset) ||
        !type.hasStaticShape() || !lhsType.getElementType().isF32())
      return op.emitOpError("needs f32 activations and constant weight, "
                            "scale and zero point on x86");
    int64_t n = type.getDimSize(0), k = type.getDimSize(1);
    int64_t groups =
        tfm::QuantizedMatmulOp::groupCount(k, op.getGroupSize());
    std::vector<int8_t> wStorage, zStorage;
    std::vector<float> sStorage, oStorage;
    ArrayRef<int8_t> w = tfm::getWeightInt8s(weight.getValue(), wStorage);
    ArrayRef<float> s = tfm::getWeightFloats(scale.getValue(), sStorage);
    ArrayRef<int8_t> z;
    ArrayRef<float> o;
    if (zero)
      z = tfm::getWeightInt8s(zero.getValue(), zStorage);
    if (offset)
      o = tfm::getWeightFloats(offset.getValue(), oStorage);
    if (static_cast<int64_t>(w.size()) != n * k ||
        static_cast<int64_t>(s.size()) != n * groups ||
        (zero && static_cast<int64_t>(z.size()) != n * groups) ||
        (offset && static_cast<int64_t>(o.size()) != n * groups))
      return op.emitOpError("cannot read the quantized weight to pack it");
    int64_t nr = isa.panelWidth, panels = (n + nr - 1) / nr;
    OpBuilder b(weight);
    Location loc = weight.getLoc();
    auto i8 = b.getIntegerType(8);
    if (op.getLhsQuantization() != tfm::LhsQuantization::none) {
      int64_t kq = (k + 3) / 4;
      auto [codes, p] = allocateBlob<int8_t>(panels * kq * 4 * nr);
      auto [sums, bsum] = allocateBlob<int32_t>(panels * nr);
      auto [scales, bscale] = allocateBlob<float>(panels * nr);
      for (int64_t j = 0; j < n; ++j) {
        int64_t q = j / nr, jj = j % nr;
        for (int64_t kk = 0; kk < k; ++kk) {
          p[((q * kq + kk / 4) * nr + jj) * 4 + kk % 4] = w[j * k + kk];
          bsum[j] += w[j * k + kk];
        }
        bscale[j] = s[j];
      }
      operands.push_back(blobConstant(
          b, loc, RankedTensorType::get({panels, kq, 4 * nr}, i8),
          "packed_qweight", std::move(codes)));
      operands.push_back(blobConstant(
          b, loc, RankedTensorType::get({panels * nr}, b.getI32Type()),
          "packed_qweight_sum", std::move(sums)));
      operands.push_back(blobConstant(
          b, loc, RankedTensorType::get({panels * nr}, b.getF32Type()),
          "packed_qweight_scale", std::move(scales)));
      if (zero) {
        auto [zeros, bzero] = allocateBlob<int32_t>(panels * nr);
        for (int64_t j = 0; j < n; ++j)
          bzero[j] = z[j];
        operands.push_back(blobConstant(
            b, loc, RankedTensorType::get({panels * nr}, b.getI32Type()),
            "packed_qweight_zero_point", std::move(zeros)));
      }
      return success();
    }
    int64_t bits = op.getBits();
    int64_t rowBytes = bits == 4 ? nr / 2 : nr;
    int8_t defaultZero = bits == 4 ? 8 : 0;
    auto [codes, p] = allocateBlob<uint8_t>(panels * k * rowBytes);
    std::vector<float> offsets(n * groups);
    for (int64_t j = 0; j < n * groups; ++j)
      offsets[j] = offset ? o[j]
                          : -static_cast<float>(zero ? z[j] : defaultZero) *
                                s[j];
    // Each panel's scales then offsets per group, [P, G, 2, NR]: halves
    // when every value is one (kiln's own w4/w8 quantizer makes them so;
    // GGUF's are), else f32.
    bool half = tfm::allNormalHalves(s) && tfm::allNormalHalves(offsets);
    int64_t paramCount = panels * groups * 2 * nr;
    auto [params, pp] = allocateBlob<float>(half ? (paramCount + 1) / 2
                                                 : paramCount);
    auto *hp = reinterpret_cast<uint16_t *>(pp);
    for (int64_t j = 0; j < n; ++j) {
      int64_t q = j / nr, jj = j % nr;
      for (int64_t kk = 0; kk < k; ++kk) {
        uint8_t code = static_cast<uint8_t>(w[j * k + kk]);
        uint8_t *row = p + (q * k + kk) * rowBytes;
        if (bits == 8)
          row[jj] = code;
        else if (jj < nr / 2)
          row[jj] |= code & 0xf;
        else
          row[jj - nr / 2] |= static_cast<uint8_t>((code & 0xf) << 4);
      }
      for (int64_t g = 0; g < groups; ++g) {
        int64_t at = (q * groups + g) * 2 * nr + jj;
        float sc = s[j * groups + g], off = offsets[j * groups + g];
        if (half) {
          hp[at] = tfm::halfBits(sc);
          hp[at + nr] = tfm::halfBits(off);
        } else {
          pp[at] = sc;
          pp[at + nr] = off;
        }
      }
    }
    operands.push_back(blobConstant(
        b, loc, RankedTensorType::get({panels, k, rowBytes}, i8),
        "packed_qweight", std::move(codes)));
    operands.push_back(blobConstant(
        b, loc,
        RankedTensorType::get({panels, groups, 2 * nr},
                              half ? Type(b.getF16Type()) : b.getF32Type()),
        "packed_qweight_params", std::move(params)));
    return success();
  }

  /// Calls the wrapper of `v` (added to the module beforehand) and returns
  /// C in op's result shape, with the epilogue parts `v` does not fuse
  /// applied.
  static Value emitCall(OpBuilder &b, tfm::QuantizedMatmulOp op,
                        const Variant &v, const kiln::x86::KernelIsa &isa,
                        ArrayRef<Value> packed) {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t n = type.getShape().back();
    // The wrapper's operand types: leading dims dynamic, the panel width
    // static (vectors fully dynamic).
    auto dynamicLeading = [&](Value x) {
      auto t = cast<RankedTensorType>(x.getType());
      SmallVector<int64_t> shape(t.getRank(), ShapedType::kDynamic);
      if (t.getRank() > 1)
        shape.back() = t.getShape().back();
      return tensor::CastOp::create(
          b, loc, RankedTensorType::get(shape, t.getElementType()), x);
    };
    SmallVector<Value> operands;
    for (Value p : packed)
      operands.push_back(dynamicLeading(p));
    if (v.channelScale)
      operands.push_back(dynamicLeading(op.getChannelScale()));
    operands.push_back(arith::ConstantIndexOp::create(b, loc, n));
    kiln::FusedEpilogue fused;
    fused.bias = v.bias;
    fused.activation = v.activation != 0;
    fused.residual = v.residual;
    return kiln::callRowKernel(
        b, loc, v.name(isa), op.getLhs(), operands, type,
        kiln::Epilogue{op.getBias(), op.getActivation(), op.getResidual()},
        fused);
  }

  LogicalResult rewrite(ModuleOp module, tfm::QuantizedMatmulOp op,
                        const kiln::x86::KernelIsa &isa,
                        ArrayRef<Value> packed) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t n = type.getShape().back();
    Variant v;
    v.lhs = op.getLhsQuantization();
    v.weightZero = v.int8Lhs() && op.getZeroPoint();
    if (std::optional<APFloat> scale = op.getLhsScale())
      v.lhsScale = scale->convertToFloat();
    if (std::optional<uint64_t> zero = op.getLhsZeroPoint())
      v.lhsZero = static_cast<int64_t>(*zero);
    v.bits = op.getBits();
    if (!v.int8Lhs() && packed.size() > 1)
      v.halfParams =
          cast<RankedTensorType>(packed[1].getType()).getElementType().isF16();
    v.group = op.getGroupSize() ? op.getGroupSize()
                                : cast<RankedTensorType>(
                                      op.getWeight().getType())
                                      .getDimSize(1);
    if (v.group == 0)
      v.group = 16; // K = 0: any group will do
    v.channelScale = op.getChannelScale() != nullptr;
    if (std::optional<APFloat> t = op.getOutlierThreshold()) {
      v.outliers = true;
      v.threshold = t->convertToFloat();
    }
    if (Value bias = op.getBias()) {
      auto t = cast<RankedTensorType>(bias.getType());
      v.bias = t.getRank() == 1 && t.getDimSize(0) == n;
    }
    if (!op.getBias() || v.bias)
      v.activation = kiln::activationCode(op.getActivation());
    // A residual of the result's type is fused; with dynamic dims it could
    // still broadcast at run time (a dim of 1), so the fused call is then
    // guarded by its row count, with an unfused call and a tfm.add else.
    Value residual = op.getResidual();
    bool fuseResidual = residual && residual.getType() == type &&
                        (!op.getActivation() || v.activation);
    bool guarded = fuseResidual && !type.hasStaticShape();
    Variant withResidual = v;
    withResidual.residual = true;
    if ((!fuseResidual || guarded) &&
        failed(kiln::addKernelFunction(module, v.name(isa),
                                       wrapperSource(isa, v))))
      return failure();
    if (fuseResidual &&
        failed(kiln::addKernelFunction(module, withResidual.name(isa),
                                       wrapperSource(isa, withResidual))))
      return failure();
    Value result;
    if (!guarded) {
      result = emitCall(b, op, fuseResidual ? withResidual : v, isa, packed);
    } else {
      Value same = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          kiln::rowCount(b, loc, op.getLhs()),
          kiln::rowCount(b, loc, residual));
      result = scf::IfOp::create(
                   b, loc, same,
                   [&](OpBuilder &nb, Location) {
                     scf::YieldOp::create(
                         nb, loc, emitCall(nb, op, withResidual, isa, packed));
                   },
                   [&](OpBuilder &nb, Location) {
                     scf::YieldOp::create(nb, loc,
                                          emitCall(nb, op, v, isa, packed));
                   })
                   .getResult(0);
    }
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

} // namespace
