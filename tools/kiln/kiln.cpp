//===- kiln.cpp - the kiln driver -----------------------------------------===//
//
// Part of kiln. `kiln compile MODEL.onnx ...`; see Driver.cpp and README.md.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Driver.h"

int main(int argc, char **argv) { return kiln::runDriver(argc, argv); }
