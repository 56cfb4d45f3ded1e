//===- Gemm.cpp - weight matmuls through a GPU GEMM kernel ----------------===//
//
// Part of kiln. Implements kiln-cuda-gemm (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/cuda/GemmKernels.h"
#include "backends/cuda/Passes.h"
#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
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

/// The tensor-core kernel's MLIR text: C[M, N] = A[M, K] x W, with W packed
/// as [N, KP] i32 words, word (n, p) holding W[2p, n] (low half) and
/// W[2p + 1, n] rounded to `type` (bf16 or f16), KP = ceil(K / 16) * 8.
///
/// PTX fragment layout of mma.m16n8k16 (g = lane / 4, t = lane % 4):
/// A registers 0..3 hold rows (g, g + 8, g, g + 8), columns 2t and 2t + 1
/// (+ 8 for registers 2 and 3); B registers 0..1 hold k = 2t, 2t + 1 (+ 8 for
/// register 1) of column g; C/D hold (g, 2t), (g, 2t + 1), (g + 8, 2t),
/// (g + 8, 2t + 1).
} // namespace

std::string kiln::cuda::tensorCoreGemmSource(StringRef name, StringRef type) {
  constexpr int warpTilesM = 2, warpTilesN = 4; // m16 x n8 fragments.
  bool bf16 = type == "bf16";
  std::string s;
  llvm::raw_string_ostream os(s);
  // A pair of packed halves: an i32 for bf16, a vector<2xf16> for f16.
  std::string pairType = bf16 ? "i32" : "vector<2xf16>";
  std::string elemType = bf16 ? "bf16" : "f16";
  // The kernel is a gpu.func of its own module (its warp-level nvvm ops
  // must not meet the host-side buffer passes), launched by the host
  // function.
  os << "module attributes {gpu.container_module} {\n"
     << "gpu.module @" << name << "_kernels {\n"
     << "  gpu.func @" << name
     << "_kernel(%A: memref<?x?xf32>, %W: memref<?x?xi32>, %C: "
        "memref<?x?xf32>, %n: index) kernel {\n"
     << "      %c0 = arith.constant 0 : index\n"
     << "      %c1 = arith.constant 1 : index\n"
     << "      %c2 = arith.constant 2 : index\n"
     << "      %c4 = arith.constant 4 : index\n"
     << "      %c8 = arith.constant 8 : index\n"
     << "      %c16 = arith.constant 16 : index\n"
     << "      %c32 = arith.constant 32 : index\n"
     << "      %c64 = arith.constant 64 : index\n"
     << "      %zero = arith.constant 0.0 : f32\n"
     << "      %M = memref.dim %A, %c0 : memref<?x?xf32>\n"
     << "      %K = memref.dim %A, %c1 : memref<?x?xf32>\n"
     << "      %KS = arith.ceildivui %K, %c16 : index\n"
     << "      %bx = gpu.block_id x\n"
     << "      %by = gpu.block_id y\n"
     << "      %tx = gpu.thread_id x\n"
     << "      %lastRow = arith.subi %M, %c1 : index\n"
     << "      %lastCol = arith.subi %n, %c1 : index\n"
     << "      %lastK = arith.subi %K, %c1 : index\n"
     << "      %warp = arith.divui %tx, %c32 : index\n"
     << "      %lane = arith.remui %tx, %c32 : index\n"
     << "      %g = arith.divui %lane, %c4 : index\n"
     << "      %t = arith.remui %lane, %c4 : index\n"
     << "      %t2 = arith.muli %t, %c2 : index\n"
     << "      %warpRow = arith.divui %warp, %c2 : index\n"
     << "      %warpCol = arith.remui %warp, %c2 : index\n"
     << "      %rowBlock = arith.muli %by, %c64 : index\n"
     << "      %colBlock = arith.muli %bx, %c64 : index\n"
     << "      %warpRowOff = arith.muli %warpRow, %c32 : index\n"
     << "      %warpColOff = arith.muli %warpCol, %c32 : index\n"
     << "      %rowBase = arith.addi %rowBlock, %warpRowOff : index\n"
     << "      %colBase = arith.addi %colBlock, %warpColOff : index\n";
  // Rows this lane reads and writes: per m-fragment, g and g + 8.
  for (int mi = 0; mi < warpTilesM; ++mi)
    for (int h = 0; h < 2; ++h) {
      std::string r = std::to_string(mi) + "_" + std::to_string(h);
      os << "      %rowOff" << r << " = arith.constant " << mi * 16 + h * 8
         << " : index\n"
         << "      %rowG" << r << " = arith.addi %rowBase, %rowOff" << r
         << " : index\n"
         << "      %row" << r << " = arith.addi %rowG" << r << ", %g : index\n"
         << "      %loadRow" << r << " = arith.minui %row" << r
         << ", %lastRow : index\n";
    }
  // Columns: per n-fragment, this lane's weight column (g) for B and its
  // two output columns (2t, 2t + 1) for C.
  for (int ni = 0; ni < warpTilesN; ++ni) {
    std::string c = std::to_string(ni);
    os << "      %colOff" << c << " = arith.constant " << ni * 8 << " : index\n"
       << "      %colN" << c << " = arith.addi %colBase, %colOff" << c
       << " : index\n"
       << "      %wcol" << c << " = arith.addi %colN" << c << ", %g : index\n"
       << "      %loadW" << c << " = arith.minui %wcol" << c
       << ", %lastCol : index\n"
       << "      %outCol" << c << " = arith.addi %colN" << c << ", %t2 : index\n"
       << "      %outCol" << c << "_1 = arith.addi %outCol" << c
       << ", %c1 : index\n";
  }
  int accs = warpTilesM * warpTilesN * 4;
  std::string types;
  for (int i = 0; i < accs; ++i)
    types += i ? ", f32" : "f32";
  os << "      %acc:" << accs
     << " = scf.for %ks = %c0 to %KS step %c1 iter_args(";
  for (int i = 0; i < accs; ++i)
    os << (i ? ", " : "") << "%x" << i << " = %zero";
  os << ") -> (" << types << ") {\n"
     << "        %k0 = arith.muli %ks, %c16 : index\n"
     << "        %kA = arith.addi %k0, %t2 : index\n";
  // A fragments: element (row, k) rounded, zero past K.
  auto loadA = [&](const std::string &id, const std::string &row,
                   const std::string &k) {
    os << "        %kin" << id << " = arith.cmpi ult, " << k << ", %K : index\n"
       << "        %kc" << id << " = arith.minui " << k << ", %lastK : index\n"
       << "        %av" << id << " = memref.load %A[" << row << ", %kc" << id
       << "] : memref<?x?xf32>\n"
       << "        %az" << id << " = arith.select %kin" << id << ", %av" << id
       << ", %zero : f32\n"
       << "        %ah" << id << " = arith.truncf %az" << id << " : f32 to "
       << elemType << "\n";
  };
  auto pack = [&](const std::string &out, const std::string &lo,
                  const std::string &hi) {
    if (bf16)
      os << "        %" << out << "lo16 = arith.bitcast " << lo
         << " : bf16 to i16\n"
         << "        %" << out << "hi16 = arith.bitcast " << hi
         << " : bf16 to i16\n"
         << "        %" << out << "lo = arith.extui %" << out
         << "lo16 : i16 to i32\n"
         << "        %" << out << "hi = arith.extui %" << out
         << "hi16 : i16 to i32\n"
         << "        %" << out << "sh = arith.shli %" << out
         << "hi, %c16_i32 : i32\n"
         << "        %" << out << " = arith.ori %" << out << "lo, %" << out
         << "sh : i32\n";
    else
      os << "        %" << out << " = vector.from_elements " << lo << ", "
         << hi << " : vector<2xf16>\n";
  };
  if (bf16)
    os << "        %c16_i32 = arith.constant 16 : i32\n";
  for (int mi = 0; mi < warpTilesM; ++mi)
    for (int reg = 0; reg < 4; ++reg) {
      // Registers 0..3: rows g, g+8, g, g+8; columns +0, +0, +8, +8.
      std::string row = "%loadRow" + std::to_string(mi) + "_" +
                        std::to_string(reg % 2);
      std::string id = std::to_string(mi) + "_" + std::to_string(reg);
      os << "        %kr" << id << " = arith.addi %kA, %c" << (reg / 2) * 8
         << " : index\n";
      os << "        %kr" << id << "_1 = arith.addi %kr" << id
         << ", %c1 : index\n";
      loadA(id + "l", row, "%kr" + id);
      loadA(id + "h", row, "%kr" + id + "_1");
      pack("a" + id, "%ah" + id + "l", "%ah" + id + "h");
    }
  // B fragments: word (column, k0/2 + t) and (column, k0/2 + t + 4).
  os << "        %p0 = arith.divui %kA, %c2 : index\n"
     << "        %p1 = arith.addi %p0, %c4 : index\n";
  for (int ni = 0; ni < warpTilesN; ++ni)
    for (int reg = 0; reg < 2; ++reg) {
      std::string id = std::to_string(ni) + "_" + std::to_string(reg);
      os << "        %" << (bf16 ? "b" : "bw") << id << " = memref.load %W[%loadW"
         << ni << ", %p" << reg << "] : memref<?x?xi32>\n";
      if (!bf16)
        os << "        %b" << id << " = llvm.bitcast %bw" << id
           << " : i32 to vector<2xf16>\n";
    }
  std::string yields;
  for (int mi = 0; mi < warpTilesM; ++mi)
    for (int ni = 0; ni < warpTilesN; ++ni) {
      int f = (mi * warpTilesN + ni) * 4;
      std::string id = std::to_string(mi) + "_" + std::to_string(ni);
      os << "        %d" << id << " = nvvm.mma.sync A[%a" << mi << "_0, %a"
         << mi << "_1, %a" << mi << "_2, %a" << mi << "_3] B[%b" << ni
         << "_0, %b" << ni << "_1] C[%x" << f << ", %x" << f + 1 << ", %x"
         << f + 2 << ", %x" << f + 3
         << "] {layoutA = #nvvm.mma_layout<row>, layoutB = "
            "#nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<"
         << elemType << ">, multiplicandBPtxType = #nvvm.mma_type<" << elemType
         << ">, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (" << pairType
         << ", " << pairType
         << ", f32) -> !llvm.struct<(f32, f32, f32, f32)>\n";
      for (int e = 0; e < 4; ++e) {
        os << "        %y" << f + e << " = llvm.extractvalue %d" << id << "["
           << e << "] : !llvm.struct<(f32, f32, f32, f32)>\n";
        yields += (yields.empty() ? "" : ", ") + std::string("%y") +
                  std::to_string(f + e);
      }
    }
  os << "        scf.yield " << yields << " : " << types << "\n"
     << "      }\n";
  // Stores: element e of fragment (mi, ni) at row g (+8 for e >= 2),
  // column 2t (+1 for odd e).
  for (int ni = 0; ni < warpTilesN; ++ni)
    for (int odd = 0; odd < 2; ++odd)
      os << "      %colIn" << ni << "_" << odd << " = arith.cmpi ult, %outCol"
         << ni << (odd ? "_1" : "") << ", %n : index\n";
  for (int mi = 0; mi < warpTilesM; ++mi)
    for (int h = 0; h < 2; ++h)
      os << "      %rowIn" << mi << "_" << h << " = arith.cmpi ult, %row" << mi
         << "_" << h << ", %M : index\n";
  for (int mi = 0; mi < warpTilesM; ++mi)
    for (int ni = 0; ni < warpTilesN; ++ni)
      for (int e = 0; e < 4; ++e) {
        int f = (mi * warpTilesN + ni) * 4 + e;
        std::string rowId = std::to_string(mi) + "_" + std::to_string(e / 2);
        std::string colId = std::to_string(ni) + "_" + std::to_string(e % 2);
        os << "      %in" << f << " = arith.andi %rowIn" << rowId << ", %colIn"
           << colId << " : i1\n"
           << "      scf.if %in" << f << " {\n"
           << "        memref.store %acc#" << f << ", %C[%row" << rowId
           << ", %outCol" << ni << (e % 2 ? "_1" : "") << "] : memref<?x?xf32>\n"
           << "      }\n";
      }
  os << "    gpu.return\n"
     << "  }\n"
     << "}\n"
     << "func.func private @" << name
     << "(%A: memref<?x?xf32>, %W: memref<?x?xi32>, %n: index) -> "
        "memref<?x?xf32> {\n"
     << "  %c0 = arith.constant 0 : index\n"
     << "  %c1 = arith.constant 1 : index\n"
     << "  %c64 = arith.constant 64 : index\n"
     << "  %c128 = arith.constant 128 : index\n"
     << "  %M = memref.dim %A, %c0 : memref<?x?xf32>\n"
     << "  %C = gpu.alloc (%M, %n) : memref<?x?xf32>\n"
     << "  %gridRows = arith.ceildivui %M, %c64 : index\n"
     << "  %gridCols = arith.ceildivui %n, %c64 : index\n"
     << "  %nonEmpty = arith.cmpi ugt, %gridRows, %c0 : index\n"
     << "  scf.if %nonEmpty {\n"
     << "    gpu.launch_func @" << name << "_kernels::@" << name
     << "_kernel blocks in (%gridCols, %gridRows, %c1) threads in (%c128, "
        "%c1, %c1) args(%A : memref<?x?xf32>, %W : memref<?x?xi32>, %C : "
        "memref<?x?xf32>, %n : index)\n"
     << "  }\n"
     << "  return %C : memref<?x?xf32>\n"
     << "}\n"
     << "}\n";
  return s;
}

namespace {

/// Until kiln-cuda-link-kernels gives it its body (after buffer
/// deallocation, which cannot analyse kernel launches): a stand-in on
/// tensors with the kernel's signature, marked `kiln.gpu_kernel`.
std::string tensorCoreGemmStandIn(StringRef name, StringRef type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "func.func private @" << name
     << "(%a: tensor<?x?xf32>, %w: tensor<?x?xi32>, %n: index) -> "
        "tensor<?x?xf32> attributes {kiln.gpu_kernel = \"" << type
     << "\"} {\n"
     << "  %c0 = arith.constant 0 : index\n"
     << "  %m = tensor.dim %a, %c0 : tensor<?x?xf32>\n"
     << "  %c = tensor.empty(%m, %n) : tensor<?x?xf32>\n"
     << "  return %c : tensor<?x?xf32>\n"
     << "}\n";
  return s;
}

struct CudaGemm : mlir::tfm::impl::CudaGemmBase<CudaGemm> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tfm::MatmulOp> matmuls = kiln::collectWeightMatmuls(module);
    if (matmuls.empty())
      return;
    bool tensorCores = precision != "fp32";
    if (tensorCores && precision != "bf16" && precision != "fp16") {
      module.emitError("unknown precision '")
          << precision << "' (use fp32, bf16 or fp16)";
      return signalPassFailure();
    }
    std::string kernel =
        tensorCores ? "kiln_cuda_mma_" + precision : kKernelName.str();
    if (failed(kiln::addKernelFunction(
            module, kernel,
            tensorCores ? tensorCoreGemmStandIn(kernel, precision)
                        : kernelSource())))
      return signalPassFailure();
    llvm::DenseMap<Value, Value> kernelWeights;
    for (tfm::MatmulOp op : matmuls) {
      auto weight = op.getRhs().getDefiningOp<tfm::ConstantOp>();
      Value &b = kernelWeights[op.getRhs()];
      if (!b && !(b = tensorCores ? packedWeight(op) : kernelWeight(op)))
        return signalPassFailure();
      OpBuilder builder(op);
      auto dynamic = RankedTensorType::get(
          {ShapedType::kDynamic, ShapedType::kDynamic},
          cast<RankedTensorType>(b.getType()).getElementType());
      Value cast = tensor::CastOp::create(builder, op.getLoc(), dynamic, b);
      SmallVector<Value> operands{cast};
      if (tensorCores)
        operands.push_back(arith::ConstantIndexOp::create(
            builder, op.getLoc(), kiln::weightMatmulSizes(op).second));
      kiln::replaceWithKernelCall(op, kernel, operands);
      // Release each original weight as soon as nothing uses it, so that
      // compile memory stays near one copy of the weights.
      if (weight->use_empty() && weight.getResult() != b) {
        kernelWeights.erase(weight.getResult());
        tfm::releaseWeight(weight);
      }
    }
  }

  /// The weight for the tensor-core kernel: [N, KP] i32 words of two
  /// rounded halves (k even low), KP = ceil(K / 16) * 8, zero padded.
  Value packedWeight(tfm::MatmulOp op) {
    auto rhs = op.getRhs().getDefiningOp<tfm::ConstantOp>();
    auto [k, n] = kiln::weightMatmulSizes(op);
    bool transposed = op.getTransposeRhs();
    std::vector<float> storage;
    ArrayRef<float> w = tfm::getWeightFloats(rhs.getValue(), storage);
    if (w.size() != static_cast<size_t>(k * n)) {
      op.emitOpError("cannot read the weight to convert it");
      return nullptr;
    }
    const llvm::fltSemantics &semantics = precision == "bf16"
                                              ? llvm::APFloat::BFloat()
                                              : llvm::APFloat::IEEEhalf();
    auto half = [&](int64_t kk, int64_t col) -> uint32_t {
      if (kk >= k)
        return 0;
      llvm::APFloat v(transposed ? w[col * k + kk] : w[kk * n + col]);
      bool lost;
      v.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
      return static_cast<uint32_t>(v.bitcastToAPInt().getZExtValue());
    };
    int64_t words = (k + 15) / 16 * 8;
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(n * words * sizeof(uint32_t), 64);
    auto *out = reinterpret_cast<uint32_t *>(blob.getMutableData().data());
    for (int64_t col = 0; col < n; ++col)
      for (int64_t p = 0; p < words; ++p)
        *out++ = half(2 * p, col) | half(2 * p + 1, col) << 16;
    OpBuilder b(rhs);
    auto type = RankedTensorType::get({n, words}, b.getI32Type());
    return tfm::ConstantOp::create(
        b, rhs.getLoc(),
        DenseResourceElementsAttr::get(type, "gemm_weight_" + precision,
                                       std::move(blob)));
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
