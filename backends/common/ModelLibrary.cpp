//===- ModelLibrary.cpp - what a compiled model library contains ----------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/common/ModelLibrary.h"
#include "dialects/tfm/WeightUtils.h"

#include "dialects/tfm/TfmOps.h"
#include "runtime/kiln_runtime.h"

#include "mlir/IR/AsmState.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int kiln::dtypeOf(Type t) {
  if (t.isF32())
    return KILN_FLOAT32;
  if (t.isUnsignedInteger(8))
    return KILN_UINT8;
  if (t.isSignlessInteger(8))
    return KILN_INT8;
  if (t.isSignlessInteger(32))
    return KILN_INT32;
  if (t.isSignlessInteger(64))
    return KILN_INT64;
  if (t.isInteger(1))
    return KILN_BOOL;
  if (t.isF16())
    return KILN_FLOAT16;
  if (t.isF64())
    return KILN_FLOAT64;
  if (t.isBF16())
    return KILN_BFLOAT16;
  return 0;
}

/// Dims of `type` with the symbolic names of `names` (an ArrayAttr of
/// strings, "" where a dim has none) for the dynamic ones.
static std::vector<std::string> dimsOf(RankedTensorType type,
                                       ArrayAttr names) {
  std::vector<std::string> dims;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      dims.push_back(std::to_string(type.getDimSize(d)));
      continue;
    }
    std::string name = "?";
    if (names && d < static_cast<int64_t>(names.size()))
      if (auto s = dyn_cast<StringAttr>(names[d]); s && !s.getValue().empty())
        name = s.str();
    dims.push_back(name);
  }
  return dims;
}

/// The range of valid values of an integer input that indexes a table,
/// looking through integer casts: [0, rows) for the ids of tfm.embedding,
/// [-rows, rows) for the indices of a gather along axis 0 (negative ones
/// count from the end, as in ONNX). The runtime rejects values outside it.
static std::optional<std::pair<int64_t, int64_t>> idRange(Value input) {
  std::optional<int64_t> rows;
  bool negativeAllowed = true;
  SmallVector<Value> worklist{input};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      int64_t table = ShapedType::kDynamic;
      if (auto embed = dyn_cast<tfm::EmbeddingOp>(user);
          embed && use.getOperandNumber() == 1) {
        table = embed.getTable().getType().getDimSize(0);
        negativeAllowed = false;
      }
      else if (auto gather = dyn_cast<tfm::GatherOp>(user);
               gather && use.getOperandNumber() == 1 && gather.getAxis() == 0)
        table = gather.getInput().getType().getDimSize(0);
      else if (auto cast = dyn_cast<tfm::CastOp>(user);
               cast && cast.getType().getElementType().isIntOrIndex() &&
               !cast.getType().getElementType().isInteger(1))
        worklist.push_back(cast.getResult());
      if (!ShapedType::isDynamic(table))
        rows = rows ? std::min(*rows, table) : table;
    }
  }
  if (!rows)
    return std::nullopt;
  return std::make_pair<int64_t, int64_t>(negativeAllowed ? -*rows : 0,
                                          int64_t(*rows));
}

static uint64_t weightBytes(ElementsAttr value) {
  auto type = cast<ShapedType>(value.getType());
  Type element = type.getElementType();
  uint64_t width =
      element.isInteger(1) ? 1 : (element.getIntOrFloatBitWidth() + 7) / 8;
  return width * type.getNumElements();
}

FailureOr<kiln::ModelSignature> kiln::readSignature(func::FuncOp func) {
  ModelSignature signature;
  auto check = [&](Type type, Location loc, StringRef what,
                   StringRef name) -> FailureOr<RankedTensorType> {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !dtypeOf(tensor.getElementType()))
      return emitError(loc) << what << " '" << name << "' has type " << type
                            << ", which a model library cannot pass";
    return tensor;
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    BlockArgument arg = func.getArgument(i);
    TensorInfo info;
    if (auto weight = func.getArgAttrOfType<ElementsAttr>(
            i, mlir::tfm::kWeightAttrName)) {
      info.name = "weight" + std::to_string(signature.weights.size());
      auto type = check(arg.getType(), arg.getLoc(), "weight", info.name);
      if (failed(type))
        return failure();
      info.dtype = dtypeOf(type->getElementType());
      info.dims = dimsOf(*type, {});
      info.weight = weight;
      info.bytes = weightBytes(weight);
      signature.weights.push_back(info);
      continue;
    }
    auto name = func.getArgAttrOfType<StringAttr>(i, mlir::tfm::kNameAttrName);
    info.name = name ? name.str() : "input" + std::to_string(i);
    auto lengths = func.getArgAttrOfType<DictionaryAttr>(
        i, mlir::tfm::kCacheLengthsAttrName);
    bool cache = func.getArgAttr(i, mlir::tfm::kCacheAttrName) != nullptr;
    StringRef what = cache ? "cache" : lengths ? "cache lengths" : "input";
    auto type = check(arg.getType(), arg.getLoc(), what, info.name);
    if (failed(type))
      return failure();
    info.dtype = dtypeOf(type->getElementType());
    info.dims =
        dimsOf(*type, func.getArgAttrOfType<ArrayAttr>(i, mlir::tfm::kDimsAttrName));
    // The runtime passes inputs, then the cache lengths, then the caches.
    if (!signature.weights.empty() ||
        (!cache && !signature.caches.empty()) ||
        (!cache && !lengths && signature.cacheLengths) ||
        (cache && !signature.cacheLengths))
      return emitError(arg.getLoc())
             << what << " '" << info.name
             << "' is out of order: a model library takes its inputs, then "
                "the cache lengths, then the caches, then the weights";
    if (lengths) {
      auto limit = lengths.getAs<IntegerAttr>("context_limit");
      auto step = lengths.getAs<StringAttr>("step");
      if (!limit || limit.getInt() <= 0 || !step || type->getRank() != 1 ||
          !type->getElementType().isInteger(64) || signature.cacheLengths)
        return emitError(arg.getLoc())
               << "cache lengths '" << info.name
               << "' must be the one [batch] i64 argument, with a positive "
                  "context_limit and a step dim name";
      signature.contextLimit = limit.getInt();
      signature.cacheStep = step.str();
      signature.cacheLengths = info;
      continue;
    }
    if (cache) {
      if (type->getRank() != 4 || !type->getElementType().isF32() ||
          ShapedType::isDynamic(type->getDimSize(1)) ||
          ShapedType::isDynamic(type->getDimSize(3)) ||
          info.dims[0] != signature.cacheLengths->dims[0] ||
          info.dims[2] != "context")
        return emitError(arg.getLoc())
               << "cache '" << info.name
               << "' must be f32 [batch, heads, \"context\", dim] with the "
                  "batch dim of the cache lengths and static heads and dim";
      signature.caches.push_back(info);
      continue;
    }
    if (type->getElementType().isSignlessInteger() &&
        !type->getElementType().isInteger(1))
      info.range = idRange(arg);
    signature.inputs.push_back(info);
  }
  if (signature.cacheLengths && signature.caches.empty())
    return emitError(func.getLoc()) << "a decoder with cache lengths but no "
                                       "cache";
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    TensorInfo info;
    auto name = func.getResultAttrOfType<StringAttr>(i, mlir::tfm::kNameAttrName);
    info.name = name ? name.str() : "output" + std::to_string(i);
    auto type = check(func.getResultTypes()[i], func.getLoc(), "output",
                      info.name);
    if (failed(type))
      return failure();
    info.dtype = dtypeOf(type->getElementType());
    info.dims =
        dimsOf(*type, func.getResultAttrOfType<ArrayAttr>(i, mlir::tfm::kDimsAttrName));
    signature.outputs.push_back(info);
  }
  uint64_t offset = 0;
  for (TensorInfo &w : signature.weights) {
    offset = llvm::alignTo(offset, 64);
    w.offset = offset;
    offset += w.bytes;
  }
  return signature;
}

static std::string percentEncode(StringRef name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '%' || c == '\n' || c == '\r' || c == '\t') {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string kiln::buildManifest(const ModelSignature &signature) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "kiln-manifest 1\n";
  if (!signature.device.empty())
    os << "device " << signature.device << "\n";
  if (!signature.requiredFeatures.empty()) {
    os << "requires";
    for (const std::string &feature : signature.requiredFeatures)
      os << " " << feature;
    os << "\n";
  }
  auto tensor = [&](StringRef kind, const TensorInfo &t) {
    os << kind << " " << percentEncode(t.name) << " " << t.dtype << " "
       << t.dims.size();
    for (const std::string &d : t.dims)
      os << " " << d;
    if (t.range)
      os << " range " << t.range->first << " " << t.range->second;
    os << "\n";
  };
  for (const TensorInfo &t : signature.inputs)
    tensor("input", t);
  for (const TensorInfo &t : signature.outputs)
    tensor("output", t);
  if (signature.cacheLengths)
    os << "cache-lengths " << percentEncode(signature.cacheLengths->name)
       << " " << signature.contextLimit << " "
       << percentEncode(signature.cacheStep) << "\n";
  for (const TensorInfo &t : signature.caches)
    tensor("cache", t);
  if (signature.weightsBytes)
    os << "weights-file " << signature.weightsBytes << " "
       << llvm::format_hex_no_prefix(signature.weightsId, 16) << "\n";
  for (const TensorInfo &w : signature.weights) {
    os << "weight " << w.dtype << " " << w.offset << " " << w.bytes << " "
       << w.dims.size();
    for (const std::string &d : w.dims)
      os << " " << d;
    os << "\n";
  }
  return text;
}

/// The bytes of weight `w` as the weights file holds them (expanded into
/// `storage` for splats and bools), or an error.
static FailureOr<ArrayRef<char>> weightBytes(const kiln::TensorInfo &w,
                                             std::string &storage,
                                             std::string &error) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(w.weight)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != w.bytes) {
      error = "weight data of " + std::to_string(w.bytes) +
              " bytes is missing or has another size";
      return failure();
    }
    return blob->getData();
  }
  auto dense = cast<DenseElementsAttr>(w.weight);
  if (dense.getElementType().isInteger(1)) {
    storage.clear();
    for (bool b : dense.getValues<bool>())
      storage += static_cast<char>(b);
    return ArrayRef<char>(storage.data(), storage.size());
  }
  if (dense.isSplat()) {
    ArrayRef<char> one = dense.getRawData();
    storage.clear();
    for (int64_t i = 0; i < dense.getNumElements(); ++i)
      storage.append(one.data(), one.size());
    return ArrayRef<char>(storage.data(), storage.size());
  }
  return dense.getRawData();
}

LogicalResult kiln::assignWeightsId(ModelSignature &signature,
                                    std::string &error) {
  // xxh3 of each weight, combined with its place: one pass over the data.
  std::string storage;
  SmallVector<uint64_t> parts;
  uint64_t end = 0;
  for (const TensorInfo &w : signature.weights) {
    FailureOr<ArrayRef<char>> bytes = weightBytes(w, storage, error);
    if (failed(bytes))
      return failure();
    parts.append({w.offset, w.bytes,
                  llvm::xxh3_64bits(ArrayRef<uint8_t>(
                      reinterpret_cast<const uint8_t *>(bytes->data()),
                      bytes->size()))});
    if (w.bytes)
      end = std::max(end, w.offset + w.bytes);
  }
  signature.weightsBytes = end;
  signature.weightsId = llvm::xxh3_64bits(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(parts.data()),
      parts.size() * sizeof(uint64_t)));
  return success();
}

LogicalResult kiln::writeWeightsFile(const ModelSignature &signature,
                                     raw_ostream &os, std::string &error) {
  uint64_t written = 0;
  std::string storage;
  for (const TensorInfo &w : signature.weights) {
    if (!w.bytes)
      continue;
    FailureOr<ArrayRef<char>> bytes = weightBytes(w, storage, error);
    if (failed(bytes))
      return failure();
    os.write_zeros(w.offset - written);
    os.write(bytes->data(), bytes->size());
    written = w.offset + w.bytes;
  }
  // The trailer: magic, data bytes, id, zero (little-endian u64s).
  char trailer[kWeightsTrailerBytes] = {'K', 'I', 'L', 'N', 'W', 'T', 'S', '1'};
  llvm::support::endian::write64le(trailer + 8, written);
  llvm::support::endian::write64le(trailer + 16, signature.weightsId);
  os.write(trailer, sizeof trailer);
  return success();
}

void kiln::releaseWeightData(ModelSignature &signature) {
  for (TensorInfo &w : signature.weights) {
    mlir::tfm::releaseWeightData(w.weight);
    w.weight = nullptr;
  }
}

/// Moves the module's static constructors into kiln_model_device_init and
/// drops its destructors: a library must load (and report a missing GPU)
/// on a machine without one, so nothing may touch the device at dlopen.
static void addDeviceInit(llvm::Module &module) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false);
  auto *init = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                      "kiln_model_device_init", module);
  init->setVisibility(llvm::GlobalValue::HiddenVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", init));
  if (llvm::GlobalVariable *ctors =
          module.getGlobalVariable("llvm.global_ctors",
                                  /*AllowInternal=*/true)) {
    // Entries are {priority, function, data}; call them in priority order.
    SmallVector<std::pair<uint64_t, llvm::Function *>> calls;
    if (auto *list = dyn_cast<llvm::ConstantArray>(ctors->getInitializer()))
      for (llvm::Value *entry : list->operands()) {
        auto *fields = cast<llvm::ConstantStruct>(entry);
        auto *priority = cast<llvm::ConstantInt>(fields->getOperand(0));
        if (auto *fn = dyn_cast<llvm::Function>(fields->getOperand(1)))
          calls.push_back({priority->getZExtValue(), fn});
      }
    llvm::stable_sort(calls, llvm::less_first());
    for (auto &[priority, fn] : calls)
      b.CreateCall(fn);
    ctors->eraseFromParent();
  }
  if (llvm::GlobalVariable *dtors =
          module.getGlobalVariable("llvm.global_dtors",
                                  /*AllowInternal=*/true))
    dtors->eraseFromParent();
  b.CreateRetVoid();
}

LogicalResult kiln::addModelInterface(llvm::Module &module,
                                      const ModelSignature &signature,
                                      StringRef entry, std::string &error) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Function *ciface = module.getFunction(("_mlir_ciface_" + entry).str());
  if (!ciface) {
    error = "the compiled module has no _mlir_ciface_" + entry.str();
    return failure();
  }
  size_t numArgs = signature.inputs.size() + signature.weights.size() +
                   (signature.cacheLengths ? 1 : 0) + signature.caches.size();
  bool hasResults = !signature.outputs.empty();
  if (ciface->arg_size() != numArgs + (hasResults ? 1 : 0)) {
    error = "the compiled entry takes " + std::to_string(ciface->arg_size()) +
            " arguments, the signature has " + std::to_string(numArgs);
    return failure();
  }
  // Hide everything the compiled code defines: the runtime in the same
  // library reaches it directly, and models loaded side by side must not
  // see each other's symbols.
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &g : module.globals())
    if (!g.isDeclaration() && !g.getName().starts_with("llvm."))
      g.setLinkage(llvm::GlobalValue::InternalLinkage);

  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                       {ptr, ptr}, false);
  auto *invoke = llvm::Function::Create(
      type, llvm::GlobalValue::ExternalLinkage, "kiln_model_invoke", module);
  invoke->setVisibility(llvm::GlobalValue::HiddenVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", invoke));
  llvm::Value *args = invoke->getArg(0), *results = invoke->getArg(1);
  SmallVector<llvm::Value *> callArgs;
  if (hasResults)
    callArgs.push_back(results);
  for (size_t i = 0; i < numArgs; ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, args, i);
    callArgs.push_back(b.CreateLoad(ptr, slot));
  }
  b.CreateCall(ciface, callArgs);
  b.CreateRetVoid();

  if (!signature.device.empty())
    addDeviceInit(module);

  std::string text = buildManifest(signature);
  auto *data = llvm::ConstantDataArray::getString(ctx, text, true);
  auto *manifest = new llvm::GlobalVariable(
      module, data->getType(), /*isConstant=*/true,
      llvm::GlobalValue::ExternalLinkage, data, "kiln_model_manifest");
  manifest->setVisibility(llvm::GlobalValue::HiddenVisibility);
  return success();
}

std::unique_ptr<llvm::Module>
kiln::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                        std::string &error) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "kiln_model");
  if (!llvmModule)
    error = "translation to LLVM IR failed";
  return llvmModule;
}
