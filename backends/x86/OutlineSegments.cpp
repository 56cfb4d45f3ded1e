//===- OutlineSegments.cpp - bounded-size functions from a long body ------===//
//
// Part of kiln. Implements kiln-outline-segments (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/x86/Outlining.h"
#include "backends/x86/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86OUTLINESEGMENTS
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// The operations `op` holds, itself included.
unsigned weight(Operation *op) {
  unsigned n = 0;
  op->walk([&](Operation *) { ++n; });
  return n;
}

/// A run of consecutive operations of one block, [begin, end).
struct Segment {
  Block::iterator begin, end;
};

/// The layers of a model: the longest stretch [start, start + count *
/// period) of `keys` made of `count` copies of one run of `period`
/// operations, the period found among the distances between repeats of the
/// same operation. Zero count when nothing repeats at least twice.
struct Repetition {
  size_t start = 0, period = 0, count = 0;
};

Repetition findRepetition(ArrayRef<llvm::hash_code> keys) {
  // The gaps between consecutive occurrences of each operation, by how
  // often they occur.
  DenseMap<llvm::hash_code, size_t> lastSeen;
  DenseMap<size_t, size_t> gapCount;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [it, first] = lastSeen.try_emplace(keys[i], i);
    if (!first) {
      ++gapCount[i - it->second];
      it->second = i;
    }
  }
  SmallVector<std::pair<size_t, size_t>> gaps(gapCount.begin(), gapCount.end());
  llvm::sort(gaps, [](auto a, auto b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  // Among the commonest gaps, the one whose repeats cover the most
  // operations (the smallest, on a tie: a multiple of the layer length
  // covers no more than the layer length does).
  Repetition best;
  for (auto [period, ignored] : ArrayRef(gaps).take_front(16)) {
    size_t run = 0;
    for (size_t i = 0; i + period < keys.size(); ++i) {
      run = keys[i] == keys[i + period] ? run + 1 : 0;
      // A run of `run` matches ending at i spans (run + period) ops.
      size_t count = (run + period) / period;
      if (run >= period && count * period > best.count * best.period)
        best = {i + 1 - run, period, count};
    }
  }
  return best;
}

/// Cuts [begin, end) into runs of about `budget` ops, accumulated from
/// `begin`.
void cutByBudget(Block::iterator begin, Block::iterator end, unsigned budget,
                 SmallVectorImpl<Segment> &segments) {
  unsigned sum = 0;
  for (Block::iterator it = begin; it != end; ++it) {
    sum += weight(&*it);
    if (sum >= budget) {
      segments.push_back({begin, std::next(it)});
      begin = std::next(it);
      sum = 0;
    }
  }
  if (begin != end)
    segments.push_back({begin, end});
}

/// Cuts [begin, end) into runs of about `budget` ops. Where the body
/// repeats (a model's layers), every repeat is cut at the same places, so
/// that the layers' segments are the same function, which
/// kiln-merge-identical-functions then keeps once.
SmallVector<Segment> cutSegments(Block::iterator begin, Block::iterator end,
                                 unsigned budget) {
  SmallVector<Operation *> ops;
  SmallVector<llvm::hash_code> keys;
  for (Block::iterator it = begin; it != end; ++it) {
    ops.push_back(&*it);
    keys.push_back(kiln::x86::structureHash(&*it));
  }
  SmallVector<Segment> segments;
  Repetition layers = findRepetition(keys);
  if (layers.count < 2) {
    cutByBudget(begin, end, budget, segments);
    return segments;
  }
  auto at = [&](size_t i) {
    return i < ops.size() ? ops[i]->getIterator() : end;
  };
  // Before the layers, each layer (cut where the first one is, or several
  // short layers together), after them.
  cutByBudget(begin, at(layers.start), budget, segments);
  unsigned layerWeight = 0;
  for (size_t i = 0; i < layers.period; ++i)
    layerWeight += weight(ops[layers.start + i]);
  size_t perSegment = std::max<size_t>(1, budget / std::max(1u, layerWeight));
  size_t stride = layers.period * perSegment;
  SmallVector<size_t> cuts; // offsets in a stride where a segment ends
  unsigned sum = 0;
  for (size_t i = 0; i < stride; ++i) {
    sum += weight(ops[layers.start + i % layers.period]);
    if (sum >= budget || i + 1 == stride) {
      cuts.push_back(i + 1);
      sum = 0;
    }
  }
  // Layers left over from the last whole stride go with what follows.
  size_t strides = layers.count / perSegment, base = layers.start;
  for (size_t k = 0; k < strides; ++k, base += stride) {
    size_t from = 0;
    for (size_t cut : cuts) {
      segments.push_back({at(base + from), at(base + cut)});
      from = cut;
    }
  }
  cutByBudget(at(base), end, budget, segments);
  return segments;
}

/// Moves `segment` of `block` into a new private function `name` placed
/// after `after` and calls it in its place; returns the function, or null
/// (leaving the IR as it was) when a stack allocation would escape or it
/// would return more than `maxResults` values.
func::FuncOp outline(Block *block, const Segment &segment, Operation *after,
                     StringRef name, size_t maxResults) {
  // The ops of the segment, for membership tests.
  llvm::SmallPtrSet<Operation *, 32> inside;
  for (Block::iterator it = segment.begin; it != segment.end; ++it)
    inside.insert(&*it);
  auto inSegment = [&](Operation *op) {
    Operation *top = op ? block->findAncestorOpInBlock(*op) : nullptr;
    return top && inside.contains(top);
  };

  // What the segment uses from before it, and what is used after it.
  llvm::SetVector<Value> used;
  llvm::SetVector<Value> escaping;
  for (Block::iterator it = segment.begin; it != segment.end; ++it) {
    Operation *op = &*it;
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        // Defined by an op, or an argument of a block of some op (the
        // function's, when the block is the body).
        Operation *def = v.getDefiningOp() ? v.getDefiningOp()
                                           : v.getParentBlock()->getParentOp();
        if (!inSegment(def))
          used.insert(v);
      }
    });
    for (Value r : op->getResults())
      for (Operation *user : r.getUsers())
        if (!inSegment(user)) {
          escaping.insert(r);
          break;
        }
  }
  for (Value v : escaping)
    if (Operation *def = v.getDefiningOp())
      if (isa<memref::AllocaOp>(def))
        return nullptr;
  // Results come back as one aggregate, built and taken apart in a single
  // basic block; LLVM's instruction scheduling is quadratic in that.
  if (escaping.size() > maxResults)
    return nullptr;

  SmallVector<Value> args;
  SmallVector<Operation *> constants;
  kiln::x86::splitCaptures(used, args, constants);

  Operation *first = &*segment.begin;
  Location loc = first->getLoc();
  OpBuilder b(first->getContext());
  auto type = b.getFunctionType(ValueRange(args).getTypes(),
                                ValueRange(escaping.getArrayRef()).getTypes());
  func::FuncOp func =
      kiln::x86::createOutlinedFunction(b, loc, after, name, type);
  Block *entry = &func.front();

  // The call, before the segment; then the segment's ops move into the
  // function and the uses after it read the call's results.
  b.setInsertionPoint(first);
  auto call = func::CallOp::create(b, loc, func, args);
  b.setInsertionPointToStart(entry);
  IRMapping map;
  for (Operation *c : constants)
    map.map(c->getResult(0), b.clone(*c)->getResult(0));
  auto ret = func::ReturnOp::create(b, loc, escaping.getArrayRef());
  for (Block::iterator it = segment.begin, end = segment.end; it != end;) {
    Operation *op = &*it++;
    op->moveBefore(ret);
  }
  for (auto [value, arg] : llvm::zip(args, entry->getArguments()))
    value.replaceUsesWithIf(arg, [&](OpOperand &use) {
      return func->isProperAncestor(use.getOwner());
    });
  for (Operation *c : constants)
    c->getResult(0).replaceUsesWithIf(
        map.lookup(c->getResult(0)),
        [&](OpOperand &use) { return func->isProperAncestor(use.getOwner()); });
  for (auto [value, result] :
       llvm::zip(escaping.takeVector(), call.getResults()))
    value.replaceUsesWithIf(result, [&](OpOperand &use) {
      return !func->isProperAncestor(use.getOwner());
    });
  return func;
}

struct X86OutlineSegments
    : mlir::tfm::impl::X86OutlineSegmentsBase<X86OutlineSegments> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    SymbolTable symbols(module);
    unsigned budget = std::max(1u, unsigned(opsPerFunction));
    for (func::FuncOp func : funcs) {
      if (func.isExternal() || !func.getBody().hasOneBlock() ||
          weight(func) <= budget)
        continue;
      Block *block = &func.getBody().front();
      // Constants go first and stay: each segment clones the ones it uses
      // rather than receiving them (or, made in one segment, returning them).
      Block::iterator begin = block->begin();
      for (Operation &op : llvm::make_early_inc_range(*block))
        if (kiln::x86::isOutlinedConstant(&op)) {
          if (&op != &*begin)
            op.moveBefore(block, begin);
          else
            ++begin;
        }
      SmallVector<Segment> segments =
          cutSegments(begin, block->getTerminator()->getIterator(), budget);
      if (segments.size() < 2)
        continue;
      unsigned index = 0;
      Operation *after = func;
      for (const Segment &segment : segments) {
        std::string name;
        do
          name = (func.getName() + "_segment_" + Twine(index++)).str();
        while (symbols.lookup(name));
        if (func::FuncOp outlined =
                outline(block, segment, after, name, maxResults)) {
          symbols.insert(outlined);
          after = outlined;
        }
      }
    }
  }
};

} // namespace
