//===- ShapeUtilsTest.cpp - tests of tfm shape arithmetic -----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/ShapeUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(BroadcastShapes, NumPyRules) {
  EXPECT_EQ(*broadcastShapes({2, 1, 4}, {3, 1}), SmallVector<int64_t>({2, 3, 4}));
  EXPECT_EQ(*broadcastShapes({}, {5}), SmallVector<int64_t>({5}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}).has_value());
}

TEST(BroadcastShapes, DynamicDimensions) {
  // ? against 1 stays ?, ? against n > 1 becomes n, ? against ? stays ?.
  EXPECT_EQ(*broadcastShapes({kDyn, 1}, {1, kDyn}),
            SmallVector<int64_t>({kDyn, kDyn}));
  EXPECT_EQ(*broadcastShapes({kDyn, 768}, {1, kDyn}),
            SmallVector<int64_t>({kDyn, 768}));
  EXPECT_EQ(*broadcastShapes({kDyn}, {kDyn}), SmallVector<int64_t>({kDyn}));
}

TEST(CompatibleTypes, RefinementIsCompatible) {
  MLIRContext context;
  Type f32 = Float32Type::get(&context);
  auto dynamic = RankedTensorType::get({kDyn, 8}, f32);
  auto fixed = RankedTensorType::get({4, 8}, f32);
  auto other = RankedTensorType::get({4, 9}, f32);
  EXPECT_TRUE(areCompatibleTensorTypes(dynamic, fixed));
  EXPECT_FALSE(areCompatibleTensorTypes(fixed, other));
  EXPECT_FALSE(areCompatibleTensorTypes(
      fixed, RankedTensorType::get({4, 8}, Float16Type::get(&context))));
  EXPECT_FALSE(areCompatibleTensorTypes(fixed, RankedTensorType::get({32}, f32)));
}

TEST(Slice, OnnxClampingSemantics) {
  EXPECT_EQ(sliceSize(10, 0, 5, 1), 5);
  EXPECT_EQ(sliceSize(10, -3, INT64_MAX, 1), 3);    // Last three.
  EXPECT_EQ(sliceSize(10, 0, INT64_MAX, 3), 4);     // 0, 3, 6, 9.
  EXPECT_EQ(sliceSize(10, -1, INT64_MIN, -1), 10);  // Reversed.
  EXPECT_EQ(sliceSize(10, 8, 2, 1), 0);             // Empty.
  EXPECT_EQ(sliceSize(0, 0, 1, -1), 0);
  EXPECT_EQ(sliceStart(10, -1, -1), 9);
  EXPECT_EQ(sliceStart(10, 20, 1), 10);
}

TEST(Split, EqualPiecesLikeOnnx) {
  EXPECT_EQ(equalSplitSize(2304, 3, 0), 768);
  EXPECT_EQ(equalSplitSize(7, 3, 0), 3);
  EXPECT_EQ(equalSplitSize(7, 3, 2), 1);
}

TEST(FormatShape, DynamicAndScalar) {
  EXPECT_EQ(formatShape({kDyn, 128, 768}), "?x128x768");
  EXPECT_EQ(formatShape({}), "scalar");
}

} // namespace
