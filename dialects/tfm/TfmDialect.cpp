//===- TfmDialect.cpp - tfm dialect registration --------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmDialect.h"
#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::tfm;

#include "dialects/tfm/TfmDialect.cpp.inc"
#include "dialects/tfm/TfmEnums.cpp.inc"

void TfmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/tfm/TfmOps.cpp.inc"
      >();
}

Operation *TfmDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

/// Checks one of the signature attributes (TfmDialect.h) on a value of
/// type `type`; `what` names the value in messages.
static LogicalResult verifySignatureAttribute(Operation *op,
                                              NamedAttribute attr, Type type,
                                              const Twine &what) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  if (name == kNameAttrName) {
    auto string = dyn_cast<StringAttr>(value);
    if (!string || string.getValue().empty())
      return op->emitOpError() << "'" << name << "' of " << what
                               << " must be a non-empty string";
    return success();
  }
  if (name == kDimsAttrName) {
    auto dims = dyn_cast<ArrayAttr>(value);
    if (!dims || !llvm::all_of(dims, [](Attribute dim) {
          return isa<StringAttr, IntegerAttr>(dim);
        }))
      return op->emitOpError() << "'" << name << "' of " << what
                               << " must be an array of dim names (strings) "
                                  "and sizes (integers)";
    auto shaped = dyn_cast<ShapedType>(type);
    if (shaped && shaped.hasRank() &&
        static_cast<int64_t>(dims.size()) != shaped.getRank())
      return op->emitOpError()
             << "'" << name << "' of " << what << " has " << dims.size()
             << " entries for a value of rank " << shaped.getRank();
    return success();
  }
  if (name == kWeightAttrName) {
    auto weight = dyn_cast<ElementsAttr>(value);
    if (!weight || weight.getType() != type)
      return op->emitOpError() << "'" << name << "' of " << what
                               << " must be an elements attribute of type "
                               << type;
    return success();
  }
  if (name == kCacheAttrName) {
    auto shaped = dyn_cast<RankedTensorType>(type);
    if (!isa<UnitAttr>(value) || !shaped || shaped.getRank() != 4)
      return op->emitOpError() << "'" << name << "' of " << what
                               << " must be a unit attribute on a rank-4 "
                                  "tensor ([batch, heads, context, dim])";
    return success();
  }
  if (name == kCacheLengthsAttrName) {
    auto dict = dyn_cast<DictionaryAttr>(value);
    auto shaped = dyn_cast<RankedTensorType>(type);
    auto limit = dict ? dict.getAs<IntegerAttr>("context_limit") : nullptr;
    if (!limit || limit.getInt() <= 0 || !dict.getAs<StringAttr>("step") ||
        !shaped || shaped.getRank() != 1 ||
        !shaped.getElementType().isInteger(64))
      return op->emitOpError()
             << "'" << name << "' of " << what
             << " must be {context_limit = N > 0, step = \"DIM\"} on a "
                "rank-1 i64 tensor";
    return success();
  }
  return op->emitOpError() << "unknown tfm attribute '" << name << "' on "
                           << what;
}

/// The type of argument `index` or result `index` of `op`'s region
/// `region`, when `op` is a function.
static Type signatureType(Operation *op, unsigned region, unsigned index,
                          bool result) {
  if (result) {
    if (auto func = dyn_cast<FunctionOpInterface>(op))
      if (index < func.getNumResults())
        return func.getResultTypes()[index];
    return Type();
  }
  if (region < op->getNumRegions() && !op->getRegion(region).empty() &&
      index < op->getRegion(region).getNumArguments())
    return op->getRegion(region).getArgument(index).getType();
  if (auto func = dyn_cast<FunctionOpInterface>(op))
    if (index < func.getNumArguments())
      return func.getArgumentTypes()[index];
  return Type();
}

LogicalResult TfmDialect::verifyRegionArgAttribute(Operation *op,
                                                   unsigned regionIndex,
                                                   unsigned argIndex,
                                                   NamedAttribute attr) {
  return verifySignatureAttribute(
      op, attr, signatureType(op, regionIndex, argIndex, /*result=*/false),
      "argument " + Twine(argIndex));
}

LogicalResult TfmDialect::verifyRegionResultAttribute(Operation *op,
                                                      unsigned regionIndex,
                                                      unsigned resultIndex,
                                                      NamedAttribute attr) {
  if (attr.getName() == kWeightAttrName)
    return op->emitOpError() << "'" << kWeightAttrName
                             << "' belongs on arguments, not on result "
                             << resultIndex;
  return verifySignatureAttribute(
      op, attr, signatureType(op, regionIndex, resultIndex, /*result=*/true),
      "result " + Twine(resultIndex));
}
