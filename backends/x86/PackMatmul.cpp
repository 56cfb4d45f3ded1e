//===- PackMatmul.cpp - packed-weight GEMM for x86 ------------------------===//
//
// Part of kiln. Implements kiln-x86-pack-matmul (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/x86/Passes.h"
#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86PACKMATMUL
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr int64_t kTileRows = 8;   // Rows of A per register tile.
constexpr int64_t kPanel = 32;     // Columns per packed panel (2 x 16 lanes).
constexpr llvm::StringLiteral kKernelName = "kiln_sgemm_packed";

/// The kernel's MLIR text: C[M, n] = A[M, K] x B, with B packed as
/// [ceil(n / 32), K, 32]. Rows go 8 at a time (16 accumulators of
/// vector<16xf32>), then one at a time for the last M % 8.
std::string kernelSource() {
  std::string s;
  llvm::raw_string_ostream os(s);
  auto accList = [&](StringRef prefix, int count) {
    for (int i = 0; i < count; ++i)
      os << (i ? ", " : "") << prefix << i;
  };
  os << "func.func private @" << kKernelName
     << "(%a: tensor<?x?xf32>, %b: tensor<?x?x32xf32>, %n: index)"
        " -> tensor<?x?xf32> {\n"
        "  %c0 = arith.constant 0 : index\n"
        "  %c1 = arith.constant 1 : index\n"
        "  %c8 = arith.constant 8 : index\n"
        "  %c16 = arith.constant 16 : index\n"
        "  %c32 = arith.constant 32 : index\n"
        "  %A = bufferization.to_buffer %a read_only : tensor<?x?xf32> to "
        "memref<?x?xf32>\n"
        "  %B = bufferization.to_buffer %b read_only : tensor<?x?x32xf32> to "
        "memref<?x?x32xf32>\n"
        "  %M = memref.dim %A, %c0 : memref<?x?xf32>\n"
        "  %K = memref.dim %A, %c1 : memref<?x?xf32>\n"
        "  %NB = memref.dim %B, %c0 : memref<?x?x32xf32>\n"
        "  %C = memref.alloc(%M, %n) {alignment = 64} : memref<?x?xf32>\n"
        "  %MB = arith.ceildivui %M, %c8 : index\n"
        "  %zero = arith.constant dense<0.0> : vector<16xf32>\n"
        "  scf.parallel (%mb, %nb) = (%c0, %c0) to (%MB, %NB) step (%c1, %c1) {\n"
        "    %m0 = arith.muli %mb, %c8 : index\n"
        "    %n0 = arith.muli %nb, %c32 : index\n"
        "    %n1 = arith.addi %n0, %c16 : index\n"
        "    %rowsLeft = arith.subi %M, %m0 : index\n"
        "    %rows = arith.minui %rowsLeft, %c8 : index\n"
        "    %colsLeft = arith.subi %n, %n0 : index\n"
        "    %cols = arith.minui %colsLeft, %c32 : index\n"
        "    %lo = arith.minui %cols, %c16 : index\n"
        "    %hi = arith.subi %cols, %lo : index\n"
        "    %mask0 = vector.create_mask %lo : vector<16xi1>\n"
        "    %mask1 = vector.create_mask %hi : vector<16xi1>\n"
        "    %full = arith.cmpi eq, %rows, %c8 : index\n"
        "    scf.if %full {\n";
  // Full 8-row tile.
  for (int r = 0; r < kTileRows; ++r)
    os << "      %row" << r << " = arith.addi %m0, %c" << (r == 0 ? "0" : "")
       << (r == 0 ? "" : std::to_string(r)) << "_i : index\n";
  os << "      %t:16 = scf.for %k = %c0 to %K step %c1 iter_args(";
  for (int i = 0; i < 2 * kTileRows; ++i)
    os << (i ? ", " : "") << "%x" << i << " = %zero";
  os << ") -> (";
  for (int i = 0; i < 2 * kTileRows; ++i)
    os << (i ? ", " : "") << "vector<16xf32>";
  os << ") {\n"
        "        %b0 = vector.load %B[%nb, %k, %c0] : memref<?x?x32xf32>, "
        "vector<16xf32>\n"
        "        %b1 = vector.load %B[%nb, %k, %c16] : memref<?x?x32xf32>, "
        "vector<16xf32>\n";
  for (int r = 0; r < kTileRows; ++r) {
    os << "        %s" << r << " = memref.load %A[%row" << r
       << ", %k] : memref<?x?xf32>\n"
       << "        %v" << r << " = vector.broadcast %s" << r
       << " : f32 to vector<16xf32>\n"
       << "        %y" << 2 * r << " = vector.fma %v" << r << ", %b0, %x"
       << 2 * r << " : vector<16xf32>\n"
       << "        %y" << 2 * r + 1 << " = vector.fma %v" << r << ", %b1, %x"
       << 2 * r + 1 << " : vector<16xf32>\n";
  }
  os << "        scf.yield ";
  accList("%y", 2 * kTileRows);
  os << " : ";
  for (int i = 0; i < 2 * kTileRows; ++i)
    os << (i ? ", " : "") << "vector<16xf32>";
  os << "\n      }\n";
  for (int r = 0; r < kTileRows; ++r)
    os << "      vector.maskedstore %C[%row" << r << ", %n0], %mask0, %t#"
       << 2 * r << " : memref<?x?xf32>, vector<16xi1>, vector<16xf32>\n"
       << "      vector.maskedstore %C[%row" << r << ", %n1], %mask1, %t#"
       << 2 * r + 1 << " : memref<?x?xf32>, vector<16xi1>, vector<16xf32>\n";
  // Ragged rows one at a time.
  os << "    } else {\n"
        "      scf.for %r = %c0 to %rows step %c1 {\n"
        "        %i = arith.addi %m0, %r : index\n"
        "        %u:2 = scf.for %k = %c0 to %K step %c1 iter_args(%x0 = %zero, "
        "%x1 = %zero) -> (vector<16xf32>, vector<16xf32>) {\n"
        "          %b0 = vector.load %B[%nb, %k, %c0] : memref<?x?x32xf32>, "
        "vector<16xf32>\n"
        "          %b1 = vector.load %B[%nb, %k, %c16] : memref<?x?x32xf32>, "
        "vector<16xf32>\n"
        "          %s = memref.load %A[%i, %k] : memref<?x?xf32>\n"
        "          %v = vector.broadcast %s : f32 to vector<16xf32>\n"
        "          %y0 = vector.fma %v, %b0, %x0 : vector<16xf32>\n"
        "          %y1 = vector.fma %v, %b1, %x1 : vector<16xf32>\n"
        "          scf.yield %y0, %y1 : vector<16xf32>, vector<16xf32>\n"
        "        }\n"
        "        vector.maskedstore %C[%i, %n0], %mask0, %u#0 : "
        "memref<?x?xf32>, vector<16xi1>, vector<16xf32>\n"
        "        vector.maskedstore %C[%i, %n1], %mask1, %u#1 : "
        "memref<?x?xf32>, vector<16xi1>, vector<16xf32>\n"
        "      }\n"
        "    }\n"
        "    scf.reduce\n"
        "  }\n"
        "  %r = bufferization.to_tensor %C restrict writable : "
        "memref<?x?xf32> to tensor<?x?xf32>\n"
        "  return %r : tensor<?x?xf32>\n"
        "}\n";
  // Row offsets: %c0_i is %c0, the others constants.
  std::string constants;
  for (int r = 0; r < kTileRows; ++r)
    constants += "  %c" + std::to_string(r) + "_i = arith.constant " +
                 std::to_string(r) + " : index\n";
  size_t at = s.find("  %c1 = arith.constant 1 : index\n");
  s.insert(at, constants);
  return s;
}

struct X86PackMatmul
    : mlir::tfm::impl::X86PackMatmulBase<X86PackMatmul> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tfm::MatmulOp> matmuls = kiln::collectWeightMatmuls(module);
    if (matmuls.empty())
      return;
    if (failed(kiln::addKernelFunction(module, kKernelName, kernelSource())))
      return signalPassFailure();
    llvm::DenseMap<Value, Value> packedWeights;
    for (tfm::MatmulOp op : matmuls) {
      auto weight = op.getRhs().getDefiningOp<tfm::ConstantOp>();
      if (failed(rewrite(op, packedWeights)))
        return signalPassFailure();
      // Release each unpacked weight as soon as nothing uses it, so that
      // compile memory stays near one copy of the weights.
      if (weight->use_empty()) {
        packedWeights.erase(weight.getResult());
        tfm::releaseWeight(weight);
      }
    }
  }

  LogicalResult rewrite(tfm::MatmulOp op,
                        llvm::DenseMap<Value, Value> &packedWeights) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto rhs = op.getRhs().getDefiningOp<tfm::ConstantOp>();
    bool transposed = op.getTransposeRhs();
    auto [k, n] = kiln::weightMatmulSizes(op);
    int64_t panels = (n + kPanel - 1) / kPanel;
    Value &packed = packedWeights[op.getRhs()];
    if (!packed) {
      std::vector<float> storage;
      ArrayRef<float> w = tfm::getWeightFloats(rhs.getValue(), storage);
      if (w.size() != static_cast<size_t>(k * n))
        return op.emitOpError("cannot read the weight to pack it");
      AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
          panels * k * kPanel * sizeof(float), /*align=*/64);
      float *out = reinterpret_cast<float *>(blob.getMutableData().data());
      for (int64_t p = 0; p < panels; ++p)
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t j = 0; j < kPanel; ++j) {
            int64_t col = p * kPanel + j;
            float v = 0;
            if (col < n)
              v = transposed ? w[col * k + kk] : w[kk * n + col];
            *out++ = v;
          }
      auto type = RankedTensorType::get({panels, k, kPanel}, b.getF32Type());
      b.setInsertionPoint(rhs);
      packed = tfm::ConstantOp::create(
          b, rhs.getLoc(),
          DenseResourceElementsAttr::get(type, "packed_weight",
                                         std::move(blob)));
      b.setInsertionPoint(op);
    }
    auto dynPacked = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, kPanel}, b.getF32Type());
    Value packedDyn = tensor::CastOp::create(b, loc, dynPacked, packed);
    Value nValue = arith::ConstantIndexOp::create(b, loc, n);
    kiln::replaceWithKernelCall(op, kKernelName, {packedDyn, nValue});
    return success();
  }
};

} // namespace
