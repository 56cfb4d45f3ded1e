//===- MergeIdenticalFunctions.cpp - one copy of each outlined body -------===//
//
// Part of kiln. Implements kiln-merge-identical-functions (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/x86/Outlining.h"
#include "backends/x86/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86MERGEIDENTICALFUNCTIONS
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr OperationEquivalence::Flags kIgnoreLocations =
    OperationEquivalence::IgnoreLocations;

/// A hash of what makes `func` what it is, its name aside: its type, its
/// attributes and each operation of its body (values ignored: the region
/// comparison checks how they connect).
llvm::hash_code structuralHash(func::FuncOp func) {
  llvm::hash_code hash = llvm::hash_combine(
      func.getFunctionType(), func->getDiscardableAttrDictionary(),
      func.getArgAttrsAttr(), func.getResAttrsAttr());
  for (Operation &op : func.getBody().getOps())
    hash = llvm::hash_combine(hash, kiln::x86::structureHash(&op));
  return hash;
}

bool areIdentical(func::FuncOp a, func::FuncOp b) {
  return a.getFunctionType() == b.getFunctionType() &&
         a->getDiscardableAttrDictionary() ==
             b->getDiscardableAttrDictionary() &&
         a.getArgAttrsAttr() == b.getArgAttrsAttr() &&
         a.getResAttrsAttr() == b.getResAttrsAttr() &&
         OperationEquivalence::isRegionEquivalentTo(&a.getBody(), &b.getBody(),
                                                    kIgnoreLocations);
}

/// Erases the private functions identical to an earlier one; returns the
/// replacement of each erased function's name by the kept one's.
DenseMap<StringAttr, StringAttr> mergeOnce(ModuleOp module) {
  llvm::MapVector<llvm::hash_code, SmallVector<func::FuncOp, 1>> buckets;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    if (func.isPrivate() && !func.isExternal())
      buckets[structuralHash(func)].push_back(func);

  DenseMap<StringAttr, StringAttr> renamed;
  for (auto &bucket : buckets) {
    SmallVector<func::FuncOp> kept;
    for (func::FuncOp func : bucket.second) {
      auto same = llvm::find_if(
          kept, [&](func::FuncOp k) { return areIdentical(k, func); });
      if (same == kept.end()) {
        kept.push_back(func);
        continue;
      }
      renamed[func.getSymNameAttr()] = same->getSymNameAttr();
      func.erase();
    }
  }
  return renamed;
}

/// Makes the addresses of globals a private function takes
/// (`llvm.mlir.addressof`: a run-time check's message, naming its layer's
/// node) arguments that its callers pass, so that layers differing only in
/// those merge and still report their own node. Only functions whose every
/// use is a direct call are changed.
void liftAddressesToArguments(ModuleOp module) {
  DenseMap<StringAttr, SmallVector<func::CallOp>> calls;
  DenseSet<StringAttr> otherUses;
  module.walk([&](Operation *op) {
    auto call = dyn_cast<func::CallOp>(op);
    if (call)
      calls[call.getCalleeAttr().getAttr()].push_back(call);
    op->getAttrDictionary().walk([&](FlatSymbolRefAttr ref) {
      if (!call || ref != call.getCalleeAttr())
        otherUses.insert(ref.getAttr());
    });
  });
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    if (!func.isPrivate() || func.isExternal() ||
        otherUses.contains(func.getSymNameAttr()))
      continue;
    SmallVector<LLVM::AddressOfOp> addresses;
    func.getBody().walk([&](LLVM::AddressOfOp op) { addresses.push_back(op); });
    if (addresses.empty())
      continue;
    for (LLVM::AddressOfOp address : addresses) {
      (void)func.insertArgument(func.getNumArguments(), address.getType(), {},
                                address.getLoc());
      address.replaceAllUsesWith(func.getArguments().back());
    }
    for (func::CallOp call : calls.lookup(func.getSymNameAttr())) {
      OpBuilder b(call);
      SmallVector<Value> operands(call.getOperands());
      for (LLVM::AddressOfOp address : addresses)
        operands.push_back(LLVM::AddressOfOp::create(
            b, call.getLoc(), address.getType(), address.getGlobalNameAttr()));
      auto lifted = func::CallOp::create(b, call.getLoc(), func, operands);
      lifted->setDiscardableAttrs(call->getDiscardableAttrDictionary());
      call.replaceAllUsesWith(lifted.getResults());
      call.erase();
    }
    for (LLVM::AddressOfOp address : addresses)
      address.erase();
  }
}

struct X86MergeIdenticalFunctions
    : mlir::tfm::impl::X86MergeIdenticalFunctionsBase<
          X86MergeIdenticalFunctions> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    liftAddressesToArguments(module);
    // Each round makes the callers of merged functions comparable; a
    // model's call depth (segments, parallel loops) is a few rounds.
    for (;;) {
      DenseMap<StringAttr, StringAttr> renamed = mergeOnce(module);
      if (renamed.empty())
        return;
      AttrTypeReplacer replacer;
      replacer.addReplacement(
          [&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
            auto it = renamed.find(ref.getAttr());
            if (it == renamed.end())
              return std::nullopt;
            return FlatSymbolRefAttr::get(it->second);
          });
      replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                            /*replaceLocs=*/false,
                                            /*replaceTypes=*/false);
    }
  }
};

} // namespace
