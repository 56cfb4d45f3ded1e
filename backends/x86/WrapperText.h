//===- WrapperText.h - MLIR text of microkernel wrappers --------*- C++ -*-===//
//
// Part of kiln. The x86 kernel passes (PackMatmul, Attention, Norms) add a
// wrapper function per call variant, written as MLIR text: it takes tensors,
// views them as buffers, and calls a runtime microkernel
// (runtime/ukernels) on raw pointers inside an scf.parallel loop. These are
// the pieces they share.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_WRAPPERTEXT_H
#define KILN_BACKENDS_X86_WRAPPERTEXT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FormatVariadic.h"

#include <string>

namespace kiln::x86 {

/// `%<name>_p : !llvm.ptr`, the data of tensor `%<tensor>` viewed as the
/// identity-layout buffer `%<name>` (read-only).
inline std::string tensorPointer(llvm::StringRef name, llvm::StringRef tensor,
                                 llvm::StringRef memrefType,
                                 llvm::StringRef tensorType) {
  return llvm::formatv(
             "  %{0} = bufferization.to_buffer %{1} read_only : {3} to {2}\n"
             "  %{0}_i = memref.extract_aligned_pointer_as_index %{0} : {2} "
             "-> index\n"
             "  %{0}_w = arith.index_cast %{0}_i : index to i64\n"
             "  %{0}_p = llvm.inttoptr %{0}_w : i64 to !llvm.ptr\n",
             name, tensor, memrefType, tensorType)
      .str();
}

/// `%<name>_p : !llvm.ptr`, the data of buffer `%<name>`.
inline std::string bufferPointer(llvm::StringRef name,
                                 llvm::StringRef memrefType) {
  return llvm::formatv(
             "  %{0}_i = memref.extract_aligned_pointer_as_index %{0} : {1} "
             "-> index\n"
             "  %{0}_w = arith.index_cast %{0}_i : index to i64\n"
             "  %{0}_p = llvm.inttoptr %{0}_w : i64 to !llvm.ptr\n",
             name, memrefType)
      .str();
}

/// `%<name> : index` and `%<name>_w : i64`, dim `d` of buffer `%<buffer>`
/// (the wrapper defines the index constant `%c<d>`).
inline std::string bufferDim(llvm::StringRef name, llvm::StringRef buffer,
                             int d, llvm::StringRef memrefType) {
  return llvm::formatv("  %{0} = memref.dim %{1}, %c{2} : {3}\n"
                       "  %{0}_w = arith.index_cast %{0} : index to i64\n",
                       name, buffer, d, memrefType)
      .str();
}

} // namespace kiln::x86

#endif // KILN_BACKENDS_X86_WRAPPERTEXT_H
