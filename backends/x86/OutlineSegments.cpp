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

/// Moves `segment` of `block` into a new private function `name` placed
/// after `after` and calls it in its place; returns the function, or null
/// (leaving the IR as it was) when a stack allocation would escape.
func::FuncOp outline(Block *block, const Segment &segment, Operation *after,
                     StringRef name) {
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
      // Cut the ops before the terminator into runs of about `budget`.
      SmallVector<Segment> segments;
      Block::iterator last = block->getTerminator()->getIterator();
      unsigned sum = 0;
      for (Block::iterator it = begin; it != last; ++it) {
        sum += weight(&*it);
        if (sum >= budget) {
          segments.push_back({begin, std::next(it)});
          begin = std::next(it);
          sum = 0;
        }
      }
      if (begin != last)
        segments.push_back({begin, last});
      if (segments.size() < 2)
        continue;
      unsigned index = 0;
      Operation *after = func;
      for (const Segment &segment : segments) {
        std::string name;
        do
          name = (func.getName() + "_segment_" + Twine(index++)).str();
        while (symbols.lookup(name));
        if (func::FuncOp outlined = outline(block, segment, after, name)) {
          symbols.insert(outlined);
          after = outlined;
        }
      }
    }
  }
};

} // namespace
