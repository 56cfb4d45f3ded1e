//===- OutputFiles.h - writing compiler outputs safely ----------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_OUTPUTFILES_H
#define KILN_COMPILER_OUTPUTFILES_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace kiln {

/// A file written beside its destination under a unique name and renamed
/// over it only once complete, so that a failed or killed compile never
/// leaves a partial file or destroys the previous build; removed unless
/// kept (and on SIGINT/SIGTERM).
class StagedFile {
public:
  explicit StagedFile(std::string destination)
      : destination(std::move(destination)) {}
  StagedFile(const StagedFile &) = delete;
  StagedFile &operator=(const StagedFile &) = delete;
  ~StagedFile();

  /// Creates the temporary; its name is then getPath().
  bool create(std::string &error);
  const std::string &getPath() const { return path; }
  /// Renames the temporary over the destination.
  bool keep(std::string &error);

private:
  std::string destination, path;
};

/// Writes `write(os)` to `path` ("-": stdout); reports write errors (a full
/// disk) as `error` instead of LLVM's abort on an unchecked stream error.
bool writeFile(llvm::StringRef path,
               llvm::function_ref<bool(llvm::raw_ostream &)> write,
               std::string &error);

} // namespace kiln

#endif // KILN_COMPILER_OUTPUTFILES_H
