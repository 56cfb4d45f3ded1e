//===- OutputFiles.cpp - writing compiler outputs safely ------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "compiler/OutputFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

kiln::StagedFile::~StagedFile() {
  if (!path.empty()) {
    llvm::sys::fs::remove(path);
    llvm::sys::DontRemoveFileOnSignal(path);
  }
}

bool kiln::StagedFile::create(std::string &error) {
  int fd;
  llvm::SmallString<256> name;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          destination + ".tmp-%%%%%%%%", fd, name)) {
    error =
        "cannot create a file beside '" + destination + "': " + ec.message();
    return false;
  }
  ::close(fd);
  path = std::string(name);
  llvm::sys::RemoveFileOnSignal(path);
  return true;
}

bool kiln::StagedFile::keep(std::string &error) {
  if (std::error_code ec = llvm::sys::fs::rename(path, destination)) {
    error = "cannot write '" + destination + "': " + ec.message();
    return false;
  }
  llvm::sys::DontRemoveFileOnSignal(path);
  path.clear();
  return true;
}

bool kiln::writeFile(llvm::StringRef path,
                     llvm::function_ref<bool(llvm::raw_ostream &)> write,
                     std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  bool ok = write(os);
  os.flush();
  if (path != "-")
    os.close();
  if (os.has_error()) {
    if (ok)
      error = "cannot write '" + path.str() + "': " + os.error().message();
    os.clear_error();
    return false;
  }
  return ok;
}
