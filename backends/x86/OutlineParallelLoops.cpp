//===- OutlineParallelLoops.cpp - one function per parallel loop ----------===//
//
// Part of kiln. Implements kiln-outline-parallel-loops (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/x86/Outlining.h"
#include "backends/x86/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86OUTLINEPARALLELLOOPS
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Moves `loop` into a new private function placed after `after` and calls
/// it; returns the function.
/// Constants the loop uses are cloned into the function, everything else
/// it uses from above becomes an argument.
func::FuncOp outline(scf::ParallelOp loop, Operation *after, StringRef name) {
  llvm::SetVector<Value> used;
  for (Value v : loop->getOperands())
    used.insert(v);
  getUsedValuesDefinedAbove(loop->getRegions(), used);
  SmallVector<Value> args;
  SmallVector<Operation *> constants;
  kiln::x86::splitCaptures(used, args, constants);
  OpBuilder b(loop->getContext());
  auto type = b.getFunctionType(ValueRange(args).getTypes(),
                                loop->getResultTypes());
  func::FuncOp func =
      kiln::x86::createOutlinedFunction(b, loop.getLoc(), after, name, type);
  Block *entry = &func.front();
  b.setInsertionPointToStart(entry);
  IRMapping map;
  map.map(args, entry->getArguments());
  for (Operation *c : constants)
    b.clone(*c, map);
  Operation *copy = b.clone(*loop, map);
  func::ReturnOp::create(b, loop.getLoc(), copy->getResults());
  b.setInsertionPoint(loop);
  auto call = func::CallOp::create(b, loop.getLoc(), func, args);
  loop->replaceAllUsesWith(call.getResults());
  loop->erase();
  return func;
}

struct X86OutlineParallelLoops
    : mlir::tfm::impl::X86OutlineParallelLoopsBase<X86OutlineParallelLoops> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    SymbolTable symbols(module);
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      SmallVector<scf::ParallelOp> loops;
      func.walk([&](scf::ParallelOp loop) {
        if (!loop->getParentOfType<scf::ParallelOp>())
          loops.push_back(loop);
      });
      // A function with one parallel loop (a kernel wrapper) is small.
      if (loops.size() < 2)
        continue;
      unsigned index = 0;
      Operation *after = func;
      for (scf::ParallelOp loop : loops) {
        std::string name;
        do
          name = (func.getName() + "_parallel_" + Twine(index++)).str();
        while (symbols.lookup(name));
        after = outline(loop, after, name);
      }
    }
  }
};

} // namespace
