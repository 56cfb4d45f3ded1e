//===- SpecializeShapes.cpp - static shapes for function arguments --------===//
//
// Part of kiln. Implements the tfm-specialize-shapes pass.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/tfm/Passes.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSPECIALIZESHAPES
#include "passes/tfm/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Parses `2x?x64` into dims; `?` is dynamic. Returns failure on junk.
FailureOr<SmallVector<int64_t>> parseDims(StringRef text) {
  SmallVector<int64_t> dims;
  SmallVector<StringRef> parts;
  text.split(parts, 'x');
  for (StringRef part : parts) {
    part = part.trim();
    if (part == "?") {
      dims.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return failure();
    dims.push_back(dim);
  }
  return dims;
}

struct TfmSpecializeShapes
    : mlir::tfm::impl::TfmSpecializeShapesBase<TfmSpecializeShapes> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Type> inputs(func.getArgumentTypes());
    for (const std::string &entry : shapes) {
      auto [name, dimsText] = StringRef(entry).split('=');
      FailureOr<SmallVector<int64_t>> dims = parseDims(dimsText);
      if (dimsText.empty() || failed(dims)) {
        func.emitError("malformed shape '")
            << entry << "': expected NAME=D0xD1x... with sizes or '?'";
        return signalPassFailure();
      }
      std::optional<unsigned> index = findArgument(func, name);
      if (!index) {
        func.emitError("no input named '") << name << "' in @"
                                           << func.getSymName();
        return signalPassFailure();
      }
      auto type = cast<RankedTensorType>(inputs[*index]);
      auto specialized = type.clone(*dims);
      if (!areCompatibleTensorTypes(type, specialized)) {
        func.emitError("input '")
            << name << "' has type " << type << "; shape "
            << formatShape(*dims) << " does not fit it";
        return signalPassFailure();
      }
      inputs[*index] = specialized;
      func.getArgument(*index).setType(specialized);
    }
    func.setType(FunctionType::get(&getContext(), inputs,
                                   func.getResultTypes()));
  }

  /// The argument whose `tfm.name` is `name`, or `argN` by position.
  static std::optional<unsigned> findArgument(func::FuncOp func,
                                              StringRef name) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (auto attr = func.getArgAttrOfType<StringAttr>(i, kNameAttrName))
        if (attr.getValue() == name)
          return i;
    unsigned index;
    if (name.consume_front("arg") && !name.getAsInteger(10, index) &&
        index < func.getNumArguments())
      return index;
    return std::nullopt;
  }
};

} // namespace
