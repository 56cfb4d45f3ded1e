//===- Driver.h - the kiln command-line driver ------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_DRIVER_H
#define KILN_TOOLS_KILN_DRIVER_H

namespace kiln {

/// Runs `kiln <command> [options]`; returns the process exit code.
int runDriver(int argc, char **argv);

} // namespace kiln

#endif // KILN_TOOLS_KILN_DRIVER_H
