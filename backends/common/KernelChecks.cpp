//===- KernelChecks.cpp - run-time checks of kernel operands --------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/common/KernelChecks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

void kiln::checkAttentionMaskSizes(OpBuilder &b, Location loc,
                                   tfm::AttentionOp op, Value mask4) {
  auto mt = cast<RankedTensorType>(mask4.getType());
  auto dimValue = [&](Value v, int64_t d) -> Value {
    return tensor::DimOp::create(b, loc, v, d);
  };
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < 4; ++d) {
    Value of = d == 3 ? op.getKey() : op.getQuery();
    int64_t od = d == 3 ? 2 : d;
    int64_t size = mt.getDimSize(d);
    int64_t want = cast<RankedTensorType>(of.getType()).getDimSize(od);
    if (size == 1 ||
        (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(want)))
      continue;
    Value got = dimValue(mask4, d), expected = dimValue(of, od);
    Value ok = arith::OrIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, got, expected),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, got, one));
    tfm::RuntimeCheckOp::create(
        b, loc, ok, ValueRange{got, expected},
        b.getStringAttr(tfm::nodeLabel(op) + ": the mask's dimension " +
                        Twine(d) + " is {0}, but the scores' is {1}"));
  }
}
