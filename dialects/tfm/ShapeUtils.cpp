//===- ShapeUtils.cpp - shape arithmetic shared by tfm ops ----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/ShapeUtils.h"
#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;

std::optional<SmallVector<int64_t>>
tfm::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the trailing dimension; missing leading dims act as 1.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1) {
      result[i] = db;
    } else if (db == 1) {
      result[i] = da;
    } else if (ShapedType::isDynamic(da)) {
      result[i] = db;
    } else if (ShapedType::isDynamic(db) || da == db) {
      result[i] = da;
    } else {
      return std::nullopt;
    }
  }
  return result;
}

LogicalResult tfm::inferBroadcastResult(std::optional<Location> loc,
                                        StringRef opName,
                                        TypeRange operandTypes,
                                        Type elementType,
                                        SmallVectorImpl<Type> &results) {
  SmallVector<int64_t> shape;
  Type commonElement;
  for (Type type : operandTypes) {
    auto tensor = cast<RankedTensorType>(type);
    if (!commonElement) {
      commonElement = tensor.getElementType();
      shape.assign(tensor.getShape().begin(), tensor.getShape().end());
      continue;
    }
    if (!elementType && tensor.getElementType() != commonElement)
      return emitOptionalError(loc, "'", opName,
                               "' op operands have different element types (",
                               commonElement, " vs ", tensor.getElementType(),
                               ")");
    std::optional<SmallVector<int64_t>> next =
        broadcastShapes(shape, tensor.getShape());
    if (!next)
      return emitOptionalError(loc, "'", opName,
                               "' op operand shapes do not broadcast: ",
                               type, " against ", formatShape(shape));
    shape = std::move(*next);
  }
  results.push_back(
      RankedTensorType::get(shape, elementType ? elementType : commonElement));
  return success();
}

bool tfm::areCompatibleTensorTypes(Type a, Type b) {
  auto ta = dyn_cast<RankedTensorType>(a);
  auto tb = dyn_cast<RankedTensorType>(b);
  if (!ta || !tb)
    return a == b;
  if (ta.getElementType() != tb.getElementType() ||
      ta.getRank() != tb.getRank())
    return false;
  for (auto [da, db] : llvm::zip(ta.getShape(), tb.getShape()))
    if (!ShapedType::isDynamic(da) && !ShapedType::isDynamic(db) && da != db)
      return false;
  return true;
}

bool tfm::areCompatibleReturnTypes(TypeRange inferred, TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [i, d] : llvm::zip(inferred, declared))
    if (!areCompatibleTensorTypes(i, d))
      return false;
  return true;
}

std::optional<SmallVector<int64_t>> tfm::getConstantIntValues(Value value) {
  DenseIntElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  values.reserve(attr.getNumElements());
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

std::optional<SmallVector<int64_t>> tfm::getShapeOperandDims(Value shape) {
  auto type = cast<RankedTensorType>(shape.getType());
  if (type.getRank() != 1 || type.isDynamicDim(0))
    return std::nullopt;
  if (std::optional<SmallVector<int64_t>> values = getConstantIntValues(shape)) {
    for (int64_t &v : *values)
      if (v < 0)
        v = ShapedType::kDynamic;
    return values;
  }
  // A shape assembled by concatenation (as exporters build them) is known
  // piece by piece: constant pieces give their entries.
  if (auto concat = shape.getDefiningOp<ConcatOp>()) {
    SmallVector<int64_t> dims;
    for (Value piece : concat.getInputs()) {
      std::optional<SmallVector<int64_t>> pieceDims =
          getShapeOperandDims(piece);
      if (!pieceDims)
        return SmallVector<int64_t>(type.getDimSize(0), ShapedType::kDynamic);
      llvm::append_range(dims, *pieceDims);
    }
    return dims;
  }
  // select(c, a, b) picks per entry between two shapes: an entry is known
  // where both agree. PyTorch's exporter builds Expand shapes this way,
  // replacing -1 entries (Where(Equal(shape, -1), ones, shape)).
  if (auto select = shape.getDefiningOp<SelectOp>()) {
    auto onTrue = dyn_cast<RankedTensorType>(select.getOnTrue().getType());
    auto onFalse = dyn_cast<RankedTensorType>(select.getOnFalse().getType());
    if (onTrue && onFalse && onTrue.getRank() == 1 && onFalse.getRank() == 1) {
      std::optional<SmallVector<int64_t>> a =
          onTrue.isDynamicDim(0) ? std::nullopt
                                 : getShapeOperandDims(select.getOnTrue());
      std::optional<SmallVector<int64_t>> b =
          onFalse.isDynamicDim(0) ? std::nullopt
                                  : getShapeOperandDims(select.getOnFalse());
      int64_t length = type.getDimSize(0);
      auto at = [&](const SmallVector<int64_t> &v, int64_t i) {
        return v.size() == 1 ? v[0] : v[i];
      };
      if (a && b && (a->size() == 1 || (int64_t)a->size() == length) &&
          (b->size() == 1 || (int64_t)b->size() == length)) {
        SmallVector<int64_t> dims;
        for (int64_t i = 0; i < length; ++i)
          dims.push_back(at(*a, i) == at(*b, i) ? at(*a, i)
                                                : ShapedType::kDynamic);
        return dims;
      }
    }
  }
  return SmallVector<int64_t>(type.getDimSize(0), ShapedType::kDynamic);
}

std::optional<SmallVector<tfm::ShapeEntry>>
tfm::getShapeOperandEntries(Value shape) {
  auto type = dyn_cast<RankedTensorType>(shape.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape())
    return std::nullopt;
  int64_t length = type.getRank() == 0 ? 1 : type.getDimSize(0);
  SmallVector<ShapeEntry> unknown(length);
  if (std::optional<SmallVector<int64_t>> values = getConstantIntValues(shape)) {
    SmallVector<ShapeEntry> entries;
    for (int64_t v : *values)
      entries.push_back({v, Value(), 0});
    return entries;
  }
  Operation *def = shape.getDefiningOp();
  if (!def)
    return unknown;
  if (auto op = dyn_cast<ShapeOp>(def)) {
    SmallVector<ShapeEntry> entries;
    for (int64_t i = 0; i < length; ++i)
      entries.push_back({std::nullopt, op.getInput(),
                         static_cast<int64_t>(op.getStart()) + i});
    return entries;
  }
  if (auto op = dyn_cast<ConcatOp>(def)) {
    SmallVector<ShapeEntry> entries;
    for (Value piece : op.getInputs()) {
      std::optional<SmallVector<ShapeEntry>> p = getShapeOperandEntries(piece);
      if (!p)
        return unknown;
      llvm::append_range(entries, *p);
    }
    return entries.size() == unknown.size() ? entries : unknown;
  }
  if (auto op = dyn_cast<UnsqueezeOp>(def)) {
    std::optional<SmallVector<ShapeEntry>> e =
        getShapeOperandEntries(op.getInput());
    return e && e->size() == unknown.size() ? *e : unknown;
  }
  // Entries picked by constant indices (gather) or a constant range
  // (slice, step 1) of a traced shape.
  std::optional<SmallVector<int64_t>> picks;
  Value from;
  if (auto op = dyn_cast<GatherOp>(def); op && op.getAxis() == 0) {
    from = op.getInput();
    picks = getConstantIntValues(op.getIndices());
  } else if (auto op = dyn_cast<SliceOp>(def);
             op && op.getAxes() == ArrayRef<int64_t>{0} &&
             op.getSteps() == ArrayRef<int64_t>{1}) {
    from = op.getInput();
    std::optional<SmallVector<int64_t>> starts =
        getConstantIntValues(op.getStarts());
    auto fromType = dyn_cast<RankedTensorType>(from.getType());
    if (starts && starts->size() == 1 && fromType && fromType.hasStaticShape()) {
      int64_t start = sliceStart(fromType.getDimSize(0), (*starts)[0], 1);
      picks = llvm::to_vector(llvm::seq<int64_t>(start, start + length));
    }
  }
  if (!from || !picks || static_cast<int64_t>(picks->size()) != length)
    return unknown;
  std::optional<SmallVector<ShapeEntry>> source = getShapeOperandEntries(from);
  if (!source)
    return unknown;
  SmallVector<ShapeEntry> entries;
  for (int64_t i : *picks) {
    if (i < 0)
      i += source->size();
    if (i < 0 || i >= static_cast<int64_t>(source->size()))
      return unknown;
    entries.push_back((*source)[i]);
  }
  return entries;
}

std::optional<int64_t>
tfm::inferReshapeWildcard(Value input, ArrayRef<ShapeEntry> entries) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type)
    return std::nullopt;
  SmallVector<bool> copied(type.getRank(), false);
  int64_t wildcards = 0, known = 1;
  for (const ShapeEntry &e : entries) {
    if (e.constant == -1) {
      ++wildcards;
    } else if (e.constant) {
      if (*e.constant <= 0)
        return std::nullopt; // 0 copies a dim in ONNX; leave it to run time.
      known *= *e.constant;
    } else if (e.of == input && e.dim >= 0 && e.dim < type.getRank() &&
               !copied[e.dim]) {
      copied[e.dim] = true;
    } else {
      return std::nullopt;
    }
  }
  if (wildcards != 1)
    return std::nullopt;
  int64_t rest = 1;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (copied[d])
      continue;
    if (type.isDynamicDim(d))
      return std::nullopt;
    rest *= type.getDimSize(d);
  }
  if (rest % known != 0)
    return std::nullopt;
  return rest / known;
}

bool tfm::isSortedUniqueAxes(ArrayRef<int64_t> axes, int64_t rank) {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank)
      return false;
    if (i > 0 && axes[i] <= axes[i - 1])
      return false;
  }
  return true;
}

std::string tfm::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  if (shape.empty())
    os << "scalar";
  return text;
}

int64_t tfm::sliceStart(int64_t dim, int64_t start, int64_t step) {
  if (dim == 0)
    return 0;
  if (start < 0)
    start += dim;
  return step > 0 ? std::clamp<int64_t>(start, 0, dim)
                  : std::clamp<int64_t>(start, 0, dim - 1);
}

int64_t tfm::sliceSize(int64_t dim, int64_t start, int64_t end,
                       int64_t step) {
  if (dim == 0)
    return 0;
  start = sliceStart(dim, start, step);
  if (end < 0)
    end += dim;
  if (step > 0) {
    end = std::clamp<int64_t>(end, 0, dim);
    return std::max<int64_t>(0, (end - start + step - 1) / step);
  }
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return std::max<int64_t>(0, (start - end - step - 1) / -step);
}

int64_t tfm::equalSplitSize(int64_t dim, int64_t pieces, int64_t index) {
  int64_t chunk = (dim + pieces - 1) / pieces;
  return std::clamp<int64_t>(dim - chunk * index, 0, chunk);
}

std::string tfm::formatDim(int64_t dim) {
  return ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
}
