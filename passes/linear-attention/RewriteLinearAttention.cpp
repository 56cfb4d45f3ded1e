//===- RewriteLinearAttention.cpp - quadratic form to linear attention ----===//
//
// Part of kiln. Implements tfm-rewrite-linear-attention (see Passes.td).
//
// The match walks up from the product P v: an optional normalisation, the
// decay mask, scale factors, the score product and its feature maps. A mask
// that is not a folded constant is evaluated by cloning what computes it
// (which may read only shapes and constants) into a scratch module at a
// concrete sequence length and folding it with the tfm pipeline's own
// shape simplification: the same folders that fold it in a static export.
//
//===----------------------------------------------------------------------===//

#include "passes/linear-attention/Passes.h"

#include "dialects/tfm/WeightUtils.h"
#include "passes/fusion/FusionUtils.h"
#include "passes/tfm/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMREWRITELINEARATTENTION
#include "passes/linear-attention/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using fusion::plainRank4Product;
using fusion::splatValue;

namespace {

/// `reduce sum(x, [3], keepdims)` of exactly `x`.
bool isRowSum(Value v, Value x) {
  auto r = v.getDefiningOp<ReduceOp>();
  return r && r.getKind() == ReduceKind::sum && r.getInput() == x &&
         r.getAxes() == ArrayRef<int64_t>{3} && r.getKeepdims();
}

/// `rowsum(x) + eps` (eps a splat >= 0): the denominator's epsilon.
std::optional<double> rowSumPlusEpsilon(Value v, Value x) {
  if (isRowSum(v, x))
    return 0.0;
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return std::nullopt;
  for (auto [sum, eps] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())}) {
    std::optional<double> e = splatValue(eps);
    if (e && *e >= 0 && isRowSum(sum, x))
      return e;
  }
  return std::nullopt;
}

/// RetNet's `max(|rowsum(x)|, 1)` (Clip min 1 or Max with a splat 1).
bool isRowSumClamp(Value v, Value x) {
  Value inner;
  if (auto clip = v.getDefiningOp<ClipOp>()) {
    if (clip.getMax() || !clip.getMin() ||
        clip.getMin()->convertToDouble() != 1.0)
      return false;
    inner = clip.getInput();
  } else if (auto max = v.getDefiningOp<MaxOp>()) {
    Value a = max.getLhs(), b = max.getRhs();
    if (fusion::isSplat(a, 1.0))
      std::swap(a, b);
    if (!fusion::isSplat(b, 1.0))
      return false;
    inner = a;
  } else {
    return false;
  }
  auto abs = inner.getDefiningOp<AbsOp>();
  return abs && isRowSum(abs.getInput(), x);
}

/// torchscale's literal `clamp(rowsum(|x|), 1, max)` (Clip with min 1 and
/// any max): not computable in linear time, but a positive factor per row.
bool isRowAbsSumClamp(Value v, Value x) {
  auto clip = v.getDefiningOp<ClipOp>();
  if (!clip || !clip.getMin() || clip.getMin()->convertToDouble() != 1.0 ||
      (clip.getMax() && !(clip.getMax()->convertToDouble() >= 1.0)))
    return false;
  auto sum = clip.getInput().getDefiningOp<ReduceOp>();
  auto abs = sum ? sum.getInput().getDefiningOp<AbsOp>() : AbsOp();
  return abs && abs.getInput() == x && isRowSum(sum, abs);
}

/// Whether every use of `out` [B, H, T, Dv] (through transposes that keep
/// the last dim last) is a layer or RMS norm over the last dim alone: then
/// a positive factor per (batch, head, token) row cancels (up to the
/// norm's epsilon), as torchscale's "invariant after normalization" says.
bool feedsScaleInvariantNorm(Value out) {
  if (out.use_empty())
    return false;
  int64_t rank = cast<RankedTensorType>(out.getType()).getRank();
  for (Operation *user : out.getUsers()) {
    if (auto t = dyn_cast<TransposeOp>(user)) {
      if (t.getPermutation().back() != rank - 1 ||
          !feedsScaleInvariantNorm(t.getResult()))
        return false;
    } else if (auto rms = dyn_cast<RmsNormOp>(user)) {
      if (rms.getInput() != out || static_cast<int64_t>(rms.getAxis()) != rank - 1)
        return false;
    } else if (auto ln = dyn_cast<LayerNormOp>(user)) {
      if (ln.getInput() != out || static_cast<int64_t>(ln.getAxis()) != rank - 1)
        return false;
    } else {
      return false;
    }
  }
  return true;
}

/// Peels `x * c` and `x / c` with splat c, multiplying `scale`.
Value peelScale(Value v, double &scale) {
  while (true) {
    Operation *def = v.getDefiningOp();
    if (!def || !def->hasOneUse())
      return v;
    if (auto mul = dyn_cast<MulOp>(def)) {
      if (std::optional<double> c = splatValue(mul.getRhs());
          c && mul.getLhs().getType() == mul.getType()) {
        scale *= *c, v = mul.getLhs();
        continue;
      }
      if (std::optional<double> c = splatValue(mul.getLhs());
          c && mul.getRhs().getType() == mul.getType()) {
        scale *= *c, v = mul.getRhs();
        continue;
      }
    }
    if (auto div = dyn_cast<DivOp>(def)) {
      if (std::optional<double> c = splatValue(div.getRhs());
          c && *c != 0 && div.getLhs().getType() == div.getType()) {
        scale /= *c, v = div.getLhs();
        continue;
      }
    }
    return v;
  }
}

//===----------------------------------------------------------------------===//
// Evaluating a mask that depends only on shapes
//===----------------------------------------------------------------------===//

/// The values of `mask` with every dynamic dim (batch and sequence alike)
/// set to `n`, as doubles with the folded shape; nullopt when the mask
/// reads anything but constants and shapes, or does not fold.
struct Evaluated {
  SmallVector<int64_t> shape;
  std::vector<double> values;
};

std::optional<Evaluated> readConstant(ElementsAttr attr) {
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Evaluated e;
  e.shape.assign(type.getShape().begin(), type.getShape().end());
  Type element = type.getElementType();
  if (element.isF32()) {
    std::vector<float> storage;
    ArrayRef<float> floats = getWeightFloats(attr, storage);
    if (static_cast<int64_t>(floats.size()) != type.getNumElements())
      return std::nullopt;
    e.values.assign(floats.begin(), floats.end());
    return e;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  if (isa<FloatType>(element)) {
    for (APFloat f : dense.getValues<APFloat>())
      e.values.push_back(f.convertToDouble());
  } else if (element.isInteger(1)) {
    for (bool b : dense.getValues<bool>())
      e.values.push_back(b ? 1.0 : 0.0);
  } else if (isa<IntegerType>(element)) {
    for (APInt i : dense.getValues<APInt>())
      e.values.push_back(static_cast<double>(i.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return e;
}

/// Resource-blob constants (how imports hold initializers) as dense
/// attributes, which the folders read. Masks are small; big ones stay.
void densifyConstants(ModuleOp module) {
  module.walk([](ConstantOp op) {
    ElementsAttr value = op.getValue();
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (isa<DenseElementsAttr>(value) || !type || !type.hasStaticShape() ||
        type.getNumElements() > (1 << 16) ||
        type.getElementType().isInteger(1))
      return;
    std::vector<char> storage;
    ArrayRef<char> bytes = getWeightBytes(value, storage);
    bool splat = false;
    if (bytes.empty() ||
        !DenseElementsAttr::isValidRawBuffer(type, bytes, splat))
      return;
    op.setValueAttr(DenseElementsAttr::getFromRawBuffer(type, bytes));
  });
}

/// Folds each tfm.trilu of a constant (no folder of its own yet: static
/// exports keep theirs for the kernels). Whether any folded.
bool foldTrilus(ModuleOp module) {
  SmallVector<TriluOp> trilus;
  module.walk([&](TriluOp op) { trilus.push_back(op); });
  bool folded = false;
  for (TriluOp op : trilus) {
    DenseElementsAttr in;
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!matchPattern(op.getInput(), m_Constant(&in)) || !type ||
        !type.hasStaticShape() || type.getRank() < 2 ||
        in.getType() != type)
      continue;
    int64_t rows = type.getDimSize(type.getRank() - 2);
    int64_t cols = type.getDimSize(type.getRank() - 1);
    SmallVector<Attribute> values(in.getValues<Attribute>());
    Attribute zero = isa<FloatType>(type.getElementType())
                         ? Attribute(FloatAttr::get(type.getElementType(), 0))
                         : Attribute(IntegerAttr::get(type.getElementType(), 0));
    int64_t k = static_cast<int64_t>(op.getK());
    for (int64_t e = 0; e < static_cast<int64_t>(values.size()); ++e) {
      int64_t i = (e / cols) % rows, j = e % cols;
      if (op.getUpper() ? j - i < k : j - i > k)
        values[e] = zero;
    }
    OpBuilder b(op);
    op.replaceAllUsesWith(
        ConstantOp::create(b, op.getLoc(), DenseElementsAttr::get(type, values))
            .getResult());
    op.erase();
    folded = true;
  }
  return folded;
}

std::optional<Evaluated> evaluateAt(Value mask, int64_t n) {
  ElementsAttr constant;
  if (matchPattern(mask, m_Constant(&constant)))
    return readConstant(constant);
  // The backward slice, stopping at constants and shapes.
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> work{mask};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || def->getNumRegions() ||
        !isa<TfmDialect>(def->getDialect()) || slice.size() > 256)
      return std::nullopt;
    if (!slice.insert(def) || isa<ShapeOp, ConstantOp>(def))
      continue;
    llvm::append_range(work, def->getOperands());
  }
  MLIRContext *ctx = mask.getContext();
  Location loc = mask.getLoc();
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(loc);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(scratch->getBody());
  auto func = func::FuncOp::create(b, loc, "mask",
                                   b.getFunctionType({}, {mask.getType()}));
  b.setInsertionPointToEnd(func.addEntryBlock());
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered, [](Operation *x, Operation *y) {
    return x->isBeforeInBlock(y);
  });
  IRMapping map;
  for (Operation *op : ordered) {
    if (auto shape = dyn_cast<ShapeOp>(op)) {
      auto in = cast<RankedTensorType>(shape.getInput().getType());
      int64_t start = shape.getStart();
      int64_t end = shape.getEnd() ? *shape.getEnd() : in.getRank();
      if (start < 0)
        start += in.getRank();
      if (end < 0)
        end += in.getRank();
      SmallVector<int64_t> dims;
      for (int64_t d = std::max<int64_t>(start, 0);
           d < std::min<int64_t>(end, in.getRank()); ++d)
        dims.push_back(in.isDynamicDim(d) ? n : in.getDimSize(d));
      auto type = RankedTensorType::get({static_cast<int64_t>(dims.size())},
                                        b.getI64Type());
      map.map(shape.getOutput(),
              ConstantOp::create(b, loc,
                                 DenseElementsAttr::get(type, ArrayRef(dims)))
                  .getResult());
      continue;
    }
    b.clone(*op, map);
  }
  func::ReturnOp::create(b, loc, map.lookup(mask));
  // Fold quietly: what does not fold is simply not a mask we know.
  ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
  PassManager pm(ctx);
  pm.addNestedPass<func::FuncOp>(createTfmSimplifyShapes());
  pm.addPass(createCanonicalizerPass());
  densifyConstants(*scratch);
  for (int round = 0; round < 4; ++round)
    if (failed(pm.run(*scratch)) || !foldTrilus(*scratch))
      break;
  auto ret = cast<func::ReturnOp>(
      scratch->lookupSymbol<func::FuncOp>("mask").getBody().front()
          .getTerminator());
  if (!matchPattern(ret.getOperand(0), m_Constant(&constant)))
    return std::nullopt;
  return readConstant(constant);
}

//===----------------------------------------------------------------------===//
// Classifying a mask
//===----------------------------------------------------------------------===//

/// What a mask turned out to be: per head, M_ij = r_i gamma^(i - j) for
/// j <= i, 0 above.
struct MaskFit {
  SmallVector<double> gamma; // per head (one when the mask broadcasts)
  bool retnetRows = false;   // r_i = 1 / sqrt(sum_(j <= i) gamma^(i - j))
};

bool close(double actual, double expected) {
  return std::abs(actual - expected) <= 1e-5 * std::abs(expected) + 1e-30;
}

/// Fits one evaluated mask. `keep` masks (select conditions) must be the
/// plain lower triangle.
std::optional<MaskFit> fitMask(const Evaluated &m, int64_t heads,
                               bool keepMask, bool upperKeep) {
  int64_t rank = m.shape.size();
  if (rank < 2)
    return std::nullopt;
  int64_t n = m.shape[rank - 1];
  if (m.shape[rank - 2] != n || n < 2)
    return std::nullopt;
  // Leading dims: all 1, or one of them the heads ([H, T, T], [1, H, T, T]).
  int64_t slices = 1;
  for (int64_t d = 0; d < rank - 2; ++d) {
    if (m.shape[d] != 1 && (m.shape[d] != heads || d != rank - 3))
      return std::nullopt;
    slices *= m.shape[d];
  }
  MaskFit fit;
  for (int64_t h = 0; h < slices; ++h) {
    const double *s = m.values.data() + h * n * n;
    auto at = [&](int64_t i, int64_t j) { return s[i * n + j]; };
    if (keepMask) {
      // select(keep, scores, 0): keep exactly j <= i (or, for
      // select(masked, 0, scores), mask exactly j > i).
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          if ((at(i, j) != 0) != ((j <= i) != upperKeep))
            return std::nullopt;
      fit.gamma.push_back(1.0);
      continue;
    }
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j)
        if (at(i, j) != 0)
          return std::nullopt;
    double r0 = at(1, 1);
    if (!(r0 > 0) || !(at(0, 0) > 0))
      return std::nullopt;
    double gamma = at(1, 0) / r0;
    if (!(gamma > 0) || gamma > 1 + 1e-6)
      return std::nullopt;
    gamma = std::min(gamma, 1.0);
    // r_i: all 1, or RetNet's.
    bool ones = true, retnet = true;
    double count = 0;
    for (int64_t i = 0; i < n; ++i) {
      count = gamma * count + 1;
      ones = ones && close(at(i, i), 1.0);
      retnet = retnet && close(at(i, i), 1.0 / std::sqrt(count));
    }
    if (!ones && !retnet)
      return std::nullopt;
    // Every head the same kind of rows: the op has one normalisation.
    if (h > 0 && !ones != fit.retnetRows)
      return std::nullopt;
    fit.retnetRows = !ones;
    for (int64_t i = 0; i < n; ++i) {
      double r = at(i, i);
      for (int64_t j = 0; j <= i; ++j)
        if (!close(at(i, j), r * std::pow(gamma, static_cast<double>(i - j))))
          return std::nullopt;
    }
    fit.gamma.push_back(gamma);
  }
  return fit;
}

/// Evaluates and fits `mask` (at its static size, or at two lengths).
std::optional<MaskFit> classifyMask(Value mask, int64_t heads, bool keepMask,
                                    bool upperKeep) {
  std::optional<MaskFit> fit;
  for (int64_t n : {7, 29}) {
    std::optional<Evaluated> values = evaluateAt(mask, n);
    if (!values)
      return std::nullopt;
    std::optional<MaskFit> at = fitMask(*values, heads, keepMask, upperKeep);
    if (!at)
      return std::nullopt;
    if (fit) {
      if (at->retnetRows != fit->retnetRows ||
          at->gamma.size() != fit->gamma.size())
        return std::nullopt;
      for (auto [a, b] : llvm::zip(at->gamma, fit->gamma))
        if (!close(a, b))
          return std::nullopt;
    }
    fit = at;
    if (matchPattern(mask, m_Constant()))
      break; // a constant has one size
  }
  return fit;
}

//===----------------------------------------------------------------------===//
// The match
//===----------------------------------------------------------------------===//

struct Match {
  Operation *root; // its result is replaced
  Value q, kT, v, gate;
  double scale = 1.0;
  FeatureMap featureMap = FeatureMap::identity;
  LinearDecay decay = LinearDecay::none;
  SmallVector<float> logDecay;
  LinearNormalization norm = LinearNormalization::none;
  double epsilon = 1e-6;
  bool causal = false;
};

/// GLA's gated scores: q' = q * exp(b), k' = k * exp(-b), b = cumsum(g, 2).
/// Sets q, kT and gate when `product` is of that form.
bool matchVectorGate(MatmulOp product, Match &m) {
  auto kTrans = product.getRhs().getDefiningOp<TransposeOp>();
  if (!kTrans || kTrans.getPermutation() != ArrayRef<int64_t>{0, 1, 3, 2} ||
      !kTrans->hasOneUse())
    return false;
  auto qMul = product.getLhs().getDefiningOp<MulOp>();
  auto kMul = kTrans.getInput().getDefiningOp<MulOp>();
  if (!qMul || !kMul || !qMul->hasOneUse() || !kMul->hasOneUse())
    return false;
  // One factor of each is exp(b) / exp(-b) with the same b.
  auto split = [](MulOp mul, bool negated) -> std::pair<Value, Value> {
    for (auto [x, e] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())}) {
      auto exp = e.getDefiningOp<ExpOp>();
      if (!exp || x.getType() != mul.getType())
        continue;
      Value b = exp.getInput();
      if (negated) {
        auto neg = b.getDefiningOp<NegOp>();
        if (!neg)
          continue;
        b = neg.getInput();
      }
      return {x, b};
    }
    return {Value(), Value()};
  };
  auto [q, bq] = split(qMul, false);
  auto [k, bk] = split(kMul, true);
  if (!q || !k || bq != bk)
    return false;
  auto cumsum = bq.getDefiningOp<CumSumOp>();
  auto type = cast<RankedTensorType>(bq.getType());
  if (!cumsum || cumsum.getAxis() != 2 || cumsum.getExclusive() ||
      cumsum.getReverse() || type.getRank() != 4 ||
      type != cast<RankedTensorType>(q.getType()))
    return false;
  m.q = q;
  m.gate = cumsum.getInput();
  OpBuilder b(product);
  m.kT = TransposeOp::create(b, kTrans.getLoc(), k,
                             b.getDenseI64ArrayAttr({0, 1, 3, 2}));
  m.decay = LinearDecay::vector_gate;
  return true;
}

/// Matches the quadratic form whose output is `pv`'s result (or, with a
/// denominator applied after the product, its one user).
std::optional<Match> matchAt(MatmulOp pv) {
  if (!plainRank4Product(pv))
    return std::nullopt;
  Match m;
  m.root = pv;
  m.v = pv.getRhs();
  Value p = pv.getLhs();
  int64_t uses = std::distance(p.use_begin(), p.use_end());
  // (P v) / (rowsum(P) + eps).
  bool postDenominator = false;
  if (uses == 2 && pv->hasOneUse()) {
    auto div = dyn_cast<DivOp>(*pv->user_begin());
    if (div && div.getLhs() == pv.getResult() &&
        div.getType() == pv.getType())
      if (std::optional<double> eps = rowSumPlusEpsilon(div.getRhs(), p)) {
        m.root = div;
        m.norm = LinearNormalization::denominator;
        m.epsilon = *eps;
        postDenominator = true;
      }
  }
  if (!postDenominator && uses != 1)
    return std::nullopt;
  bool retnetClamp = false;
  Value twoUses = postDenominator ? p : Value(); // P, read by the row sum
  if (!postDenominator) {
    if (auto div = p.getDefiningOp<DivOp>()) {
      Value num = div.getLhs();
      if (std::distance(num.use_begin(), num.use_end()) != 2)
        return std::nullopt;
      if (std::optional<double> eps = rowSumPlusEpsilon(div.getRhs(), num)) {
        m.norm = LinearNormalization::denominator;
        m.epsilon = *eps;
        p = twoUses = num;
      } else if (isRowSumClamp(div.getRhs(), num)) {
        retnetClamp = true;
        p = twoUses = num;
      } else if (isRowAbsSumClamp(div.getRhs(), num) &&
                 feedsScaleInvariantNorm(pv.getResult())) {
        // torchscale's P / clamp(rowsum|P|, 1, 5e4) differs from RetNet's
        // P / max(|rowsum P|, 1) by a positive factor per row, which the
        // group norm that follows cancels.
        retnetClamp = true;
        p = twoUses = num;
      } else {
        return std::nullopt;
      }
    }
  }
  // Scale, mask, scale.
  p = peelScale(p, m.scale);
  Value mask;
  bool keepMask = false, upperKeep = false;
  Value scores;
  if (auto mul = p.getDefiningOp<MulOp>()) {
    for (auto [s, mk] : {std::pair(mul.getLhs(), mul.getRhs()),
                         std::pair(mul.getRhs(), mul.getLhs())}) {
      double scale = 1.0;
      Value inner = peelScale(s, scale);
      if (plainRank4Product(inner) && s.getType() == mul.getType() &&
          s.hasOneUse()) {
        scores = inner, mask = mk, m.scale *= scale;
        break;
      }
    }
  } else if (auto select = p.getDefiningOp<SelectOp>()) {
    for (auto [s, zero, upper] :
         {std::tuple(select.getOnTrue(), select.getOnFalse(), false),
          std::tuple(select.getOnFalse(), select.getOnTrue(), true)}) {
      double scale = 1.0;
      Value inner = peelScale(s, scale);
      std::optional<double> z = splatValue(zero);
      if (plainRank4Product(inner) && z && *z == 0 &&
          s.getType() == select.getType() && s.hasOneUse()) {
        scores = inner, mask = select.getCondition(), m.scale *= scale;
        keepMask = true, upperKeep = upper;
        break;
      }
    }
  } else if (plainRank4Product(p)) {
    scores = p;
  }
  // The scores feed one op, or (no mask) they are the normalised P that
  // the row sum reads too.
  if (!scores || !(scores.hasOneUse() || (!mask && scores == twoUses)))
    return std::nullopt;
  MatmulOp product = plainRank4Product(scores);
  auto q = cast<RankedTensorType>(product.getLhs().getType());
  int64_t heads = q.getDimSize(1);
  if (ShapedType::isDynamic(heads) || !q.getElementType().isF32() ||
      !(m.scale > 0) || std::isinf(m.scale))
    return std::nullopt;

  if (!matchVectorGate(product, m)) {
    m.q = product.getLhs();
    m.kT = product.getRhs();
  }
  if (!mask) {
    // Non-causal: no decay, no RetNet clamp.
    if (retnetClamp || m.decay != LinearDecay::none)
      return std::nullopt;
    return m;
  }
  std::optional<MaskFit> fit = classifyMask(mask, heads, keepMask, upperKeep);
  if (!fit || fit->retnetRows != retnetClamp)
    return std::nullopt;
  m.causal = true;
  bool decays = llvm::any_of(fit->gamma, [](double g) { return g < 1.0; });
  if (decays || retnetClamp) {
    if (m.decay == LinearDecay::vector_gate)
      return std::nullopt; // a gate and a decay mask: not one op
    m.decay = LinearDecay::constant;
    for (int64_t h = 0; h < heads; ++h)
      m.logDecay.push_back(static_cast<float>(
          std::log(fit->gamma[fit->gamma.size() == 1 ? 0 : h])));
  }
  if (retnetClamp)
    m.norm = LinearNormalization::retnet;
  return m;
}

/// q and k both `tfm.silu` (of the same type, used only here): the kernel
/// applies the feature map.
void absorbFeatureMaps(Match &m, OpBuilder &b) {
  auto kTrans = m.kT.getDefiningOp<TransposeOp>();
  if (!kTrans || kTrans.getPermutation() != ArrayRef<int64_t>{0, 1, 3, 2})
    return;
  auto qs = m.q.getDefiningOp<SiluOp>();
  auto ks = kTrans.getInput().getDefiningOp<SiluOp>();
  if (!qs || !ks || m.decay == LinearDecay::vector_gate)
    return;
  m.featureMap = FeatureMap::silu;
  m.q = qs.getInput();
  m.kT = TransposeOp::create(b, kTrans.getLoc(), ks.getInput(),
                             b.getDenseI64ArrayAttr({0, 1, 3, 2}));
}

void rewrite(Match &m) {
  OpBuilder b(m.root);
  Location loc = m.root->getLoc();
  absorbFeatureMaps(m, b);
  // k from k^T (a transpose of a transpose folds away).
  Value k = TransposeOp::create(b, loc, m.kT,
                                b.getDenseI64ArrayAttr({0, 1, 3, 2}));
  MLIRContext *ctx = b.getContext();
  auto attention = LinearAttentionOp::create(
      b, loc, m.q, k, m.v, m.gate, /*state=*/Value(),
      FeatureMapAttr::get(ctx, m.featureMap),
      LinearDecayAttr::get(ctx, m.decay),
      m.logDecay.empty() ? DenseF32ArrayAttr()
                         : b.getDenseF32ArrayAttr(m.logDecay),
      LinearNormalizationAttr::get(ctx, m.norm),
      m.causal ? b.getUnitAttr() : UnitAttr(),
      b.getF32FloatAttr(static_cast<float>(m.scale)),
      b.getF32FloatAttr(static_cast<float>(m.epsilon)),
      b.getI64IntegerAttr(m.decay == LinearDecay::vector_gate ? 16 : 64));
  Value out = attention.getOutput();
  Type want = m.root->getResult(0).getType();
  if (out.getType() != want)
    out = tensor::CastOp::create(b, loc, want, out);
  m.root->getResult(0).replaceAllUsesWith(out);
}

struct RewriteLinearAttention
    : mlir::tfm::impl::TfmRewriteLinearAttentionBase<RewriteLinearAttention> {
  void runOnOperation() override {
    SmallVector<MatmulOp> products;
    getOperation().walk([&](MatmulOp op) { products.push_back(op); });
    bool changed = false;
    for (MatmulOp pv : products) {
      std::optional<Match> m = matchAt(pv);
      if (!m)
        continue;
      rewrite(*m);
      changed = true;
    }
    if (!changed)
      return;
    // The quadratic form is dead now.
    OpPassManager pm(ModuleOp::getOperationName());
    pm.addPass(createCanonicalizerPass());
    if (failed(runPipeline(pm, getOperation())))
      signalPassFailure();
  }
};

} // namespace
