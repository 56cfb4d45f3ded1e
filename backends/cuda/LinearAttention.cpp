//===- LinearAttention.cpp - tfm.linear_attention as one GPU kernel -------===//
//
// Part of kiln. Implements kiln-cuda-linear-attention (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/cuda/Passes.h"
#include "dialects/tfm/TfmOps.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CUDALINEARATTENTION
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

// A thread's state column (and key sum) lives in registers.
constexpr int64_t kMaxKeyDim = 256;
constexpr int kThreads = 128;

/// What a kernel variant is specialised for: everything but the sizes B, H,
/// T and the scalars.
struct Variant {
  int64_t dk, dv;
  tfm::FeatureMap map;
  tfm::LinearDecay decay;
  tfm::LinearNormalization norm;
  bool causal, state;

  std::string name() const {
    std::string n = "kiln_cuda_linear_attention_k" + std::to_string(dk) +
                    "_v" + std::to_string(dv) + "_" +
                    tfm::stringifyFeatureMap(map).str() + "_" +
                    tfm::stringifyLinearDecay(decay).str() + "_" +
                    tfm::stringifyLinearNormalization(norm).str();
    if (causal)
      n += "_causal";
    return state ? n + "_state" : n;
  }
  bool vectorGate() const { return decay == tfm::LinearDecay::vector_gate; }
  bool hasGate() const {
    return decay == tfm::LinearDecay::scalar_gate || vectorGate();
  }
  /// The key sum z and the count n are carried where the normalisation
  /// reads them or the state holds them.
  bool keySum() const {
    return state || norm != tfm::LinearNormalization::none;
  }
  bool count() const {
    return state || norm == tfm::LinearNormalization::retnet;
  }
};

std::string typeText(StringRef kind, ArrayRef<int64_t> dims) {
  return kind.str() + "<" + tfm::formatShape(dims) + "xf32>";
}

/// The kernel's MLIR text. One GPU thread per (batch, head, value column
/// j): it carries column j of the state S (dk values) in registers, and
/// the key sum z and count n where needed (every thread of a head carries
/// the same z and n: cheaper than sharing them), and walks the tokens in
/// order: the recurrent form S_t = d_t S_(t-1) + phi(k_t)^T v_t, o_t =
/// scale phi(q_t) S_t. Every decay factor d_t = e^(g_t) is <= 1, so nothing
/// overflows, and the time is linear in T. Non-causal attention sums S
/// over the whole sequence first, then reads every query against it.
std::string kernelSource(const Variant &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  const int64_t dyn = ShapedType::kDynamic;
  std::string qT = typeText("tensor", {dyn, dyn, dyn, v.dk}),
              qM = typeText("memref", {dyn, dyn, dyn, v.dk}),
              vT = typeText("tensor", {dyn, dyn, dyn, v.dv}),
              vM = typeText("memref", {dyn, dyn, dyn, v.dv}),
              ldT = typeText("tensor", {dyn}), ldM = typeText("memref", {dyn}),
              sT = typeText("tensor", {dyn, dyn, v.dk + 1, v.dv + 1}),
              sM = typeText("memref", {dyn, dyn, v.dk + 1, v.dv + 1});
  std::string gT = v.vectorGate() ? qT : typeText("tensor", {dyn, dyn, dyn}),
              gM = v.vectorGate() ? qM : typeText("memref", {dyn, dyn, dyn});
  auto toBuffer = [&](StringRef buffer, StringRef tensor, StringRef type,
                      StringRef memref) {
    os << "  %" << buffer << " = bufferization.to_buffer %" << tensor
       << " read_only : " << type << " to " << memref << "\n";
  };

  os << "func.func private @" << v.name() << "(%q: " << qT << ", %k: " << qT
     << ", %v: " << vT;
  if (v.hasGate())
    os << ", %g: " << gT;
  os << ", %ld: " << ldT;
  if (v.state)
    os << ", %s: " << sT;
  os << ", %scale: f32, %eps: f32) -> (" << vT
     << (v.state ? ", " + sT : std::string()) << ") {\n"
     << "  %c0 = arith.constant 0 : index\n"
     << "  %c1 = arith.constant 1 : index\n"
     << "  %c2 = arith.constant 2 : index\n"
     << "  %threads = arith.constant " << kThreads << " : index\n";
  toBuffer("Q", "q", qT, qM);
  toBuffer("K", "k", qT, qM);
  toBuffer("V", "v", vT, vM);
  toBuffer("LD", "ld", ldT, ldM);
  if (v.hasGate())
    toBuffer("G", "g", gT, gM);
  if (v.state)
    toBuffer("SIN", "s", sT, sM);
  os << "  %B = memref.dim %Q, %c0 : " << qM << "\n"
     << "  %H = memref.dim %Q, %c1 : " << qM << "\n"
     << "  %T = memref.dim %Q, %c2 : " << qM << "\n"
     << "  %O = memref.alloc(%B, %H, %T) : " << vM << "\n";
  if (v.state)
    os << "  %SO = memref.alloc(%B, %H) : " << sM << "\n";
  os << "  %DV = arith.constant " << v.dv << " : index\n"
     << "  %DK = arith.constant " << v.dk << " : index\n"
     << "  %BH = arith.muli %B, %H : index\n"
     << "  %items = arith.muli %BH, %DV : index\n"
     << "  %nonEmpty = arith.cmpi ugt, %items, %c0 : index\n"
     << "  scf.if %nonEmpty {\n"
     << "    %blockSize = arith.minui %items, %threads : index\n"
     << "    %grid = arith.ceildivui %items, %blockSize : index\n"
     << "    gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid, %gy = %c1, "
        "%gz = %c1) threads(%tx, %ty, %tz) in (%sx = %blockSize, %sy = %c1, "
        "%sz = %c1) {\n"
     << "      %base = arith.muli %bx, %sx : index\n"
     << "      %r = arith.addi %base, %tx : index\n"
     << "      %inRange = arith.cmpi ult, %r, %items : index\n"
     << "      scf.if %inRange {\n"
     << "        %j = arith.remui %r, %DV : index\n"
     << "        %bh = arith.divui %r, %DV : index\n"
     << "        %h = arith.remui %bh, %H : index\n"
     << "        %b = arith.divui %bh, %H : index\n"
     << "        %zero = arith.constant 0.0 : f32\n"
     << "        %one = arith.constant 1.0 : f32\n";
  for (int64_t c = 0; c < v.dk; ++c)
    os << "        %cd" << c << " = arith.constant " << c << " : index\n";
  if (v.decay == tfm::LinearDecay::constant)
    os << "        %logGamma = memref.load %LD[%h] : " << ldM << "\n"
       << "        %gamma = math.exp %logGamma : f32\n";

  // The carried values: the S column, then z, then n. `carried(suffix)`
  // names them; the loop's results are %acc#i.
  std::vector<std::string> keys;
  for (int64_t c = 0; c < v.dk; ++c)
    keys.push_back("s" + std::to_string(c));
  if (v.keySum())
    for (int64_t c = 0; c < v.dk; ++c)
      keys.push_back("z" + std::to_string(c));
  if (v.count())
    keys.push_back("n");
  using Names = std::vector<std::string>;
  auto carried = [&](StringRef suffix) {
    Names names;
    for (const std::string &key : keys)
      names.push_back("%" + key + suffix.str());
    return names;
  };
  Names loopResults;
  for (size_t i = 0; i < keys.size(); ++i)
    loopResults.push_back("%acc#" + std::to_string(i));
  auto sName = [&](const Names &n, int64_t c) { return n[c]; };
  auto zName = [&](const Names &n, int64_t c) { return n[v.dk + c]; };
  auto nName = [&](const Names &n) { return n.back(); };
  auto join = [](const Names &names) {
    std::string list;
    for (const std::string &name : names)
      list += (list.empty() ? "" : ", ") + name;
    return list;
  };
  std::string types = "f32";
  for (size_t i = 1; i < keys.size(); ++i)
    types += ", f32";

  // Initial values: the incoming state, or zeros.
  Names initial = carried("_0");
  for (int64_t c = 0; c < v.dk; ++c) {
    std::string row = "%cd" + std::to_string(c);
    if (v.state)
      os << "        " << sName(initial, c) << " = memref.load %SIN[%b, %h, "
         << row << ", %j] : " << sM << "\n";
    else
      os << "        " << sName(initial, c) << " = arith.constant 0.0 : f32\n";
    if (!v.keySum())
      continue;
    if (v.state)
      os << "        " << zName(initial, c) << " = memref.load %SIN[%b, %h, "
         << row << ", %DV] : " << sM << "\n";
    else
      os << "        " << zName(initial, c) << " = arith.constant 0.0 : f32\n";
  }
  if (v.count()) {
    if (v.state)
      os << "        " << nName(initial) << " = memref.load %SIN[%b, %h, %DK, "
         << "%DV] : " << sM << "\n";
    else
      os << "        " << nName(initial) << " = arith.constant 0.0 : f32\n";
  }

  // phi(x): the name of the mapped value (defining it as `out`).
  auto featureMap = [&](StringRef indent, const std::string &out,
                        const std::string &x) -> std::string {
    switch (v.map) {
    case tfm::FeatureMap::identity:
      return x;
    case tfm::FeatureMap::relu:
      os << indent << out << " = arith.maximumf " << x << ", %zero : f32\n";
      return out;
    case tfm::FeatureMap::elu_plus_one:
      os << indent << out << "_p = arith.addf " << x << ", %one : f32\n"
         << indent << out << "_e = math.exp " << x << " : f32\n"
         << indent << out << "_pos = arith.cmpf ogt, " << x
         << ", %zero : f32\n"
         << indent << out << " = arith.select " << out << "_pos, " << out
         << "_p, " << out << "_e : f32\n";
      return out;
    case tfm::FeatureMap::silu:
      os << indent << out << "_n = arith.negf " << x << " : f32\n"
         << indent << out << "_e = math.exp " << out << "_n : f32\n"
         << indent << out << "_d = arith.addf " << out << "_e, %one : f32\n"
         << indent << out << " = arith.divf " << x << ", " << out
         << "_d : f32\n";
      return out;
    }
    return x;
  };

  // Adds token %t's key and value to the carried values `in`, decayed
  // first (causal) or not, defining `out`.
  auto accumulate = [&](StringRef indent, const Names &in, const Names &out,
                        bool decayed) {
    os << indent << "%vt = memref.load %V[%b, %h, %t, %j] : " << vM << "\n";
    std::string scalarDecay;
    if (decayed && v.decay == tfm::LinearDecay::constant)
      scalarDecay = "%gamma";
    if (decayed && v.decay == tfm::LinearDecay::scalar_gate) {
      os << indent << "%gt = memref.load %G[%b, %h, %t] : " << gM << "\n"
         << indent << "%dt = math.exp %gt : f32\n";
      scalarDecay = "%dt";
    }
    for (int64_t c = 0; c < v.dk; ++c) {
      std::string cs = std::to_string(c);
      os << indent << "%kr" << cs << " = memref.load %K[%b, %h, %t, %cd" << cs
         << "] : " << qM << "\n";
      std::string key = featureMap(indent, "%kf" + cs, "%kr" + cs);
      std::string d = scalarDecay;
      if (decayed && v.vectorGate()) {
        os << indent << "%gc" << cs << " = memref.load %G[%b, %h, %t, %cd"
           << cs << "] : " << gM << "\n"
           << indent << "%dc" << cs << " = math.exp %gc" << cs << " : f32\n";
        d = "%dc" + cs;
      }
      std::string sIn = sName(in, c);
      if (!d.empty()) {
        os << indent << "%sd" << cs << " = arith.mulf " << sIn << ", " << d
           << " : f32\n";
        sIn = "%sd" + cs;
      }
      os << indent << sName(out, c) << " = math.fma " << key << ", %vt, "
         << sIn << " : f32\n";
      if (!v.keySum())
        continue;
      std::string zIn = zName(in, c);
      if (!d.empty()) {
        os << indent << "%zd" << cs << " = arith.mulf " << zIn << ", " << d
           << " : f32\n";
        zIn = "%zd" + cs;
      }
      os << indent << zName(out, c) << " = arith.addf " << zIn << ", " << key
         << " : f32\n";
    }
    if (!v.count())
      return;
    // RetNet's n_t = sum_(j <= t) gamma^(t - j); a vector gate counts
    // tokens, and a non-causal sum leaves n as it was (as the CPU kernel).
    std::string nIn = nName(in);
    if (!decayed) {
      os << indent << nName(out) << " = arith.addf " << nIn
         << ", %zero : f32\n";
      return;
    }
    if (!scalarDecay.empty()) {
      os << indent << "%nd = arith.mulf " << nIn << ", " << scalarDecay
         << " : f32\n";
      nIn = "%nd";
    }
    os << indent << nName(out) << " = arith.addf " << nIn << ", %one : f32\n";
  };

  // Reads query %t against the carried values `in` and stores output
  // (t, j).
  auto emitOutput = [&](StringRef indent, const Names &in) {
    os << indent << "%num_0 = arith.constant 0.0 : f32\n"
       << indent << "%den_0 = arith.constant 0.0 : f32\n";
    for (int64_t c = 0; c < v.dk; ++c) {
      std::string cs = std::to_string(c), next = std::to_string(c + 1);
      os << indent << "%qr" << cs << " = memref.load %Q[%b, %h, %t, %cd" << cs
         << "] : " << qM << "\n";
      std::string query = featureMap(indent, "%qf" + cs, "%qr" + cs);
      os << indent << "%qs" << cs << " = arith.mulf " << query
         << ", %scale : f32\n"
         << indent << "%num_" << next << " = math.fma %qs" << cs << ", "
         << sName(in, c) << ", %num_" << cs << " : f32\n";
      if (v.norm != tfm::LinearNormalization::none)
        os << indent << "%den_" << next << " = math.fma %qs" << cs << ", "
           << zName(in, c) << ", %den_" << cs << " : f32\n";
    }
    std::string num = "%num_" + std::to_string(v.dk),
                rowSum = "%den_" + std::to_string(v.dk), o = num;
    if (v.norm == tfm::LinearNormalization::denominator) {
      os << indent << "%denE = arith.addf " << rowSum << ", %eps : f32\n"
         << indent << "%o = arith.divf " << num << ", %denE : f32\n";
      o = "%o";
    } else if (v.norm == tfm::LinearNormalization::retnet) {
      // With r = 1/sqrt(n): o = r num / max(r |rowsum|, 1).
      os << indent << "%sqrtN = math.sqrt " << nName(in) << " : f32\n"
         << indent << "%rn = arith.divf %one, %sqrtN : f32\n"
         << indent << "%absSum = math.absf " << rowSum << " : f32\n"
         << indent << "%rSum = arith.mulf %absSum, %rn : f32\n"
         << indent << "%clamp = arith.maximumf %rSum, %one : f32\n"
         << indent << "%inv = arith.divf %rn, %clamp : f32\n"
         << indent << "%o = arith.mulf " << num << ", %inv : f32\n";
      o = "%o";
    }
    os << indent << "memref.store " << o << ", %O[%b, %h, %t, %j] : " << vM
       << "\n";
  };

  // The token loop (causal: accumulate, then read; non-causal: accumulate
  // only, then a second loop reads).
  Names loopIn = carried("_in"), loopOut = carried("_out");
  std::string iterArgs;
  for (size_t i = 0; i < keys.size(); ++i)
    iterArgs += (i ? ", " : "") + loopIn[i] + " = " + initial[i];
  os << "        %acc:" << keys.size()
     << " = scf.for %t = %c0 to %T step %c1 iter_args(" << iterArgs << ") -> ("
     << types << ") {\n";
  accumulate("          ", loopIn, loopOut, /*decayed=*/v.causal);
  if (v.causal)
    emitOutput("          ", loopOut);
  os << "          scf.yield " << join(loopOut) << " : " << types << "\n"
     << "        }\n";
  if (!v.causal) {
    os << "        scf.for %t = %c0 to %T step %c1 {\n";
    emitOutput("          ", loopResults);
    os << "        }\n";
  }
  if (v.state) {
    // Column j of S; thread 0 of the head also writes z and n.
    for (int64_t c = 0; c < v.dk; ++c)
      os << "        memref.store " << sName(loopResults, c) << ", %SO[%b, %h, "
         << "%cd" << c << ", %j] : " << sM << "\n";
    os << "        memref.store %zero, %SO[%b, %h, %DK, %j] : " << sM << "\n"
       << "        %first = arith.cmpi eq, %j, %c0 : index\n"
       << "        scf.if %first {\n";
    for (int64_t c = 0; c < v.dk; ++c)
      os << "          memref.store " << zName(loopResults, c)
         << ", %SO[%b, %h, %cd" << c << ", %DV] : " << sM << "\n";
    os << "          memref.store " << nName(loopResults) << ", %SO[%b, %h, "
       << "%DK, %DV] : " << sM << "\n"
       << "        }\n";
  }
  os << "      }\n"
     << "      gpu.terminator\n"
     << "    }\n"
     << "  }\n"
     << "  %out = bufferization.to_tensor %O restrict writable : " << vM
     << " to " << vT << "\n";
  if (v.state)
    os << "  %state = bufferization.to_tensor %SO restrict writable : " << sM
       << " to " << sT << "\n"
       << "  return %out, %state : " << vT << ", " << sT << "\n";
  else
    os << "  return %out : " << vT << "\n";
  os << "}\n";
  return s;
}

struct CudaLinearAttention
    : mlir::tfm::impl::CudaLinearAttentionBase<CudaLinearAttention> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tfm::LinearAttentionOp> ops;
    module.walk([&](tfm::LinearAttentionOp op) { ops.push_back(op); });
    for (tfm::LinearAttentionOp op : ops) {
      FailureOr<Variant> variant = variantOf(op);
      if (failed(variant) ||
          failed(kiln::addKernelFunction(module, variant->name(),
                                         kernelSource(*variant))))
        return signalPassFailure();
      rewrite(op, *variant);
    }
  }

  /// The kernel variant, or an error: there is no generic lowering to fall
  /// back on.
  static FailureOr<Variant> variantOf(tfm::LinearAttentionOp op) {
    RankedTensorType q = op.getQuery().getType(), v = op.getValue().getType();
    if (!q.getElementType().isF32() || !v.getElementType().isF32())
      return op.emitError("the CUDA linear-attention kernel runs f32 only");
    int64_t dk = q.getDimSize(3), dv = v.getDimSize(3);
    if (ShapedType::isDynamic(dk) || ShapedType::isDynamic(dv))
      return op.emitError("the CUDA linear-attention kernel needs static "
                          "head dims (key ")
             << tfm::formatDim(dk) << ", value " << tfm::formatDim(dv) << ")";
    if (dk > kMaxKeyDim)
      return op.emitError("the CUDA linear-attention kernel keeps a key dim "
                          "of at most ")
             << kMaxKeyDim << " in registers; this one is " << dk;
    return Variant{dk,
                   dv,
                   op.getFeatureMap(),
                   op.getDecay(),
                   op.getNormalization(),
                   op.getCausal(),
                   static_cast<bool>(op.getState())};
  }

  static void rewrite(tfm::LinearAttentionOp op, const Variant &variant) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    const int64_t dyn = ShapedType::kDynamic;
    auto qType = RankedTensorType::get({dyn, dyn, dyn, variant.dk}, f32);
    auto vType = RankedTensorType::get({dyn, dyn, dyn, variant.dv}, f32);
    auto sType = RankedTensorType::get(
        {dyn, dyn, variant.dk + 1, variant.dv + 1}, f32);
    SmallVector<Value> operands{kiln::castTo(b, loc, op.getQuery(), qType),
                                kiln::castTo(b, loc, op.getKey(), qType),
                                kiln::castTo(b, loc, op.getValue(), vType)};
    if (variant.hasGate())
      operands.push_back(kiln::castTo(
          b, loc, op.getGate(),
          variant.vectorGate() ? Type(qType)
                               : RankedTensorType::get({dyn, dyn, dyn}, f32)));
    operands.push_back(kiln::linearAttentionLogDecays(b, loc, op));
    if (variant.state)
      operands.push_back(kiln::castTo(b, loc, op.getState(), sType));
    operands.push_back(arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(op.getScale().convertToFloat())));
    operands.push_back(arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(op.getEpsilon().convertToFloat())));
    SmallVector<Type> results{vType};
    if (variant.state)
      results.push_back(sType);
    auto call = func::CallOp::create(b, loc, variant.name(), results, operands);
    op.getOutput().replaceAllUsesWith(
        kiln::castTo(b, loc, call.getResult(0), op.getOutput().getType()));
    if (variant.state)
      op.getFinalState().replaceAllUsesWith(
          kiln::castTo(b, loc, call.getResult(1), op.getFinalState().getType()));
    op.erase();
  }
};

} // namespace
