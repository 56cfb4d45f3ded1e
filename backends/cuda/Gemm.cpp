//===- Gemm.cpp - weight matmuls through a GPU GEMM kernel ----------------===//
//
// Part of kiln. Implements kiln-cuda-gemm (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/cuda/Passes.h"
#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CUDAGEMM
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr int kThreads = 16;   // Threads per block in x (columns) and y (rows).
constexpr int kTileRows = 8;   // Rows per thread, kThreads apart.
constexpr int kTileCols = 4;   // Columns per thread, kThreads apart.
constexpr llvm::StringLiteral kKernelName = "kiln_cuda_sgemm";

/// The kernel's MLIR text: C[M, N] = A[M, K] x B[K, N].
std::string kernelSource() {
  std::string s;
  llvm::raw_string_ostream os(s);
  int blockRows = kThreads * kTileRows, blockCols = kThreads * kTileCols;
  os << "func.func private @" << kKernelName
     << "(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {\n"
     << "  %c0 = arith.constant 0 : index\n"
     << "  %c1 = arith.constant 1 : index\n"
     << "  %threads = arith.constant " << kThreads << " : index\n"
     << "  %blockRows = arith.constant " << blockRows << " : index\n"
     << "  %blockCols = arith.constant " << blockCols << " : index\n"
     << "  %zero = arith.constant 0.0 : f32\n"
     << "  %A = bufferization.to_buffer %a read_only : tensor<?x?xf32> to "
        "memref<?x?xf32>\n"
     << "  %B = bufferization.to_buffer %b read_only : tensor<?x?xf32> to "
        "memref<?x?xf32>\n"
     << "  %M = memref.dim %A, %c0 : memref<?x?xf32>\n"
     << "  %K = memref.dim %A, %c1 : memref<?x?xf32>\n"
     << "  %N = memref.dim %B, %c1 : memref<?x?xf32>\n"
     << "  %C = memref.alloc(%M, %N) : memref<?x?xf32>\n"
     << "  %gridRows = arith.ceildivui %M, %blockRows : index\n"
     << "  %gridCols = arith.ceildivui %N, %blockCols : index\n"
     << "  %nonEmpty = arith.cmpi ugt, %gridRows, %c0 : index\n"
     << "  scf.if %nonEmpty {\n"
     << "    gpu.launch blocks(%bx, %by, %bz) in (%gx = %gridCols, "
        "%gy = %gridRows, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = "
        "%threads, %sy = %threads, %sz = %c1) {\n"
     << "      %lastRow = arith.subi %M, %c1 : index\n"
     << "      %lastCol = arith.subi %N, %c1 : index\n"
     << "      %rowBase = arith.muli %by, %blockRows : index\n"
     << "      %colBase = arith.muli %bx, %blockCols : index\n"
     << "      %rowFirst = arith.addi %rowBase, %ty : index\n"
     << "      %colFirst = arith.addi %colBase, %tx : index\n";
  for (int i = 0; i < kTileRows; ++i) {
    os << "      %rowOff" << i << " = arith.constant " << i * kThreads
       << " : index\n"
       << "      %row" << i << " = arith.addi %rowFirst, %rowOff" << i
       << " : index\n"
       << "      %loadRow" << i << " = arith.minui %row" << i
       << ", %lastRow : index\n";
  }
  for (int j = 0; j < kTileCols; ++j) {
    os << "      %colOff" << j << " = arith.constant " << j * kThreads
       << " : index\n"
       << "      %col" << j << " = arith.addi %colFirst, %colOff" << j
       << " : index\n"
       << "      %loadCol" << j << " = arith.minui %col" << j
       << ", %lastCol : index\n";
  }
  auto accs = [&](StringRef prefix) {
    std::string list;
    for (int i = 0; i < kTileRows; ++i)
      for (int j = 0; j < kTileCols; ++j)
        list += (list.empty() ? "" : ", ") + prefix.str() +
                std::to_string(i) + "_" + std::to_string(j);
    return list;
  };
  std::string types;
  for (int t = 0; t < kTileRows * kTileCols; ++t)
    types += t ? ", f32" : "f32";
  os << "      %acc:" << kTileRows * kTileCols
     << " = scf.for %k = %c0 to %K step %c1 iter_args(";
  for (int i = 0; i < kTileRows; ++i)
    for (int j = 0; j < kTileCols; ++j)
      os << (i || j ? ", " : "") << "%x" << i << "_" << j << " = %zero";
  os << ") -> (" << types << ") {\n";
  for (int i = 0; i < kTileRows; ++i)
    os << "        %a" << i << " = memref.load %A[%loadRow" << i
       << ", %k] : memref<?x?xf32>\n";
  for (int j = 0; j < kTileCols; ++j)
    os << "        %b" << j << " = memref.load %B[%k, %loadCol" << j
       << "] : memref<?x?xf32>\n";
  for (int i = 0; i < kTileRows; ++i)
    for (int j = 0; j < kTileCols; ++j)
      os << "        %y" << i << "_" << j << " = math.fma %a" << i << ", %b"
         << j << ", %x" << i << "_" << j << " : f32\n";
  os << "        scf.yield " << accs("%y") << " : " << types << "\n"
     << "      }\n";
  for (int j = 0; j < kTileCols; ++j)
    os << "      %colIn" << j << " = arith.cmpi ult, %col" << j
       << ", %N : index\n";
  for (int i = 0; i < kTileRows; ++i) {
    os << "      %rowIn" << i << " = arith.cmpi ult, %row" << i
       << ", %M : index\n";
    for (int j = 0; j < kTileCols; ++j) {
      int t = i * kTileCols + j;
      os << "      %in" << i << "_" << j << " = arith.andi %rowIn" << i
         << ", %colIn" << j << " : i1\n"
         << "      scf.if %in" << i << "_" << j << " {\n"
         << "        memref.store %acc#" << t << ", %C[%row" << i << ", %col"
         << j << "] : memref<?x?xf32>\n"
         << "      }\n";
    }
  }
  os << "      gpu.terminator\n"
     << "    }\n"
     << "  }\n"
     << "  %r = bufferization.to_tensor %C restrict writable : "
        "memref<?x?xf32> to tensor<?x?xf32>\n"
     << "  return %r : tensor<?x?xf32>\n"
     << "}\n";
  return s;
}

struct CudaGemm : mlir::tfm::impl::CudaGemmBase<CudaGemm> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tfm::MatmulOp> matmuls;
    module.walk([&](tfm::MatmulOp op) {
      if (kiln::isWeightMatmul(op))
        matmuls.push_back(op);
    });
    if (matmuls.empty())
      return;
    if (failed(kiln::addKernelFunction(module, kKernelName, kernelSource())))
      return signalPassFailure();
    llvm::DenseMap<Value, Value> kernelWeights;
    for (tfm::MatmulOp op : matmuls) {
      auto weight = op.getRhs().getDefiningOp<tfm::ConstantOp>();
      Value &b = kernelWeights[op.getRhs()];
      if (!b && !(b = kernelWeight(op)))
        return signalPassFailure();
      OpBuilder builder(op);
      auto dynamic = RankedTensorType::get(
          {ShapedType::kDynamic, ShapedType::kDynamic}, builder.getF32Type());
      Value cast = tensor::CastOp::create(builder, op.getLoc(), dynamic, b);
      kiln::replaceWithKernelCall(op, kKernelName, {cast});
      // Release each original weight as soon as nothing uses it, so that
      // compile memory stays near one copy of the weights.
      if (weight->use_empty() && weight.getResult() != b) {
        kernelWeights.erase(weight.getResult());
        tfm::releaseWeight(weight);
      }
    }
  }

  /// The weight as the kernel reads it, [K, N]: the constant itself, or
  /// its transpose for `transpose_rhs`.
  Value kernelWeight(tfm::MatmulOp op) {
    auto rhs = op.getRhs().getDefiningOp<tfm::ConstantOp>();
    if (!op.getTransposeRhs())
      return rhs.getResult();
    auto [k, n] = kiln::weightMatmulSizes(op);
    std::vector<float> storage;
    ArrayRef<float> w = tfm::getWeightFloats(rhs.getValue(), storage);
    if (w.size() != static_cast<size_t>(k * n)) {
      op.emitOpError("cannot read the weight to transpose it");
      return nullptr;
    }
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(k * n * sizeof(float), /*align=*/64);
    float *out = reinterpret_cast<float *>(blob.getMutableData().data());
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t col = 0; col < n; ++col)
        *out++ = w[col * k + kk];
    OpBuilder b(rhs);
    auto type = RankedTensorType::get({k, n}, b.getF32Type());
    return tfm::ConstantOp::create(
        b, rhs.getLoc(),
        DenseResourceElementsAttr::get(type, "gemm_weight", std::move(blob)));
  }
};

} // namespace
