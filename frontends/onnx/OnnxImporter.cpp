//===- OnnxImporter.cpp - ONNX graph to a tfm function --------------------===//
//
// Part of kiln. Walks the ONNX graph in order: graph inputs become function
// arguments, initializers become constants, each node goes through the
// converter registered for its (domain, op type), and graph outputs are
// returned.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/ImportContext.h"
#include "frontends/onnx/OnnxLoader.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace kiln::onnx_import;

/// Tensors up to this many elements become `dense` attributes, which folding
/// can read; larger ones (weights) become `dense_resource` blobs.
static constexpr int64_t kMaxDenseElements = 1024;

/// TensorProto's UINT4 and INT4 (onnx 1.16), newer than Debian's libonnx.
static constexpr int kOnnxUint4 = 21, kOnnxInt4 = 22;

Type kiln::onnx_import::convertElementType(MLIRContext *context,
                                           int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case kOnnxInt4:
    return b.getIntegerType(4);
  case kOnnxUint4:
    return b.getIntegerType(4, /*isSigned=*/false);
  default:
    return {};
  }
}

static std::string dataTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(onnxType));
  return "type " + std::to_string(onnxType);
}

namespace {

/// A read-only mapping of an external data file, shared by the blobs that
/// point into it and unmapped when the last one goes.
struct MappedFile {
  void *address = nullptr;
  size_t size = 0;
  ~MappedFile() {
    if (address)
      ::munmap(address, size);
  }
};

} // namespace

namespace kiln::onnx_import {

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, onnx::ModelProto &model,
                const ImportOptions &options)
      : context(context), model(model), options(options), builder(context) {
    addOnnxConverters(converters);
    addMicrosoftConverters(converters);
    addQuantizedConverters(converters);
    for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
      std::string domain = opset.domain() == "ai.onnx" ? "" : opset.domain();
      opsets[domain] = opset.version();
    }
  }

  OwningOpRef<ModuleOp> run();

  OpBuilder &getBuilder() { return builder; }
  Value lookup(StringRef name) const { return values.lookup(name); }
  void define(StringRef name, Value value) { values[name] = value; }
  Location fileLoc() const {
    return FileLineColLoc::get(context, options.modelPath, 0, 0);
  }

private:
  LogicalResult checkSupported();
  LogicalResult importInputs(SmallVectorImpl<Type> &argTypes,
                             SmallVectorImpl<std::string> &argNames,
                             SmallVectorImpl<ArrayAttr> &argDims);
  /// The symbolic names of a value's dims ("" where a dim has none), or
  /// null when none is named.
  ArrayAttr dimNames(const onnx::ValueInfoProto &value);
  LogicalResult importInitializers();
  LogicalResult importNodes();
  FailureOr<ElementsAttr> convertTensor(onnx::TensorProto &tensor,
                                        Location loc);
  FailureOr<AsmResourceBlob> externalBlob(const onnx::TensorProto &tensor,
                                          size_t byteSize, Location loc);
  static std::string nodeName(const onnx::NodeProto &node, int index);
  /// The IR version, opsets and outputs are ones kiln (and ONNX Runtime)
  /// accepts.
  LogicalResult checkModelHeader();
  /// The inputs `n`'s op requires are given.
  LogicalResult checkRequiredInputs(NodeImporter &n, StringRef domain);
  /// Each graph output's declared element type is what its node produces.
  LogicalResult checkOutputTypes(ArrayRef<Value> results);
  std::optional<int64_t> opsetOf(StringRef domain) const;

  MLIRContext *context;
  onnx::ModelProto &model;
  const ImportOptions &options;
  OpBuilder builder;
  ConverterTable converters;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<Value> values;
  llvm::StringMap<std::shared_ptr<MappedFile>> mappedFiles;
  friend class kiln::onnx_import::NodeImporter;
};

} // namespace kiln::onnx_import

std::string GraphImporter::nodeName(const onnx::NodeProto &node, int index) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + "_" + std::to_string(index);
}

std::optional<int64_t> GraphImporter::opsetOf(StringRef domain) const {
  auto it = opsets.find(domain == "ai.onnx" ? "" : domain);
  if (it == opsets.end())
    return std::nullopt;
  return it->second;
}

LogicalResult GraphImporter::checkSupported() {
  // Report every unsupported op of the model at once, not just the first.
  unsigned unsupported = 0;
  llvm::StringSet<> kinds;
  const onnx::GraphProto &graph = model.graph();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    std::string key =
        domain.empty() ? node.op_type() : domain + ":" + node.op_type();
    std::optional<int64_t> opset = opsetOf(domain);
    if (converters.count(key) && opset)
      continue;
    ++unsupported;
    kinds.insert(key);
    InFlightDiagnostic diag = emitError(fileLoc())
                              << "unsupported ONNX op '" << node.op_type()
                              << "' (domain '"
                              << (domain.empty() ? "ai.onnx" : domain) << "'";
    if (opset)
      diag << ", opset " << *opset;
    else
      diag << ", which the model does not import";
    diag << ") at node '" << nodeName(node, i) << "'";
  }
  if (!unsupported)
    return success();
  SmallVector<StringRef> names(kinds.keys());
  llvm::sort(names);
  emitError(fileLoc()) << unsupported << " unsupported op"
                       << (unsupported == 1 ? "" : "s") << " ("
                       << llvm::join(names, ", ") << "); nothing imported";
  return failure();
}

ArrayAttr GraphImporter::dimNames(const onnx::ValueInfoProto &value) {
  if (!value.type().has_tensor_type() ||
      !value.type().tensor_type().has_shape())
    return {};
  SmallVector<Attribute> names;
  bool any = false;
  for (const auto &dim : value.type().tensor_type().shape().dim()) {
    names.push_back(builder.getStringAttr(dim.dim_param()));
    any |= !dim.dim_param().empty();
  }
  return any ? builder.getArrayAttr(names) : ArrayAttr();
}

LogicalResult
GraphImporter::importInputs(SmallVectorImpl<Type> &argTypes,
                            SmallVectorImpl<std::string> &argNames,
                            SmallVectorImpl<ArrayAttr> &argDims) {
  const onnx::GraphProto &graph = model.graph();
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &init : graph.initializer())
    initializers.insert(init.name());
  for (const onnx::ValueInfoProto &input : graph.input()) {
    // Before IR version 4, initializers were listed as inputs too.
    if (initializers.contains(input.name()))
      continue;
    auto fail = [&](const Twine &why) {
      return emitError(fileLoc())
             << "graph input '" << input.name() << "' " << why;
    };
    if (!input.type().has_tensor_type())
      return fail("is not a tensor (sequences and maps are not supported)");
    const onnx::TypeProto::Tensor &tensor = input.type().tensor_type();
    Type element = convertElementType(context, tensor.elem_type());
    if (!element)
      return fail("has unsupported element type " +
                  dataTypeName(tensor.elem_type()));
    if (!tensor.has_shape())
      return fail("has no rank; give it one in the model (kiln needs "
                  "ranked inputs)");
    SmallVector<int64_t> shape;
    for (const onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
      if (dim.has_dim_value() && dim.dim_value() < 0)
        return fail("has a negative dimension " +
                    Twine(dim.dim_value()) + " in its shape");
      shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                          : ShapedType::kDynamic);
    }
    argTypes.push_back(RankedTensorType::get(shape, element));
    argNames.push_back(input.name());
    argDims.push_back(dimNames(input));
  }
  return success();
}

FailureOr<AsmResourceBlob>
GraphImporter::externalBlob(const onnx::TensorProto &tensor, size_t byteSize,
                            Location loc) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t &field = entry.key() == "offset" ? offset : length;
      if (StringRef(entry.value()).getAsInteger(10, field) || field < 0)
        return emitError(loc) << "initializer '" << tensor.name()
                              << "' has external data with " << entry.key()
                              << " '" << entry.value()
                              << "', not a non-negative integer";
    }
  }
  if (location.empty())
    return emitError(loc) << "initializer '" << tensor.name()
                          << "' has external data without a location";
  SmallString<256> path(llvm::sys::path::parent_path(options.modelPath));
  llvm::sys::path::append(path, location);
  std::shared_ptr<MappedFile> &mapped = mappedFiles[path];
  if (!mapped) {
    int fd = ::open(path.c_str(), O_RDONLY);
    struct stat info;
    if (fd < 0 || ::fstat(fd, &info) != 0) {
      if (fd >= 0)
        ::close(fd);
      return emitError(loc) << "external data file '" << path
                            << "' of initializer '" << tensor.name()
                            << "' cannot be opened: " << std::strerror(errno);
    }
    auto file = std::make_shared<MappedFile>();
    file->size = info.st_size;
    if (file->size)
      file->address =
          ::mmap(nullptr, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (file->address == MAP_FAILED) {
      file->address = nullptr;
      return emitError(loc) << "cannot map external data file '" << path
                            << "'";
    }
    mapped = file;
  }
  if (length >= 0 && static_cast<size_t>(length) != byteSize)
    return emitError(loc) << "initializer '" << tensor.name() << "' needs "
                          << byteSize << " bytes but its external data has "
                          << length;
  if (static_cast<size_t>(offset) > mapped->size ||
      byteSize > mapped->size - static_cast<size_t>(offset))
    return emitError(loc) << "external data file '" << path
                          << "' is too short for initializer '"
                          << tensor.name() << "' (truncated?)";
  const char *data = static_cast<const char *>(mapped->address) + offset;
  // Alignment the blob can promise: the largest power of two (up to 64)
  // dividing the address.
  size_t align = 64;
  while (reinterpret_cast<uintptr_t>(data) % align)
    align /= 2;
  std::shared_ptr<MappedFile> keepAlive = mapped;
  return AsmResourceBlob(
      ArrayRef<char>(data, byteSize), align,
      [keepAlive](void *, size_t, size_t) mutable { keepAlive.reset(); },
      /*dataIsMutable=*/false);
}

/// Copies the typed repeated fields of a TensorProto into little-endian
/// bytes of the element type, as raw_data holds them.
static std::string typedFieldBytes(const onnx::TensorProto &t,
                                   unsigned byteWidth) {
  std::string bytes;
  auto append = [&](auto value, unsigned width) {
    bytes.append(reinterpret_cast<const char *>(&value), width);
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    for (float v : t.float_data())
      append(v, 4);
    break;
  case onnx::TensorProto::DOUBLE:
    for (double v : t.double_data())
      append(v, 8);
    break;
  case onnx::TensorProto::INT64:
    for (int64_t v : t.int64_data())
      append(v, 8);
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    for (uint64_t v : t.uint64_data())
      append(v, byteWidth);
    break;
  default: // Narrow ints, bool, float16 and bfloat16 live in int32_data.
    for (int32_t v : t.int32_data())
      append(v, byteWidth);
    break;
  }
  return bytes;
}

FailureOr<ElementsAttr> GraphImporter::convertTensor(onnx::TensorProto &t,
                                                     Location loc) {
  Type element = convertElementType(context, t.data_type());
  if (!element)
    return emitError(loc) << "tensor '" << t.name()
                          << "' has unsupported element type "
                          << dataTypeName(t.data_type());
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  unsigned width = element.isInteger(1)
                       ? 1
                       : llvm::divideCeil(element.getIntOrFloatBitWidth(), 8);
  // Sizes from the file: no negative dim, and a byte size that fits.
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return emitError(loc) << "tensor '" << t.name() << "' has shape "
                            << mlir::tfm::formatShape(shape)
                            << " with a negative dimension";
    if (d && count > std::numeric_limits<int64_t>::max() / width / d)
      return emitError(loc) << "tensor '" << t.name() << "' has shape "
                            << mlir::tfm::formatShape(shape)
                            << ", too large to address";
    count *= d;
  }
  auto type = RankedTensorType::get(shape, element);
  // 4-bit integers come two to a byte, the first in the low nibble; kiln
  // holds them one to a byte (sign-extended for int4), in a blob.
  bool nibbles = element.isInteger(4);
  size_t byteSize = nibbles ? (static_cast<size_t>(count) + 1) / 2
                            : static_cast<size_t>(count) * width;
  auto unpacked = [&](ArrayRef<char> packed) {
    std::vector<int8_t> values(count);
    for (int64_t i = 0; i < count; ++i) {
      int8_t nibble = (static_cast<uint8_t>(packed[i / 2]) >> (4 * (i % 2))) &
                      0xF;
      values[i] = element.isUnsignedInteger() || nibble < 8
                      ? nibble
                      : static_cast<int8_t>(nibble - 16);
    }
    return ElementsAttr(DenseResourceElementsAttr::get(
        type, t.name(),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<int8_t>(values))));
  };

  bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  if (external) {
    FailureOr<AsmResourceBlob> blob = externalBlob(t, byteSize, loc);
    if (failed(blob))
      return failure();
    if (nibbles)
      return unpacked(blob->getData());
    if (count <= kMaxDenseElements && !element.isInteger(1))
      return ElementsAttr(DenseElementsAttr::getFromRawBuffer(
          type, blob->getData()));
    return ElementsAttr(
        DenseResourceElementsAttr::get(type, t.name(), std::move(*blob)));
  }

  // Take the protobuf's buffer over when it holds raw data: no copy.
  std::string *raw = t.has_raw_data() ? t.release_raw_data() : nullptr;
  std::string bytes = raw ? std::string() : typedFieldBytes(t, width);
  std::string &data = raw ? *raw : bytes;
  if (data.size() != byteSize) {
    size_t held = data.size(); // `data` may be *raw.
    delete raw;
    return emitError(loc) << "tensor '" << t.name() << "' holds " << held
                          << " bytes but its shape "
                          << mlir::tfm::formatShape(shape) << " needs "
                          << byteSize;
  }
  if (nibbles) {
    ElementsAttr values = unpacked(ArrayRef<char>(data.data(), data.size()));
    delete raw;
    return values;
  }
  if (element.isInteger(1)) {
    // ONNX stores one byte per bool; MLIR's dense i1 is bit-packed.
    SmallVector<bool> bits;
    for (char c : data)
      bits.push_back(c != 0);
    delete raw;
    return ElementsAttr(DenseElementsAttr::get(type, bits));
  }
  if (count <= kMaxDenseElements) {
    auto dense = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(data.data(), data.size()));
    delete raw;
    return ElementsAttr(dense);
  }
  if (!raw)
    raw = new std::string(std::move(bytes));
  ArrayRef<char> view(raw->data(), raw->size());
  AsmResourceBlob blob(
      view, alignof(std::max_align_t),
      [raw](void *, size_t, size_t) { delete raw; },
      /*dataIsMutable=*/false);
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, t.name(), std::move(blob)));
}

LogicalResult GraphImporter::importInitializers() {
  onnx::GraphProto *graph = model.mutable_graph();
  for (onnx::TensorProto &init : *graph->mutable_initializer()) {
    // Diagnostics name the initializer themselves; NameLocs mark nodes.
    Location loc = fileLoc();
    FailureOr<ElementsAttr> value = convertTensor(init, loc);
    if (failed(value))
      return failure();
    define(init.name(),
           mlir::tfm::ConstantOp::create(builder, loc, *value));
  }
  return success();
}

LogicalResult GraphImporter::importNodes() {
  onnx::GraphProto *graph = model.mutable_graph();
  for (int i = 0; i < graph->node_size(); ++i) {
    const onnx::NodeProto &node = graph->node(i);
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    std::string key =
        domain.empty() ? node.op_type() : domain + ":" + node.op_type();
    std::string name = nodeName(node, i);
    Location loc = NameLoc::get(StringAttr::get(context, name), fileLoc());
    for (const std::string &input : node.input())
      if (!input.empty() && !values.count(input))
        return emitError(loc) << "node '" << name << "' (" << node.op_type()
                              << ") reads '" << input
                              << "', which no earlier node produces";
    NodeImporter importer(*this, node, *opsetOf(domain), loc);
    // Required inputs given (the checker does not run on every model, and
    // converters read them unguarded).
    if (failed(checkRequiredInputs(importer, domain)))
      return failure();
    // Before opset 7, binary ops broadcast by attribute (not NumPy-style)
    // and some ops took consumed_inputs: semantics kiln does not implement.
    if (domain.empty() && *opsetOf(domain) < 7)
      for (const onnx::AttributeProto &a : node.attribute())
        if (a.name() == "broadcast" || a.name() == "consumed_inputs")
          return importer.fail("has the attribute '" + a.name() +
                               "' of opsets before 7, whose semantics kiln "
                               "does not implement; convert the model to "
                               "opset 7 or later");
    if (failed(converters.lookup(key)(importer)))
      return failure();
    for (int o = 0; o < node.output_size(); ++o)
      if (!node.output(o).empty() && !values.count(node.output(o)))
        return importer.fail("output " + std::to_string(o) + " ('" +
                             node.output(o) + "') is not supported");
  }
  return success();
}

/// Inputs needed by the ops kiln imports that Debian's libonnx (1.12) has
/// no schema for: ORT's com.microsoft contrib ops (also
/// SimplifiedLayerNormalization as ORT writes it in the default domain)
/// and ai.onnx ops newer than opset 17.
static std::optional<ArrayRef<int>> knownRequiredInputs(StringRef key) {
  static const llvm::StringMap<std::vector<int>> table = {
      {"com.microsoft:Gelu", {0}},
      {"com.microsoft:BiasGelu", {0, 1}},
      {"com.microsoft:FastGelu", {0}},
      {"com.microsoft:SkipLayerNormalization", {0, 1, 2}},
      {"com.microsoft:SkipSimplifiedLayerNormalization", {0, 1, 2}},
      {"com.microsoft:SimplifiedLayerNormalization", {0, 1}},
      {"SimplifiedLayerNormalization", {0, 1}},
      {"com.microsoft:EmbedLayerNormalization", {0, 2, 3, 5, 6}},
      {"com.microsoft:Attention", {0, 1}},
      {"com.microsoft:MultiHeadAttention", {0}},
      {"Gelu", {0}},
  };
  auto it = table.find(key);
  if (it == table.end())
    return std::nullopt;
  return ArrayRef<int>(it->second);
}

LogicalResult GraphImporter::checkRequiredInputs(NodeImporter &n,
                                                 StringRef domain) {
  const onnx::NodeProto &node = n.node();
  std::string key = domain.empty() ? node.op_type()
                                   : (domain + ":" + node.op_type()).str();
  SmallVector<int> required;
  if (std::optional<ArrayRef<int>> known = knownRequiredInputs(key)) {
    llvm::append_range(required, *known);
  } else if (std::optional<std::vector<bool>> formal =
                 requiredInputs(node.op_type(), domain, n.opset())) {
    for (auto [i, needed] : llvm::enumerate(*formal))
      if (needed)
        required.push_back(static_cast<int>(i));
  } else {
    required.push_back(0); // Every other op kiln imports reads input 0.
  }
  for (int i : required)
    if (!n.hasInput(i))
      return n.fail("input " + Twine(i) +
                    " is required but the node does not give it");
  return success();
}

LogicalResult GraphImporter::checkModelHeader() {
  // What ONNX Runtime 1.32 accepts: IR versions up to 14, ai.onnx opsets
  // up to 28 (older ones op by op: legacy attributes are refused at their
  // node).
  constexpr int64_t kMinIrVersion = 3, kMaxIrVersion = 14;
  constexpr int64_t kMinOpset = 1, kMaxOpset = 28;
  if (!model.has_ir_version() || model.ir_version() < kMinIrVersion ||
      model.ir_version() > kMaxIrVersion)
    return emitError(fileLoc())
           << "the model's IR version " << model.ir_version()
           << " is not supported (kiln reads IR versions " << kMinIrVersion
           << " to " << kMaxIrVersion << ")";
  std::optional<int64_t> opset = opsetOf("");
  if (opset && (*opset < kMinOpset || *opset > kMaxOpset))
    return emitError(fileLoc())
           << "the model imports ai.onnx opset " << *opset
           << ", which kiln does not support (opsets " << kMinOpset << " to "
           << kMaxOpset << ")";
  const onnx::GraphProto &graph = model.graph();
  if (graph.output_size() == 0)
    return emitError(fileLoc()) << "the graph has no outputs";
  llvm::StringSet<> names;
  for (const onnx::ValueInfoProto &output : graph.output())
    if (!names.insert(output.name()).second)
      return emitError(fileLoc())
             << "the graph lists output '" << output.name() << "' twice";
  return success();
}

LogicalResult GraphImporter::checkOutputTypes(ArrayRef<Value> results) {
  const onnx::GraphProto &graph = model.graph();
  for (auto [output, value] : llvm::zip(graph.output(), results)) {
    if (!output.type().has_tensor_type() ||
        !output.type().tensor_type().elem_type())
      continue;
    Type declared =
        convertElementType(context, output.type().tensor_type().elem_type());
    Type produced = cast<RankedTensorType>(value.getType()).getElementType();
    if (declared && declared != produced) {
      std::string producedName;
      llvm::raw_string_ostream(producedName) << produced;
      return emitError(fileLoc())
             << "graph output '" << output.name() << "' is declared "
             << dataTypeName(output.type().tensor_type().elem_type())
             << " but its node produces " << producedName;
    }
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  context->loadDialect<mlir::tfm::TfmDialect, func::FuncDialect>();
  const onnx::GraphProto &graph = model.graph();
  if (failed(checkModelHeader()) || failed(checkSupported()))
    return nullptr;

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<ArrayAttr> argDims;
  if (failed(importInputs(argTypes, argNames, argDims)))
    return nullptr;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc(), options.functionName,
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, mlir::tfm::kNameAttrName, builder.getStringAttr(name));
    if (argDims[i])
      func.setArgAttr(i, mlir::tfm::kDimsAttrName, argDims[i]);
    define(name, entry->getArgument(i));
  }
  builder.setInsertionPointToStart(entry);
  if (failed(importInitializers()) || failed(importNodes()))
    return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value value = lookup(output.name());
    if (!value) {
      emitError(fileLoc()) << "graph output '" << output.name()
                           << "' is not produced by any node";
      return nullptr;
    }
    results.push_back(value);
  }
  if (failed(checkOutputTypes(results)))
    return nullptr;
  func::ReturnOp::create(builder, fileLoc(), results);
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (int i = 0; i < graph.output_size(); ++i) {
    func.setResultAttr(i, mlir::tfm::kNameAttrName,
                       builder.getStringAttr(graph.output(i).name()));
    if (ArrayAttr names = dimNames(graph.output(i)))
      func.setResultAttr(i, mlir::tfm::kDimsAttrName, names);
  }
  return module;
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

NodeImporter::NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
                           int64_t opset, Location loc)
    : graph(graph), nodeProto(node), opsetVersion(opset), location(loc) {}

OpBuilder &NodeImporter::builder() { return graph.getBuilder(); }

bool NodeImporter::hasInput(unsigned i) const {
  return i < numInputs() && !nodeProto.input(i).empty();
}

Value NodeImporter::input(unsigned i) const {
  return hasInput(i) ? graph.lookup(nodeProto.input(i)) : Value();
}

RankedTensorType NodeImporter::inputType(unsigned i) const {
  return cast<RankedTensorType>(input(i).getType());
}

std::optional<SmallVector<int64_t>>
NodeImporter::constantInts(unsigned i) const {
  if (!hasInput(i))
    return std::nullopt;
  return mlir::tfm::getConstantIntValues(input(i));
}

std::optional<double> NodeImporter::constantScalar(unsigned i) const {
  DenseElementsAttr attr;
  if (!hasInput(i) || !matchPattern(input(i), m_Constant(&attr)) ||
      attr.getNumElements() != 1)
    return std::nullopt;
  if (isa<FloatType>(attr.getElementType()))
    return (*attr.getValues<APFloat>().begin()).convertToDouble();
  return static_cast<double>((*attr.getValues<APInt>().begin()).getSExtValue());
}

ArrayRef<char> NodeImporter::constantBytes(unsigned i, StringRef what,
                                           std::vector<char> &storage) const {
  ArrayRef<char> bytes;
  if (hasInput(i))
    if (auto constant = input(i).getDefiningOp<mlir::tfm::ConstantOp>())
      bytes = mlir::tfm::getWeightBytes(constant.getValue(), storage);
  if (bytes.empty())
    (void)fail(Twine(what) + " must be a constant (an initializer)");
  return bytes;
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : nodeProto.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::intAttr(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float NodeImporter::floatAttr(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : defaultValue;
}

std::string NodeImporter::stringAttr(StringRef name,
                                     StringRef defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : defaultValue.str();
}

std::optional<SmallVector<int64_t>>
NodeImporter::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

bool NodeImporter::hasOutput(unsigned i) const {
  return i < numOutputs() && !nodeProto.output(i).empty();
}

void NodeImporter::setOutput(unsigned i, Value value) {
  if (hasOutput(i))
    graph.define(nodeProto.output(i), value);
}

InFlightDiagnostic NodeImporter::emitError() const {
  return mlir::emitError(location)
         << "node '" << cast<NameLoc>(location).getName().getValue() << "' ("
         << nodeProto.op_type() << "): ";
}

LogicalResult NodeImporter::fail(const Twine &message) const {
  return emitError() << message;
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis,
                                               int64_t rank) const {
  if (axis < -rank || axis >= rank)
    return fail("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>>
NodeImporter::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank) const {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    result.push_back(*a);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end())
    return fail("repeats an axis");
  return result;
}

FailureOr<ElementsAttr> NodeImporter::convertTensor(onnx::TensorProto &tensor) {
  return graph.convertTensor(tensor, location);
}

Value NodeImporter::inferResult(Operation *op) {
  SmallVector<Type> types;
  auto infer = cast<InferTypeOpInterface>(op);
  if (failed(infer.inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
          op->getRegions(), types))) {
    op->erase();
    return {};
  }
  op->getResult(0).setType(types.front());
  return op->getResult(0);
}

Value NodeImporter::i64Constant(ArrayRef<int64_t> values, bool scalar) {
  auto type = scalar ? RankedTensorType::get({}, builder().getI64Type())
                     : RankedTensorType::get(
                           {static_cast<int64_t>(values.size())},
                           builder().getI64Type());
  return create<mlir::tfm::ConstantOp>(DenseIntElementsAttr::get(type, values));
}

Value NodeImporter::scalarConstant(Type type, double value) {
  auto tensor = RankedTensorType::get({}, type);
  Attribute attr = isa<FloatType>(type)
                       ? Attribute(FloatAttr::get(type, value))
                       : Attribute(IntegerAttr::get(
                             type, static_cast<int64_t>(value)));
  return create<mlir::tfm::ConstantOp>(
      DenseElementsAttr::get(tensor, attr));
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp>
kiln::onnx_import::importModel(MLIRContext *context, onnx::ModelProto &model,
                               const ImportOptions &options) {
  GraphImporter importer(context, model, options);
  return importer.run();
}

OwningOpRef<ModuleOp>
kiln::onnx_import::importModelFile(MLIRContext *context,
                                   const ImportOptions &options) {
  Location loc = FileLineColLoc::get(context, options.modelPath, 0, 0);
  std::string error;
  std::unique_ptr<onnx::ModelProto> model =
      options.contents ? parseModel(*options.contents, options.modelPath, error)
                       : loadModel(options.modelPath, error);
  if (!model) {
    emitError(loc) << error;
    return nullptr;
  }
  std::string skipped;
  if (std::optional<std::string> invalid = checkModel(
          *model, llvm::sys::path::parent_path(options.modelPath), skipped)) {
    emitError(loc) << *invalid;
    return nullptr;
  }
  return importModel(context, *model, options);
}
