//===- ImportContext.h - what ONNX op converters see ------------*- C++ -*-===//
//
// Part of kiln. The interface between the ONNX graph importer and the
// per-op converters: a converter reads one node's inputs and attributes
// through a NodeImporter, builds `tfm` ops and sets the node's outputs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_IMPORTCONTEXT_H
#define KILN_FRONTENDS_ONNX_IMPORTCONTEXT_H

#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

namespace kiln::onnx_import {

class GraphImporter;

/// What a converter sees of one ONNX node.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
               int64_t opset, mlir::Location loc);

  const onnx::NodeProto &node() const { return nodeProto; }
  mlir::OpBuilder &builder();
  mlir::Location loc() const { return location; }
  mlir::MLIRContext *context() const { return location.getContext(); }
  /// The opset version of the node's domain.
  int64_t opset() const { return opsetVersion; }

  //===--- Inputs --------------------------------------------------------===//

  unsigned numInputs() const { return nodeProto.input_size(); }
  /// Whether optional input `i` is given (present with a non-empty name).
  bool hasInput(unsigned i) const;
  mlir::Value input(unsigned i) const;
  mlir::RankedTensorType inputType(unsigned i) const;
  /// The integers of input `i` when it is a constant (after folding).
  std::optional<llvm::SmallVector<int64_t>> constantInts(unsigned i) const;
  /// The single value of input `i` when it is a one-element float or int
  /// constant.
  std::optional<double> constantScalar(unsigned i) const;
  /// The raw bytes of input `i`, which must be a constant (`what` names it
  /// in the error otherwise, and the result is empty); `storage` holds
  /// them when they are not in a blob already.
  llvm::ArrayRef<char> constantBytes(unsigned i, llvm::StringRef what,
                                     std::vector<char> &storage) const;

  //===--- Attributes ----------------------------------------------------===//

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t defaultValue) const;
  float floatAttr(llvm::StringRef name, float defaultValue) const;
  std::string stringAttr(llvm::StringRef name,
                         llvm::StringRef defaultValue = "") const;
  std::optional<llvm::SmallVector<int64_t>>
  intsAttr(llvm::StringRef name) const;

  //===--- Outputs -------------------------------------------------------===//

  unsigned numOutputs() const { return nodeProto.output_size(); }
  /// Whether output `i` is produced (present with a non-empty name).
  bool hasOutput(unsigned i) const;
  void setOutput(unsigned i, mlir::Value value);
  /// Sets output 0 to `value`, or fails when it is null (an op that could
  /// not be built, already diagnosed).
  llvm::LogicalResult setResult(mlir::Value value) {
    if (!value)
      return mlir::failure();
    setOutput(0, value);
    return mlir::success();
  }

  //===--- Diagnostics and helpers ---------------------------------------===//

  /// An error at the node naming it: "node 'n' (OpType): ...".
  mlir::InFlightDiagnostic emitError() const;
  /// Emits an error and returns failure.
  llvm::LogicalResult fail(const llvm::Twine &message) const;

  /// Resolves a possibly negative ONNX axis against `rank`.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;
  /// Resolves and sorts a list of ONNX axes.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  normalizeAxes(llvm::ArrayRef<int64_t> axes, int64_t rank) const;

  /// A tensor's value as the initializers get it (dense when small, a
  /// resource blob otherwise). Raw data moves out of `tensor`.
  mlir::FailureOr<mlir::ElementsAttr> convertTensor(onnx::TensorProto &tensor);

  /// A 1-D (or, with `scalar`, 0-D) i64 constant.
  mlir::Value i64Constant(llvm::ArrayRef<int64_t> values,
                          bool scalar = false);
  /// A 0-D constant of element type `type`.
  mlir::Value scalarConstant(mlir::Type type, double value);
  /// A tfm.constant of `type` holding a copy of `data` in a resource blob
  /// called `name`.
  template <typename T>
  mlir::Value blobConstant(mlir::RankedTensorType type, llvm::StringRef name,
                           llvm::ArrayRef<T> data) {
    return mlir::tfm::createBlobConstant(builder(), loc(), type, name, data);
  }

  /// Creates `OpTy` at the node's location.
  template <typename OpTy, typename... Args>
  OpTy create(Args &&...args) {
    return OpTy::create(builder(), loc(), std::forward<Args>(args)...);
  }

  /// Creates an op whose result type tfm infers from its operands (`args`
  /// are those of the builder after the result type). Invalid operands are
  /// diagnosed at the node, never a crash: returns null then.
  template <typename OpTy, typename... Args>
  mlir::Value make(Args &&...args) {
    OpTy op = OpTy::create(builder(), loc(), mlir::NoneType::get(context()),
                           std::forward<Args>(args)...);
    return inferResult(op);
  }

private:
  /// Sets the result type of a just-built single-result op from its type
  /// inference; erases it and returns null when inference fails.
  mlir::Value inferResult(mlir::Operation *op);

  GraphImporter &graph;
  const onnx::NodeProto &nodeProto;
  int64_t opsetVersion;
  mlir::Location location;
};

/// A converter for one ONNX op type.
using Converter = llvm::LogicalResult (*)(NodeImporter &);

/// Converters by key: "OpType" for ai.onnx, "domain:OpType" otherwise.
using ConverterTable = llvm::StringMap<Converter>;

/// Adds the converters of standard ONNX (ai.onnx) ops.
void addOnnxConverters(ConverterTable &table);
/// Adds the converters of ONNX Runtime's com.microsoft contrib ops.
void addMicrosoftConverters(ConverterTable &table);
/// Adds the converters of the quantization ops (QuantizeLinear and its
/// kin, MatMulInteger, com.microsoft MatMulIntegerToFloat).
void addQuantizedConverters(ConverterTable &table);

/// The MLIR element type of an ONNX TensorProto data type, or null.
mlir::Type convertElementType(mlir::MLIRContext *context, int32_t onnxType);

//===--- Lowering helpers shared by the converters ----------------------===//

/// ONNX Reshape semantics on top of tfm.reshape: entries equal to 0 copy the
/// input's dimension (unless `allowZero`), read at run time when dynamic.
mlir::Value buildOnnxReshape(NodeImporter &node, mlir::Value input,
                             mlir::Value shape, bool allowZero);

/// Gathers dimension `dim` of `value` as a 1-D i64 tensor of one element.
mlir::Value buildDim(NodeImporter &node, mlir::Value value, int64_t dim);

/// Layer normalization over the last dimension, as the fused contrib ops use.
mlir::Value buildLayerNorm(NodeImporter &node, mlir::Value input,
                           mlir::Value scale, mlir::Value bias,
                           float epsilon);

} // namespace kiln::onnx_import

#endif // KILN_FRONTENDS_ONNX_IMPORTCONTEXT_H
