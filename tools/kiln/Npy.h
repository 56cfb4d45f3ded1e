//===- Npy.h - reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// Part of kiln. The .npy format (versions 1.0, 2.0 and 3.0) for the dense,
// little-endian, C-order arrays `kiln run` reads inputs from and writes
// outputs to. Standard library only; no exceptions: failures return false
// with a message in `error`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_NPY_H
#define KILN_TOOLS_KILN_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace npy {

/// The element types supported, with their .npy descriptors.
enum class DType {
  Float16, // <f2
  Float32, // <f4
  Float64, // <f8
  Int8,    // |i1
  Int16,   // <i2
  Int32,   // <i4
  Int64,   // <i8
  UInt8,   // |u1
  Bool,    // |b1
};

/// Bytes per element.
size_t dtypeSize(DType dtype);
/// The .npy descriptor, e.g. "<f4".
const char *dtypeDescr(DType dtype);
/// NumPy's name, e.g. "float32".
const char *dtypeName(DType dtype);

/// A dense C-order array; `data` holds numElements() * dtypeSize(dtype)
/// little-endian bytes.
struct Array {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  size_t numElements() const;
};

/// Parses a .npy file held in memory.
bool parseNpy(const void *bytes, size_t size, Array &out, std::string &error);

/// Reads a .npy file. Errors name the file.
bool readNpy(const std::string &path, Array &out, std::string &error);

/// Encodes an array as .npy bytes: version 1.0, or 2.0 when the header needs
/// it; the header padded so that the data starts at a multiple of 64 bytes.
/// `data` holds the product of `shape` elements of `dtype`.
std::vector<uint8_t> encodeNpy(DType dtype, const std::vector<int64_t> &shape,
                               const void *data);

/// Writes a .npy file (replacing it). Errors name the file.
bool writeNpy(const std::string &path, DType dtype,
              const std::vector<int64_t> &shape, const void *data,
              std::string &error);

} // namespace npy
} // namespace kiln

#endif // KILN_TOOLS_KILN_NPY_H
