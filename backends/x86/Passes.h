//===- Passes.h - x86 backend passes ----------------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_PASSES_H
#define KILN_BACKENDS_X86_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "backends/x86/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/x86/Passes.h.inc"

} // namespace mlir::tfm

#endif // KILN_BACKENDS_X86_PASSES_H
