//===- FuseQkv.cpp - horizontal fusion of projections ---------------------===//
//
// Part of kiln. Implements tfm-fuse-qkv (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/WeightUtils.h"
#include "passes/fusion/Passes.h"

#include "mlir/IR/AsmState.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEQKV
#include "passes/fusion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// A matmul the pass can merge: constant [K, N] f32 weight (or [N, K] with
/// transpose_rhs, as checkpoints store Linear weights), nothing but an
/// optional constant bias.
bool isMergeable(MatmulOp op) {
  auto w = op.getRhs().getDefiningOp<ConstantOp>();
  if (!w || w.getType().getRank() != 2 || !w.getType().getElementType().isF32() ||
      op.getTransposeLhs() || op.getActivation() ||
      op.getResidual())
    return false;
  if (Value bias = op.getBias()) {
    auto b = bias.getDefiningOp<ConstantOp>();
    if (!b || b.getType().getRank() != 1)
      return false;
  }
  return true;
}

struct TfmFuseQkv : mlir::tfm::impl::TfmFuseQkvBase<TfmFuseQkv> {
  void runOnOperation() override {
    // Groups of mergeable matmuls by left operand and weight layout, in
    // program order.
    llvm::MapVector<std::pair<Value, unsigned>, SmallVector<MatmulOp>> groups;
    getOperation().walk([&](MatmulOp op) {
      if (isMergeable(op))
        groups[{op.getLhs(), op.getTransposeRhs() ? 1u : 0u}].push_back(op);
    });
    for (auto &group : groups) {
      Value lhs = group.first.first;
      bool transposed = group.first.second;
      SmallVector<MatmulOp> &ops = group.second;
      // Only matmuls of the same contraction size and result rank merge.
      if (ops.size() < 2)
        continue;
      unsigned kDim = transposed ? 1 : 0;
      int64_t k = ops.front().getRhs().getType().getDimSize(kDim);
      if (!llvm::all_of(ops, [&](MatmulOp op) {
            return op.getRhs().getType().getDimSize(kDim) == k &&
                   op.getType().getRank() == ops.front().getType().getRank();
          }))
        continue;
      if (failed(merge(lhs, ops, k, transposed)))
        return signalPassFailure();
    }
  }

  LogicalResult merge(Value lhs, MutableArrayRef<MatmulOp> ops, int64_t k,
                      bool transposed) {
    // Insert after the last of the group's weights and before its first use.
    MatmulOp first = ops.front();
    for (MatmulOp op : ops)
      if (op->isBeforeInBlock(first))
        first = op;
    OpBuilder b(first);
    SmallVector<int64_t> sizes;
    int64_t total = 0;
    for (MatmulOp op : ops) {
      sizes.push_back(op.getRhs().getType().getDimSize(transposed ? 0 : 1));
      total += sizes.back();
    }
    // Concatenated weight [K, sum N] (transposed: [sum N, K]) and bias.
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(k * total * sizeof(float), 64);
    float *w = reinterpret_cast<float *>(blob.getMutableData().data());
    std::vector<float> bias(total, 0.0f);
    bool anyBias = false;
    int64_t offset = 0;
    for (auto [op, n] : llvm::zip(ops, sizes)) {
      std::vector<float> storage;
      ArrayRef<float> data = getWeightFloats(
          op.getRhs().getDefiningOp<ConstantOp>().getValue(), storage);
      if (data.size() != static_cast<size_t>(k * n))
        return op.emitOpError("cannot read the weight to merge it");
      if (transposed)
        std::copy(data.begin(), data.end(), w + offset * k);
      else
        for (int64_t r = 0; r < k; ++r)
          std::copy(data.begin() + r * n, data.begin() + (r + 1) * n,
                    w + r * total + offset);
      if (Value bv = op.getBias()) {
        std::vector<float> bstore;
        ArrayRef<float> bd =
            getWeightFloats(bv.getDefiningOp<ConstantOp>().getValue(), bstore);
        if (bd.size() != static_cast<size_t>(n))
          return op.emitOpError("cannot read the bias to merge it");
        std::copy(bd.begin(), bd.end(), bias.begin() + offset);
        anyBias = true;
      }
      offset += n;
    }
    Location loc = first.getLoc();
    auto wType = RankedTensorType::get(
        transposed ? ArrayRef<int64_t>{total, k} : ArrayRef<int64_t>{k, total},
        b.getF32Type());
    Value weight = ConstantOp::create(
        b, loc,
        DenseResourceElementsAttr::get(wType, "merged_weight", std::move(blob)));
    Value biasValue;
    if (anyBias)
      biasValue = ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({total}, b.getF32Type()),
              ArrayRef<float>(bias)));
    auto merged = MatmulOp::create(b, loc, lhs, weight, biasValue, Value(),
                                   false, transposed, ActivationAttr());
    int64_t axis = merged.getType().getRank() - 1;
    SmallVector<Type> pieceTypes;
    for (MatmulOp op : ops)
      pieceTypes.push_back(op.getType());
    auto split = SplitOp::create(b, loc, pieceTypes, merged.getResult(), axis,
                                 b.getDenseI64ArrayAttr(sizes));
    for (auto [op, piece] : llvm::zip(ops, split.getResults())) {
      auto w0 = op.getRhs().getDefiningOp<ConstantOp>();
      auto b0 = op.getBias() ? op.getBias().getDefiningOp<ConstantOp>()
                             : ConstantOp();
      op.getResult().replaceAllUsesWith(piece);
      op.erase();
      releaseWeight(w0);
      releaseWeight(b0);
    }
    return success();
  }
};

} // namespace
