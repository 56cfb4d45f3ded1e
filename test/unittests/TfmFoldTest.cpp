//===- TfmFoldTest.cpp - tests of tfm builders, inference and folding -----===//
//
// Part of kiln. Builds ops through the C++ API the frontends use, checking
// that result types are inferred without being spelled out and that the
// shape chains of exported models fold.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class TfmBuilderTest : public ::testing::Test {
protected:
  TfmBuilderTest() : builder(&context) {
    context.loadDialect<TfmDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// Adds a function with the given argument types and returns its arguments.
  ValueRange addFunction(TypeRange inputs) {
    auto func = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                     builder.getFunctionType(inputs, {}));
    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    return entry->getArguments();
  }

  Value i64Constant(ArrayRef<int64_t> values, ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, builder.getI64Type());
    return ConstantOp::create(builder, builder.getUnknownLoc(),
                              DenseIntElementsAttr::get(type, values));
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(TfmBuilderTest, MatmulInfersBroadcastResult) {
  Type f32 = builder.getF32Type();
  ValueRange args = addFunction({RankedTensorType::get({kDyn, kDyn, 768}, f32),
                                 RankedTensorType::get({768, 3072}, f32)});
  auto mm = MatmulOp::create(builder, builder.getUnknownLoc(), args[0], args[1],
                             Value(), Value(), false, false, nullptr);
  EXPECT_EQ(mm.getType(), RankedTensorType::get({kDyn, kDyn, 3072}, f32));
  EXPECT_TRUE(succeeded(verify(mm)));
}

TEST_F(TfmBuilderTest, ShapeGatherChainFolds) {
  // Shape of a [?, 128, 768] tensor, gather dim 1: folds to 128 although
  // dim 0 is dynamic.
  Type f32 = builder.getF32Type();
  ValueRange args =
      addFunction({RankedTensorType::get({kDyn, 128, 768}, f32)});
  Location loc = builder.getUnknownLoc();
  auto shape = ShapeOp::create(builder, loc, args[0], builder.getI64IntegerAttr(0), IntegerAttr());
  auto gather =
      GatherOp::create(builder, loc, shape, i64Constant({1}, {}), builder.getI64IntegerAttr(0));
  SmallVector<OpFoldResult> folded;
  ASSERT_TRUE(succeeded(gather->fold(folded)));
  auto attr = dyn_cast<DenseIntElementsAttr>(
      dyn_cast<Attribute>(folded.front()));
  ASSERT_TRUE(attr);
  EXPECT_EQ((*attr.getValues<int64_t>().begin()), 128);

  // Gathering the dynamic dim does not fold.
  auto dynamicDim =
      GatherOp::create(builder, loc, shape, i64Constant({0}, {}), builder.getI64IntegerAttr(0));
  folded.clear();
  EXPECT_TRUE(failed(dynamicDim->fold(folded)));
}

TEST_F(TfmBuilderTest, ReshapeInfersMinusOne) {
  Type f32 = builder.getF32Type();
  ValueRange args = addFunction({RankedTensorType::get({2, 6, 4}, f32)});
  auto reshape = ReshapeOp::create(builder, builder.getUnknownLoc(), args[0],
                                   i64Constant({2, -1, 2, 2}, {4}));
  EXPECT_EQ(reshape.getType(), RankedTensorType::get({2, 6, 2, 2}, f32));
}

} // namespace
