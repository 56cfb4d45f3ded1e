//===- Npy.cpp - reading and writing NumPy .npy files ---------------------===//
//
// Part of kiln.
//
// A .npy file is: the magic "\x93NUMPY", a major and a minor version byte,
// the header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0),
// the header -- a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }
// padded with spaces and ended by '\n' -- then the raw data.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace kiln {
namespace npy {

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DTypeInfo {
  DType dtype;
  char kind; // NumPy's kind: f, i, u, b.
  size_t size;
  const char *descr;
  const char *name;
};

const DTypeInfo kDTypes[] = {
    {DType::Float16, 'f', 2, "<f2", "float16"},
    {DType::Float32, 'f', 4, "<f4", "float32"},
    {DType::Float64, 'f', 8, "<f8", "float64"},
    {DType::Int8, 'i', 1, "|i1", "int8"},
    {DType::Int16, 'i', 2, "<i2", "int16"},
    {DType::Int32, 'i', 4, "<i4", "int32"},
    {DType::Int64, 'i', 8, "<i8", "int64"},
    {DType::UInt8, 'u', 1, "|u1", "uint8"},
    {DType::Bool, 'b', 1, "|b1", "bool"},
};

const DTypeInfo &info(DType dtype) {
  for (const DTypeInfo &i : kDTypes)
    if (i.dtype == dtype)
      return i;
  return kDTypes[1];
}

/// A cursor over the header's Python literal.
class HeaderParser {
public:
  HeaderParser(const char *begin, const char *end) : p(begin), end(end) {}

  void skipSpace() {
    while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
      ++p;
  }
  bool consume(char c) {
    skipSpace();
    if (p == end || *p != c)
      return false;
    ++p;
    return true;
  }
  bool peek(char c) {
    skipSpace();
    return p != end && *p == c;
  }
  /// A '...' or "..." string (no escapes are needed for .npy keys/descrs).
  bool string(std::string &out) {
    skipSpace();
    if (p == end || (*p != '\'' && *p != '"'))
      return false;
    char quote = *p++;
    const char *start = p;
    while (p != end && *p != quote)
      ++p;
    if (p == end)
      return false;
    out.assign(start, p);
    ++p;
    return true;
  }
  bool word(const char *w) {
    skipSpace();
    size_t n = std::strlen(w);
    if (static_cast<size_t>(end - p) < n || std::strncmp(p, w, n) != 0)
      return false;
    p += n;
    return true;
  }
  /// A non-negative integer (Python 2 headers may end it with 'L').
  bool integer(int64_t &out) {
    skipSpace();
    if (p == end || *p < '0' || *p > '9')
      return false;
    int64_t v = 0;
    for (; p != end && *p >= '0' && *p <= '9'; ++p) {
      if (v > (INT64_MAX - (*p - '0')) / 10)
        return false;
      v = v * 10 + (*p - '0');
    }
    if (p != end && *p == 'L')
      ++p;
    out = v;
    return true;
  }
  /// Skips a value of a key this reader does not use.
  bool skipValue() {
    skipSpace();
    int depth = 0;
    for (; p != end; ++p) {
      char c = *p;
      if (c == '\'' || c == '"') {
        std::string ignored;
        if (!string(ignored))
          return false;
        --p;
      } else if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        if (depth == 0)
          return true;
        --depth;
      } else if (c == ',' && depth == 0) {
        return true;
      }
    }
    return false;
  }

private:
  const char *p, *end;
};

bool parseDescr(const std::string &descr, DType &out, std::string &error) {
  std::string supported = "supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 |b1";
  if (descr.size() >= 2 && descr[0] == '>' && descr.substr(1) != "i1" &&
      descr.substr(1) != "u1" && descr.substr(1) != "b1") {
    error = "big-endian data ('" + descr +
            "') is not supported; save it "
            "little-endian (array.astype('<" +
            descr.substr(1) + "'))";
    return false;
  }
  if (descr.size() >= 2 && (descr[0] == '<' || descr[0] == '|' ||
                            descr[0] == '=' || descr[0] == '>')) {
    for (const DTypeInfo &i : kDTypes)
      if (descr.substr(1) == i.descr + 1) {
        out = i.dtype;
        return true;
      }
  }
  error = "unsupported dtype '" + descr + "' (" + supported + ")";
  return false;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// Parses the magic, version and header at the start of `bytes`; sets
/// `dataOffset` to where the data starts and `dataBytes` to its size.
bool parseHeader(const uint8_t *bytes, size_t size, Array &out,
                 size_t &dataOffset, size_t &dataBytes, std::string &error) {
  if (size < kMagicSize + 2 || std::memcmp(bytes, kMagic, kMagicSize) != 0) {
    error = size < kMagicSize + 2 && std::memcmp(bytes, kMagic, size) == 0
                ? "truncated file (no complete .npy header)"
                : "not a .npy file (no \\x93NUMPY magic)";
    return false;
  }
  unsigned major = bytes[6], minor = bytes[7];
  size_t lenBytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3) {
    error = "unsupported .npy version " + std::to_string(major) + "." +
            std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)";
    return false;
  }
  if (size < kMagicSize + 2 + lenBytes) {
    error = "truncated file (no complete .npy header)";
    return false;
  }
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= static_cast<size_t>(bytes[8 + i]) << (8 * i);
  dataOffset = kMagicSize + 2 + lenBytes + headerLen;
  if (size < dataOffset) {
    error = "truncated file (the header says " + std::to_string(headerLen) +
            " bytes, the file ends before)";
    return false;
  }

  const char *h =
      reinterpret_cast<const char *>(bytes) + dataOffset - headerLen;
  HeaderParser parser(h, h + headerLen);
  std::string descr;
  bool haveDescr = false, haveOrder = false, haveShape = false;
  bool fortran = false;
  out.shape.clear();
  if (!parser.consume('{')) {
    error = "malformed .npy header (not a dict)";
    return false;
  }
  while (!parser.consume('}')) {
    std::string key;
    if (!parser.string(key) || !parser.consume(':')) {
      error = "malformed .npy header";
      return false;
    }
    if (key == "descr") {
      if (parser.peek('[')) {
        error = "unsupported dtype: structured arrays are not supported";
        return false;
      }
      if (!parser.string(descr)) {
        error = "malformed .npy header ('descr')";
        return false;
      }
      haveDescr = true;
    } else if (key == "fortran_order") {
      if (parser.word("True"))
        fortran = true;
      else if (!parser.word("False")) {
        error = "malformed .npy header ('fortran_order')";
        return false;
      }
      haveOrder = true;
    } else if (key == "shape") {
      if (!parser.consume('(')) {
        error = "malformed .npy header ('shape')";
        return false;
      }
      while (!parser.consume(')')) {
        int64_t dim;
        if (!parser.integer(dim)) {
          error = "malformed .npy header ('shape')";
          return false;
        }
        out.shape.push_back(dim);
        if (!parser.consume(',') && !parser.peek(')')) {
          error = "malformed .npy header ('shape')";
          return false;
        }
      }
      haveShape = true;
    } else if (!parser.skipValue()) {
      error = "malformed .npy header";
      return false;
    }
    if (!parser.consume(',') && !parser.peek('}')) {
      error = "malformed .npy header";
      return false;
    }
  }
  if (!haveDescr || !haveOrder || !haveShape) {
    error = "malformed .npy header (it needs 'descr', 'fortran_order' and "
            "'shape')";
    return false;
  }
  if (!parseDescr(descr, out.dtype, error))
    return false;
  // Fortran order is the same layout as C order for fewer than 2 dims
  // of more than one element.
  size_t bigDims = 0;
  for (int64_t d : out.shape)
    bigDims += d > 1;
  if (fortran && bigDims > 1) {
    error = "Fortran-order arrays are not supported; save a C-order array "
            "(numpy.ascontiguousarray)";
    return false;
  }
  size_t n = 1;
  for (int64_t d : out.shape)
    if (__builtin_mul_overflow(n, static_cast<size_t>(d), &n)) {
      error = "array too large: shape " + shapeString(out.shape);
      return false;
    }
  if (__builtin_mul_overflow(n, dtypeSize(out.dtype), &dataBytes)) {
    error = "array too large: shape " + shapeString(out.shape);
    return false;
  }
  return true;
}

std::string truncatedError(const Array &a, size_t want, size_t have) {
  return "truncated file: shape " + shapeString(a.shape) + " of " +
         dtypeName(a.dtype) + " needs " + std::to_string(want) +
         " bytes of data but the file has " + std::to_string(have);
}

} // namespace

size_t dtypeSize(DType dtype) { return info(dtype).size; }
const char *dtypeDescr(DType dtype) { return info(dtype).descr; }
const char *dtypeName(DType dtype) { return info(dtype).name; }

size_t Array::numElements() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<size_t>(d);
  return n;
}

bool parseNpy(const void *data, size_t size, Array &out, std::string &error) {
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  size_t offset = 0, dataBytes = 0;
  if (!parseHeader(bytes, size, out, offset, dataBytes, error))
    return false;
  if (size - offset < dataBytes) {
    error = truncatedError(out, dataBytes, size - offset);
    return false;
  }
  out.data.assign(bytes + offset, bytes + offset + dataBytes);
  return true;
}

bool readNpy(const std::string &path, Array &out, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  // The header first (at most 64 KiB in practice), then the data in place.
  std::vector<uint8_t> head(12);
  size_t got = std::fread(head.data(), 1, head.size(), f);
  size_t headerLen = 0;
  if (got == head.size() && std::memcmp(head.data(), kMagic, kMagicSize) == 0)
    for (size_t i = 0; i < (head[6] == 1 ? 2u : 4u); ++i)
      headerLen |= static_cast<size_t>(head[8 + i]) << (8 * i);
  if (headerLen > (1u << 30))
    headerLen = 0; // Corrupt: let parseHeader report it.
  head.resize(got + headerLen);
  got += std::fread(head.data() + got, 1, headerLen, f);
  size_t offset = 0, dataBytes = 0;
  bool ok = parseHeader(head.data(), got, out, offset, dataBytes, error);
  // A header may claim more data than the file holds (a 64-byte file
  // saying (1, 2^40)): compare before allocating for it.
  struct stat info;
  if (ok && offset <= got && ::fstat(fileno(f), &info) == 0 &&
      S_ISREG(info.st_mode) &&
      dataBytes > static_cast<size_t>(info.st_size) - offset) {
    error = truncatedError(out, dataBytes,
                           static_cast<size_t>(info.st_size) - offset);
    ok = false;
  }
  if (ok) {
    // Bytes of the data already read with the header, then the rest.
    size_t already = got - offset;
    if (already > dataBytes)
      already = dataBytes;
    out.data.resize(dataBytes);
    if (already) // An empty array's data() may be null.
      std::memcpy(out.data.data(), head.data() + offset, already);
    size_t rest = dataBytes == already
                      ? 0
                      : std::fread(out.data.data() + already, 1,
                                   dataBytes - already, f);
    if (already + rest < dataBytes) {
      error = std::ferror(f)
                  ? std::string("read error: ") + std::strerror(errno)
                  : truncatedError(out, dataBytes, already + rest);
      ok = false;
    }
  }
  std::fclose(f);
  if (!ok)
    error = path + ": " + error;
  return ok;
}

std::vector<uint8_t> encodeNpy(DType dtype, const std::vector<int64_t> &shape,
                               const void *data) {
  std::string header =
      std::string("{'descr': '") + dtypeDescr(dtype) +
      "', 'fortran_order': False, 'shape': " + shapeString(shape) + ", }";
  // Pads with spaces so that the data starts at a multiple of 64 bytes.
  size_t prelude = kMagicSize + 2 + 2;
  if (header.size() + 1 + prelude + 63 > 0xffff + prelude)
    prelude = kMagicSize + 2 + 4; // Version 2.0: a 4-byte length.
  size_t total = (prelude + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prelude - header.size() - 1, ' ');
  header += '\n';

  Array a;
  a.dtype = dtype;
  a.shape = shape;
  size_t dataBytes = a.numElements() * dtypeSize(dtype);
  bool v2 = prelude == kMagicSize + 2 + 4;
  std::vector<uint8_t> out(total + dataBytes);
  uint8_t *p = out.data();
  std::memcpy(p, kMagic, kMagicSize);
  p[6] = v2 ? 2 : 1;
  p[7] = 0;
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i)
    p[8 + i] = static_cast<uint8_t>(header.size() >> (8 * i));
  std::memcpy(p + prelude, header.data(), header.size());
  if (dataBytes)
    std::memcpy(p + total, data, dataBytes);
  return out;
}

bool writeNpy(const std::string &path, DType dtype,
              const std::vector<int64_t> &shape, const void *data,
              std::string &error) {
  std::vector<uint8_t> bytes = encodeNpy(dtype, shape, data);
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int savedErrno = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok)
    error = "cannot write '" + path + "': " + std::strerror(savedErrno);
  return ok;
}

} // namespace npy
} // namespace kiln
