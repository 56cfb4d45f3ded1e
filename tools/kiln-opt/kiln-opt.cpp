//===- kiln-opt.cpp - kiln's mlir-opt -------------------------------------===//
//
// Part of kiln. mlir-opt with the tfm dialect, the upstream dialects kiln
// uses, and every kiln pass and pipeline registered.
//
//===----------------------------------------------------------------------===//

#include "compiler/InitKiln.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kiln::registerKilnDialects(registry);
  kiln::registerKilnPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "kiln optimizer driver\n", registry));
}
