//===- RunModel.cpp - `kiln run` and `kiln bench` -------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln/RunModel.h"

#include "runtime/kiln_runtime.h"
#include "tools/kiln/Npy.h"

#include "dialects/tfm/WeightUtils.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

namespace kiln {
namespace {

//===----------------------------------------------------------------------===//
// The model library, through dlsym
//===----------------------------------------------------------------------===//

#define KILN_LIBRARY_FUNCTIONS(X)                                              \
  X(kiln_last_error)                                                           \
  X(kiln_dtype_size)                                                           \
  X(kiln_dtype_name)                                                           \
  X(kiln_model_load)                                                           \
  X(kiln_model_free)                                                           \
  X(kiln_model_num_inputs)                                                     \
  X(kiln_model_num_outputs)                                                    \
  X(kiln_model_input_name)                                                     \
  X(kiln_model_output_name)                                                    \
  X(kiln_model_input_dtype)                                                    \
  X(kiln_model_input_rank)                                                     \
  X(kiln_model_input_dims)                                                     \
  X(kiln_model_input_dim_name)                                                 \
  X(kiln_model_input_range)                                                    \
  X(kiln_model_set_num_threads)                                                \
  X(kiln_model_num_threads)                                                    \
  X(kiln_model_run)                                                            \
  X(kiln_model_has_cache)                                                      \
  X(kiln_cache_create)                                                         \
  X(kiln_cache_free)                                                           \
  X(kiln_model_run_cached)                                                     \
  X(kiln_tensor_create)                                                        \
  X(kiln_tensor_free)                                                          \
  X(kiln_tensor_dtype)                                                         \
  X(kiln_tensor_rank)                                                          \
  X(kiln_tensor_dims)                                                          \
  X(kiln_tensor_num_elements)                                                  \
  X(kiln_tensor_data)

/// A loaded model library and model. The library is never dlclose()d: an
/// OpenMP runtime it pulled in may still have threads running.
struct Library {
#define KILN_DECLARE(fn) decltype(&::fn) fn = nullptr;
  KILN_LIBRARY_FUNCTIONS(KILN_DECLARE)
#undef KILN_DECLARE
  kiln_model *model = nullptr;

  Library() = default;
  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;
  ~Library() {
    if (model)
      kiln_model_free(model);
  }

  bool open(const std::string &path, std::string &error) {
    // dlopen searches the library path for a bare name; a user means a file.
    std::string file = path.find('/') == std::string::npos ? "./" + path : path;
    void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      error = std::string("cannot load the model library: ") + dlerror();
      return false;
    }
#define KILN_LOAD(fn)                                                          \
  fn = reinterpret_cast<decltype(fn)>(dlsym(handle, #fn));                     \
  if (!fn) {                                                                   \
    error = "'" + path + "' is not a kiln model library (it lacks " #fn ")";   \
    return false;                                                              \
  }
    KILN_LIBRARY_FUNCTIONS(KILN_LOAD)
#undef KILN_LOAD
    if (kiln_model_load(nullptr, &model) != KILN_OK) {
      error = kiln_last_error();
      return false;
    }
    return true;
  }
};

/// A tensor of the library, freed with it.
struct Tensor {
  const Library *lib = nullptr;
  kiln_tensor *t = nullptr;

  Tensor() = default;
  Tensor(const Library *lib, kiln_tensor *t) : lib(lib), t(t) {}
  Tensor(Tensor &&o) noexcept : lib(o.lib), t(o.t) { o.t = nullptr; }
  Tensor &operator=(Tensor &&o) noexcept {
    std::swap(lib, o.lib);
    std::swap(t, o.t);
    return *this;
  }
  ~Tensor() {
    if (t)
      lib->kiln_tensor_free(t);
  }
};

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

bool isFloat(kiln_dtype d) {
  return d == KILN_FLOAT32 || d == KILN_FLOAT16 || d == KILN_FLOAT64 ||
         d == KILN_BFLOAT16;
}

bool isFloat(npy::DType d) {
  return d == npy::DType::Float16 || d == npy::DType::Float32 ||
         d == npy::DType::Float64;
}

uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

uint16_t floatToHalf(float f) {
  uint32_t bits = floatToBits(f);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  float a = std::fabs(f);
  if (std::isnan(f))
    return sign | 0x7e00;
  if (a >= 65520.0f) // Rounds to infinity.
    return sign | 0x7c00;
  if (a < 6.103515625e-05f) // Subnormal (or zero): units of 2^-24.
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  uint32_t abits = floatToBits(a);
  // Rounds the 13 dropped mantissa bits to nearest, ties to even.
  uint32_t rounded = abits + 0xfff + ((abits >> 13) & 1);
  return sign | static_cast<uint16_t>((rounded >> 13) - (112 << 10));
}

uint16_t floatToBf16(float f) {
  uint32_t bits = floatToBits(f);
  if (std::isnan(f))
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

/// Writes `v` as element k of `data` of a float dtype.
void storeFloat(void *data, kiln_dtype dtype, size_t k, double v) {
  switch (dtype) {
  case KILN_FLOAT64:
    static_cast<double *>(data)[k] = v;
    break;
  case KILN_FLOAT16:
    static_cast<uint16_t *>(data)[k] = floatToHalf(static_cast<float>(v));
    break;
  case KILN_BFLOAT16:
    static_cast<uint16_t *>(data)[k] = floatToBf16(static_cast<float>(v));
    break;
  default:
    static_cast<float *>(data)[k] = static_cast<float>(v);
    break;
  }
}

/// Writes `v` as element k of `data` of an integer (or bool) dtype.
void storeInt(void *data, kiln_dtype dtype, size_t k, int64_t v) {
  switch (dtype) {
  case KILN_INT64:
    static_cast<int64_t *>(data)[k] = v;
    break;
  case KILN_INT32:
    static_cast<int32_t *>(data)[k] = static_cast<int32_t>(v);
    break;
  case KILN_INT8:
    static_cast<int8_t *>(data)[k] = static_cast<int8_t>(v);
    break;
  default:
    static_cast<uint8_t *>(data)[k] = static_cast<uint8_t>(v);
    break;
  }
}

/// The range of values of an integer dtype.
void intLimits(kiln_dtype dtype, int64_t &lo, int64_t &hi) {
  switch (dtype) {
  case KILN_INT32:
    lo = INT32_MIN, hi = INT32_MAX;
    break;
  case KILN_INT8:
    lo = INT8_MIN, hi = INT8_MAX;
    break;
  case KILN_UINT8:
    lo = 0, hi = UINT8_MAX;
    break;
  case KILN_BOOL:
    lo = 0, hi = 1;
    break;
  default:
    lo = INT64_MIN, hi = INT64_MAX;
    break;
  }
}

double loadFloat(const npy::Array &a, size_t k) {
  const uint8_t *p = a.data.data() + k * npy::dtypeSize(a.dtype);
  switch (a.dtype) {
  case npy::DType::Float16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return mlir::tfm::halfBitsToFloat(h);
  }
  case npy::DType::Float64: {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  default: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  }
}

int64_t loadInt(const npy::Array &a, size_t k) {
  const uint8_t *p = a.data.data() + k * npy::dtypeSize(a.dtype);
  switch (a.dtype) {
  case npy::DType::Int8:
    return static_cast<int8_t>(*p);
  case npy::DType::Int16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case npy::DType::Int32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case npy::DType::Int64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  default:
    return *p; // uint8, bool
  }
}

/// The .npy type of a kiln dtype, or false for bfloat16 (NumPy has none).
bool npyDType(kiln_dtype dtype, npy::DType &out) {
  switch (dtype) {
  case KILN_FLOAT32:
    out = npy::DType::Float32;
    return true;
  case KILN_FLOAT16:
    out = npy::DType::Float16;
    return true;
  case KILN_FLOAT64:
    out = npy::DType::Float64;
    return true;
  case KILN_INT8:
    out = npy::DType::Int8;
    return true;
  case KILN_UINT8:
    out = npy::DType::UInt8;
    return true;
  case KILN_INT32:
    out = npy::DType::Int32;
    return true;
  case KILN_INT64:
    out = npy::DType::Int64;
    return true;
  case KILN_BOOL:
    out = npy::DType::Bool;
    return true;
  case KILN_BFLOAT16:
    break;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Formatting
//===----------------------------------------------------------------------===//

std::string shapeString(const int64_t *dims, size_t rank) {
  std::string s = "[";
  for (size_t d = 0; d < rank; ++d)
    s += (d ? ", " : "") + std::to_string(dims[d]);
  return s + "]";
}

/// "[batch, 4]": the shape an input expects.
std::string expectedShape(const Library &lib, size_t i) {
  size_t rank = lib.kiln_model_input_rank(lib.model, i);
  std::vector<int64_t> dims(rank);
  lib.kiln_model_input_dims(lib.model, i, dims.data(), rank);
  std::string s = "[";
  for (size_t d = 0; d < rank; ++d) {
    const char *name = lib.kiln_model_input_dim_name(lib.model, i, d);
    s += (d ? ", " : "") + (name ? std::string(name) : std::to_string(dims[d]));
  }
  return s + "]";
}

std::string inputList(const Library &lib) {
  std::string s;
  size_t n = lib.kiln_model_num_inputs(lib.model);
  for (size_t i = 0; i < n; ++i)
    s += (i ? ", " : "") + std::string(lib.kiln_model_input_name(lib.model, i));
  return s;
}

/// The first few values of a tensor: "[0.5, 1, -2, ...]".
std::string preview(const Library &lib, kiln_tensor *t) {
  size_t n = lib.kiln_tensor_num_elements(t), shown = std::min<size_t>(n, 6);
  kiln_dtype dtype = lib.kiln_tensor_dtype(t);
  const void *data = lib.kiln_tensor_data(t);
  std::string s = lib.kiln_tensor_rank(t) ? "[" : "";
  char buf[64];
  for (size_t k = 0; k < shown; ++k) {
    switch (dtype) {
    case KILN_FLOAT32:
      std::snprintf(buf, sizeof buf, "%g", static_cast<const float *>(data)[k]);
      break;
    case KILN_FLOAT64:
      std::snprintf(buf, sizeof buf, "%g",
                    static_cast<const double *>(data)[k]);
      break;
    case KILN_FLOAT16:
      std::snprintf(buf, sizeof buf, "%g",
                    mlir::tfm::halfBitsToFloat(
                        static_cast<const uint16_t *>(data)[k]));
      break;
    case KILN_BFLOAT16:
      std::snprintf(buf, sizeof buf, "%g",
                    mlir::tfm::bfloat16BitsToFloat(
                        static_cast<const uint16_t *>(data)[k]));
      break;
    case KILN_INT64:
      std::snprintf(buf, sizeof buf, "%" PRId64,
                    static_cast<const int64_t *>(data)[k]);
      break;
    case KILN_INT32:
      std::snprintf(buf, sizeof buf, "%" PRId32,
                    static_cast<const int32_t *>(data)[k]);
      break;
    case KILN_INT8:
      std::snprintf(buf, sizeof buf, "%d",
                    static_cast<const int8_t *>(data)[k]);
      break;
    case KILN_BOOL:
      std::snprintf(buf, sizeof buf, "%s",
                    static_cast<const uint8_t *>(data)[k] ? "true" : "false");
      break;
    default:
      std::snprintf(buf, sizeof buf, "%d",
                    static_cast<const uint8_t *>(data)[k]);
      break;
    }
    s += (k ? ", " : "") + std::string(buf);
  }
  if (shown < n)
    s += ", ...";
  return s + (lib.kiln_tensor_rank(t) ? "]" : "");
}

/// An output name as a file name: '/' and ':' (and other unsafe bytes)
/// become '_'.
std::string fileNameFor(const std::string &name) {
  std::string s = name.empty() ? "_" : name;
  for (char &c : s)
    if (c == '/' || c == ':' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20)
      c = '_';
  return s;
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// A deterministic generator (splitmix64): the same seed gives the same
/// inputs on every machine.
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  double signedUnit() {
    return static_cast<double>(next() >> 11) * 0x1.0p-52 - 1.0;
  }
};

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  errno = 0;
  char *end;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

/// "2x4" -> {2, 4}; "" -> {} (a scalar).
bool parseDims(const std::string &s, std::vector<int64_t> &out) {
  out.clear();
  if (s.empty())
    return true;
  size_t start = 0;
  for (;;) {
    size_t x = s.find('x', start);
    int64_t d;
    if (!parseInt(s.substr(start, x == std::string::npos ? x : x - start), d))
      return false;
    out.push_back(d);
    if (x == std::string::npos)
      return true;
    start = x + 1;
  }
}

bool containsMask(const std::string &name) {
  std::string lower = name;
  for (char &c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("mask") != std::string::npos;
}

/// The inputs of a run, as given on the command line.
struct InputSpec {
  const std::vector<std::string> &inputs;
  bool random;
  uint64_t seed;
  const std::vector<std::string> &shapes;
  /// Print nothing about the inputs.
  bool quiet = false;
};

/// Builds the model's inputs from files and --random; prints one line per
/// input.
class InputBuilder {
public:
  explicit InputBuilder(const Library &lib) : lib(lib) {}

  bool build(const InputSpec &spec, std::vector<Tensor> &out,
             std::string &error);

private:
  bool findInput(const std::string &name, size_t &index) const {
    for (size_t i = 0; i < numInputs(); ++i)
      if (name == lib.kiln_model_input_name(lib.model, i)) {
        index = i;
        return true;
      }
    return false;
  }
  size_t numInputs() const { return lib.kiln_model_num_inputs(lib.model); }
  const char *inputName(size_t i) const {
    return lib.kiln_model_input_name(lib.model, i);
  }
  bool fromFile(size_t i, const std::string &path, Tensor &out,
                std::string &note, std::string &error);
  bool makeRandom(size_t i, const std::vector<int64_t> &shape, uint64_t seed,
                  Tensor &out, std::string &note, std::string &error);
  /// Binds the named dynamic dims of input i to `shape`'s sizes.
  void bindDims(size_t i, const std::vector<int64_t> &shape) {
    if (shape.size() != lib.kiln_model_input_rank(lib.model, i))
      return;
    for (size_t d = 0; d < shape.size(); ++d) {
      const char *name = lib.kiln_model_input_dim_name(lib.model, i, d);
      if (name && std::strcmp(name, "?") != 0)
        dimValues.emplace(name, shape[d]); // Keeps an earlier binding.
    }
  }

  const Library &lib;
  std::map<std::string, int64_t> dimValues;
};

bool InputBuilder::fromFile(size_t i, const std::string &path, Tensor &out,
                            std::string &note, std::string &error) {
  npy::Array a;
  if (!npy::readNpy(path, a, error))
    return false;
  kiln_dtype dtype = lib.kiln_model_input_dtype(lib.model, i);
  std::string name = inputName(i);
  if (isFloat(dtype) != isFloat(a.dtype)) {
    error = "input '" + name + "' is " + npy::dtypeName(a.dtype) + " in '" +
            path + "' but the model expects " + lib.kiln_dtype_name(dtype);
    return false;
  }
  kiln_tensor *t;
  if (lib.kiln_tensor_create(dtype, a.shape.data(), a.shape.size(), &t) !=
      KILN_OK) {
    error = "input '" + name + "': " + lib.kiln_last_error();
    return false;
  }
  out = Tensor(&lib, t);
  void *data = lib.kiln_tensor_data(t);
  size_t n = a.numElements();
  npy::DType same;
  if (npyDType(dtype, same) && same == a.dtype) {
    if (n)
      std::memcpy(data, a.data.data(), a.data.size());
  } else if (isFloat(dtype)) {
    for (size_t k = 0; k < n; ++k)
      storeFloat(data, dtype, k, loadFloat(a, k));
  } else {
    int64_t lo, hi;
    intLimits(dtype, lo, hi);
    for (size_t k = 0; k < n; ++k) {
      int64_t v = loadInt(a, k);
      if (v < lo || v > hi) {
        error = "input '" + name + "': value " + std::to_string(v) +
                " (element " + std::to_string(k) + " of '" + path +
                "') does not fit the model's " + lib.kiln_dtype_name(dtype);
        return false;
      }
      storeInt(data, dtype, k, v);
    }
  }
  note = "from " + path;
  if (!(npyDType(dtype, same) && same == a.dtype))
    note += std::string(" (") + npy::dtypeName(a.dtype) + ", converted)";
  return true;
}

bool InputBuilder::makeRandom(size_t i, const std::vector<int64_t> &shape,
                              uint64_t seed, Tensor &out, std::string &note,
                              std::string &error) {
  kiln_dtype dtype = lib.kiln_model_input_dtype(lib.model, i);
  kiln_tensor *t;
  if (lib.kiln_tensor_create(dtype, shape.data(), shape.size(), &t) !=
      KILN_OK) {
    error =
        "input '" + std::string(inputName(i)) + "': " + lib.kiln_last_error();
    return false;
  }
  out = Tensor(&lib, t);
  void *data = lib.kiln_tensor_data(t);
  size_t n = lib.kiln_tensor_num_elements(t);
  // A stream per input: giving one input from a file keeps the others.
  Random rng(seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
  int64_t lo, hi;
  bool ranged = lib.kiln_model_input_range(lib.model, i, &lo, &hi) == 1;
  if (!ranged && containsMask(inputName(i))) {
    for (size_t k = 0; k < n; ++k)
      isFloat(dtype) ? storeFloat(data, dtype, k, 1.0)
                     : storeInt(data, dtype, k, 1);
    note = "ones (a mask)";
  } else if (isFloat(dtype)) {
    for (size_t k = 0; k < n; ++k)
      storeFloat(data, dtype, k, rng.signedUnit());
    note = "random in [-1, 1)";
  } else {
    if (!ranged)
      lo = 0, hi = 2;
    // Indices may be negative (counting from the end); random ones need not.
    lo = std::max<int64_t>(lo, 0);
    uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    for (size_t k = 0; k < n; ++k)
      storeInt(
          data, dtype, k,
          static_cast<int64_t>(static_cast<uint64_t>(lo) + rng.next() % span));
    note = "random in [" + std::to_string(lo) + ", " + std::to_string(hi) + ")";
  }
  return true;
}

bool InputBuilder::build(const InputSpec &spec, std::vector<Tensor> &out,
                         std::string &error) {
  size_t n = numInputs();
  std::vector<std::string> files(n);
  std::vector<bool> haveShape(n, false);
  std::vector<std::vector<int64_t>> shapes(n);

  for (const std::string &arg : spec.inputs) {
    size_t eq = arg.find('=');
    size_t i;
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
      error = "--input expects NAME=FILE.npy, not '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(0, eq);
    if (!findInput(name, i)) {
      error = "the model has no input '" + name +
              "' (its inputs: " + inputList(lib) + ")";
      return false;
    }
    if (!files[i].empty()) {
      error = "input '" + name + "' is given twice";
      return false;
    }
    files[i] = arg.substr(eq + 1);
  }

  for (const std::string &arg : spec.shapes) {
    size_t eq = arg.find('=');
    std::vector<int64_t> dims;
    if (eq == std::string::npos || eq == 0 ||
        !parseDims(arg.substr(eq + 1), dims)) {
      error = "--shape expects NAME=D0xD1... (an input) or DIM=N (a dynamic "
              "dim), not '" +
              arg + "'";
      return false;
    }
    std::string name = arg.substr(0, eq);
    size_t i;
    if (findInput(name, i)) {
      if (!files[i].empty()) {
        error = "--shape " + arg + ": input '" + name + "' is read from '" +
                files[i] + "'";
        return false;
      }
      size_t rank = lib.kiln_model_input_rank(lib.model, i);
      if (dims.size() != rank) {
        error = "--shape " + arg + ": input '" + name + "' has rank " +
                std::to_string(rank) + ": " + expectedShape(lib, i);
        return false;
      }
      haveShape[i] = true;
      shapes[i] = dims;
      continue;
    }
    bool isDim = false;
    std::set<std::string> dimNames;
    for (size_t j = 0; j < n; ++j)
      for (size_t d = 0; d < lib.kiln_model_input_rank(lib.model, j); ++d) {
        const char *dim = lib.kiln_model_input_dim_name(lib.model, j, d);
        if (dim && std::strcmp(dim, "?") != 0) {
          dimNames.insert(dim);
          isDim |= name == dim;
        }
      }
    if (!isDim) {
      std::string dimList;
      for (const std::string &d : dimNames)
        dimList += (dimList.empty() ? "" : ", ") + d;
      error = "--shape " + arg + ": the model has no input or dynamic dim '" +
              name + "' (inputs: " + inputList(lib) +
              "; dims: " + (dimList.empty() ? "none" : dimList) + ")";
      return false;
    }
    if (dims.size() != 1) {
      error = "--shape " + arg + ": dim '" + name + "' takes one size";
      return false;
    }
    dimValues[name] = dims[0];
  }

  // Files first, then explicit shapes, bind dims for the other inputs.
  out.clear();
  out.resize(n);
  std::vector<std::string> notes(n);
  for (size_t i = 0; i < n; ++i) {
    if (files[i].empty())
      continue;
    if (!fromFile(i, files[i], out[i], notes[i], error))
      return false;
    kiln_tensor *t = out[i].t;
    bindDims(i, std::vector<int64_t>(lib.kiln_tensor_dims(t),
                                     lib.kiln_tensor_dims(t) +
                                         lib.kiln_tensor_rank(t)));
  }
  for (size_t i = 0; i < n; ++i)
    if (haveShape[i])
      bindDims(i, shapes[i]);
  for (size_t i = 0; i < n; ++i) {
    if (!files[i].empty())
      continue;
    if (!spec.random) {
      error = "no value for input '" + std::string(inputName(i)) +
              "'; give --input " + inputName(i) + "=FILE.npy, or --random";
      return false;
    }
    if (!haveShape[i]) {
      size_t rank = lib.kiln_model_input_rank(lib.model, i);
      shapes[i].resize(rank);
      lib.kiln_model_input_dims(lib.model, i, shapes[i].data(), rank);
      for (size_t d = 0; d < rank; ++d) {
        if (shapes[i][d] >= 0)
          continue;
        const char *name = lib.kiln_model_input_dim_name(lib.model, i, d);
        auto it = name ? dimValues.find(name) : dimValues.end();
        shapes[i][d] = it != dimValues.end() ? it->second : 1;
      }
      bindDims(i, shapes[i]);
    }
    if (!makeRandom(i, shapes[i], spec.seed, out[i], notes[i], error))
      return false;
  }
  for (size_t i = 0; i < n && !spec.quiet; ++i) {
    kiln_tensor *t = out[i].t;
    std::printf(
        "  input  %s: %s %s %s\n", inputName(i),
        lib.kiln_dtype_name(lib.kiln_tensor_dtype(t)),
        shapeString(lib.kiln_tensor_dims(t), lib.kiln_tensor_rank(t)).c_str(),
        notes[i].c_str());
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "kiln: error: %s\n", message.c_str());
  return 1;
}

/// Opens the library and sets the thread count.
bool openLibrary(const std::string &library, int threads, Library &lib,
                 std::string &error) {
  if (threads < 0) {
    error = "the thread count must be 0 (the default) or more, not " +
            std::to_string(threads);
    return false;
  }
  if (!lib.open(library, error))
    return false;
  if (threads > 0 &&
      lib.kiln_model_set_num_threads(lib.model, threads) != KILN_OK) {
    error = lib.kiln_last_error();
    return false;
  }
  return true;
}

/// Opens the library, sets the thread count and builds the inputs.
bool prepare(const std::string &library, int threads, const InputSpec &spec,
             Library &lib, std::vector<Tensor> &inputs, std::string &error) {
  return openLibrary(library, threads, lib, error) &&
         InputBuilder(lib).build(spec, inputs, error);
}

/// The float32 ones among a run's outputs, copied out.
std::vector<FloatOutput> floatOutputs(const Library &lib,
                                      const std::vector<Tensor> &outputs) {
  std::vector<FloatOutput> floats;
  for (size_t i = 0; i < outputs.size(); ++i) {
    kiln_tensor *t = outputs[i].t;
    if (lib.kiln_tensor_dtype(t) != KILN_FLOAT32)
      continue;
    FloatOutput out;
    out.name = lib.kiln_model_output_name(lib.model, i);
    out.shape.assign(lib.kiln_tensor_dims(t),
                     lib.kiln_tensor_dims(t) + lib.kiln_tensor_rank(t));
    const float *data = static_cast<const float *>(lib.kiln_tensor_data(t));
    out.values.assign(data, data + lib.kiln_tensor_num_elements(t));
    floats.push_back(std::move(out));
  }
  return floats;
}

/// Runs the model once; returns its outputs, or false. A decoder runs on
/// `cache`, or without one on a fresh cache just large enough (a prompt
/// from an empty context: `kiln run` and `kiln bench` time its prefill).
bool runOnce(const Library &lib, const std::vector<Tensor> &inputs,
             std::vector<Tensor> &outputs, std::string &error,
             kiln_cache *cache = nullptr) {
  std::vector<kiln_tensor *> in, out(lib.kiln_model_num_outputs(lib.model));
  for (const Tensor &t : inputs)
    in.push_back(t.t);
  kiln_cache *fresh = nullptr;
  if (!cache && lib.kiln_model_has_cache(lib.model, nullptr) && !in.empty() &&
      lib.kiln_tensor_rank(in[0]) == 2) {
    const int64_t *dims = lib.kiln_tensor_dims(in[0]);
    if (lib.kiln_cache_create(lib.model, static_cast<size_t>(dims[0]),
                              static_cast<size_t>(dims[1]),
                              &fresh) != KILN_OK) {
      error = lib.kiln_last_error();
      return false;
    }
    cache = fresh;
  }
  kiln_status status =
      cache ? lib.kiln_model_run_cached(lib.model, cache, 0, nullptr,
                                        in.data(), in.size(), out.data(),
                                        out.size())
            : lib.kiln_model_run(lib.model, nullptr, in.data(), in.size(),
                                 out.data(), out.size());
  if (status != KILN_OK)
    error = lib.kiln_last_error();
  if (fresh)
    lib.kiln_cache_free(fresh);
  if (status != KILN_OK)
    return false;
  outputs.clear();
  for (kiln_tensor *t : out)
    outputs.emplace_back(&lib, t);
  return true;
}

/// Milliseconds with about four significant digits: "12.35", "0.004213".
std::string formatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf,
                ms >= 100 ? "%.1f"
                : ms >= 1 ? "%.3f"
                          : "%.4g",
                ms);
  return buf;
}

std::string threadCount(const Library &lib) {
  int n = lib.kiln_model_num_threads(lib.model);
  return std::to_string(n) + (n == 1 ? " thread" : " threads");
}

double elapsedMs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// Writes output tensor t as `path`; bfloat16 as float32 (NumPy has none).
bool writeOutput(const Library &lib, kiln_tensor *t, const std::string &path,
                 std::string &error) {
  kiln_dtype dtype = lib.kiln_tensor_dtype(t);
  std::vector<int64_t> shape(lib.kiln_tensor_dims(t),
                             lib.kiln_tensor_dims(t) + lib.kiln_tensor_rank(t));
  const void *data = lib.kiln_tensor_data(t);
  npy::DType npyType;
  if (npyDType(dtype, npyType))
    return npy::writeNpy(path, npyType, shape, data, error);
  size_t n = lib.kiln_tensor_num_elements(t);
  std::vector<float> widened(n);
  for (size_t k = 0; k < n; ++k)
    widened[k] = mlir::tfm::bfloat16BitsToFloat(
        static_cast<const uint16_t *>(data)[k]);
  return npy::writeNpy(path, npy::DType::Float32, shape, widened.data(), error);
}

} // namespace

bool runOnInputSets(const std::string &library, int threads,
                    const std::vector<std::vector<std::string>> &inputSets,
                    const OutputSink &sink, std::string &error) {
  Library lib;
  std::vector<Tensor> inputs, outputs;
  std::vector<std::string> none;
  for (size_t set = 0; set < inputSets.size(); ++set) {
    InputSpec spec{inputSets[set], false, 0, none, /*quiet=*/true};
    bool built = set == 0 ? prepare(library, threads, spec, lib, inputs, error)
                          : InputBuilder(lib).build(spec, inputs, error);
    if (!built || !runOnce(lib, inputs, outputs, error))
      return false;
    if (!sink(set, floatOutputs(lib, outputs), error))
      return false;
  }
  return true;
}

struct ModelSession::Impl {
  Library lib;
  kiln_cache *cache = nullptr;
  ~Impl() {
    if (cache)
      lib.kiln_cache_free(cache);
  }
};

ModelSession::ModelSession() = default;
ModelSession::~ModelSession() = default;

bool ModelSession::hasCache(int64_t *contextLimit) const {
  return impl && impl->lib.kiln_model_has_cache(impl->lib.model, contextLimit);
}

bool ModelSession::createCache(size_t batch, size_t maxContext,
                               std::string &error) {
  Library &lib = impl->lib;
  if (impl->cache)
    lib.kiln_cache_free(impl->cache);
  impl->cache = nullptr;
  if (lib.kiln_cache_create(lib.model, batch, maxContext, &impl->cache) ==
      KILN_OK)
    return true;
  error = lib.kiln_last_error();
  return false;
}

bool ModelSession::open(const std::string &library, int threads,
                        std::string &error) {
  impl = std::make_unique<Impl>();
  return openLibrary(library, threads, impl->lib, error);
}

bool ModelSession::run(const std::vector<IntInput> &given,
                       std::vector<FloatOutput> &floats, std::string &error) {
  Library &lib = impl->lib;
  std::vector<Tensor> inputs, outputs;
  size_t n = lib.kiln_model_num_inputs(lib.model);
  for (size_t i = 0; i < n; ++i) {
    std::string name = lib.kiln_model_input_name(lib.model, i);
    auto it = std::find_if(given.begin(), given.end(),
                           [&](const IntInput &in) { return in.name == name; });
    kiln_dtype dtype = lib.kiln_model_input_dtype(lib.model, i);
    if (it == given.end() || isFloat(dtype)) {
      error = "the model's input '" + name + "' (" +
              lib.kiln_dtype_name(dtype) + ") is not one this command gives";
      return false;
    }
    kiln_tensor *t;
    if (lib.kiln_tensor_create(dtype, it->shape.data(), it->shape.size(),
                               &t) != KILN_OK) {
      error = "input '" + name + "': " + lib.kiln_last_error();
      return false;
    }
    inputs.emplace_back(&lib, t);
    void *data = lib.kiln_tensor_data(t);
    for (size_t k = 0; k < it->values.size(); ++k)
      storeInt(data, dtype, k, it->values[k]);
  }
  if (!runOnce(lib, inputs, outputs, error, impl->cache))
    return false;
  floats = floatOutputs(lib, outputs);
  return true;
}

int runModelCommand(const RunOptions &options) {
  Library lib;
  std::vector<Tensor> inputs, outputs;
  std::string error;
  InputSpec spec{options.inputs, options.random, options.seed, options.shapes};
  std::printf("kiln: running %s\n", options.library.c_str());
  if (!prepare(options.library, options.threads, spec, lib, inputs, error))
    return fail(error);

  auto start = std::chrono::steady_clock::now();
  if (!runOnce(lib, inputs, outputs, error))
    return fail(error);
  double ms = elapsedMs(start);

  if (!options.outputDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.outputDir, ec);
    if (ec)
      return fail("cannot create the output directory '" + options.outputDir +
                  "': " + ec.message());
  }
  std::set<std::string> used;
  for (size_t i = 0; i < outputs.size(); ++i) {
    kiln_tensor *t = outputs[i].t;
    std::string name = lib.kiln_model_output_name(lib.model, i);
    std::string line =
        std::string("  output ") + name + ": " +
        lib.kiln_dtype_name(lib.kiln_tensor_dtype(t)) + " " +
        shapeString(lib.kiln_tensor_dims(t), lib.kiln_tensor_rank(t));
    if (!options.outputDir.empty()) {
      // Distinct names that sanitise alike get a suffix.
      std::string base = fileNameFor(name), file = base;
      for (int k = 1; !used.insert(file).second; ++k)
        file = base + "_" + std::to_string(k);
      std::string path =
          (std::filesystem::path(options.outputDir) / (file + ".npy")).string();
      if (!writeOutput(lib, t, path, error))
        return fail(error);
      line += " -> " + path;
      if (lib.kiln_tensor_dtype(t) == KILN_BFLOAT16)
        line += " (as float32)";
    }
    std::printf("%s = %s\n", line.c_str(), preview(lib, t).c_str());
  }
  std::printf("kiln: ran in %s ms with %s\n", formatMs(ms).c_str(),
              threadCount(lib).c_str());
  return 0;
}

int benchModelCommand(const BenchOptions &options) {
  Library lib;
  std::vector<Tensor> inputs, outputs;
  std::string error;
  InputSpec spec{options.inputs, options.random, options.seed, options.shapes};
  if (options.warmup < 0 || options.iterations < 1 || options.minTime < 0)
    return fail("bench needs --warmup >= 0, --iterations >= 1 and "
                "--min-time >= 0");
  std::printf("kiln: benchmarking %s\n", options.library.c_str());
  if (!prepare(options.library, options.threads, spec, lib, inputs, error))
    return fail(error);

  for (int i = 0; i < options.warmup; ++i)
    if (!runOnce(lib, inputs, outputs, error))
      return fail(error);
  std::vector<double> ms;
  auto benchStart = std::chrono::steady_clock::now();
  while (static_cast<int64_t>(ms.size()) < options.iterations ||
         elapsedMs(benchStart) < options.minTime * 1000) {
    auto start = std::chrono::steady_clock::now();
    if (!runOnce(lib, inputs, outputs, error))
      return fail(error);
    ms.push_back(elapsedMs(start));
    outputs.clear(); // Frees them outside the timed region.
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  double median =
      n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  size_t p90 = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  double mean = 0;
  for (double v : ms)
    mean += v;
  mean /= static_cast<double>(n);
  std::printf("kiln: %zu runs (after %d warm-up) with %s\n", n, options.warmup,
              threadCount(lib).c_str());
  std::printf("latency: min %s ms, median %s ms, p90 %s ms, mean %s ms\n",
              formatMs(sorted.front()).c_str(), formatMs(median).c_str(),
              formatMs(sorted[p90 ? p90 - 1 : 0]).c_str(),
              formatMs(mean).c_str());
  return 0;
}

} // namespace kiln
