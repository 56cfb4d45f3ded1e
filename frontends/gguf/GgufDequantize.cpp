//===- GgufDequantize.cpp - ggml's block formats to float -----------------===//
//
// Part of kiln. Built with -ffp-contract=off (CMakeLists.txt): Q4_1's
// d * q + m must round twice, as NumPy's reference does, not fuse.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GgufDequantize.h"

#include "dialects/tfm/WeightUtils.h"

#include <cstring>

using namespace kiln::gguf;

namespace {

uint16_t half(const char *p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return bits;
}

} // namespace

std::vector<float> kiln::gguf::dequantize(const TensorInfo &t) {
  int64_t n = t.numElements();
  std::vector<float> out(static_cast<size_t>(n));
  const char *p = t.bytes.data();
  switch (static_cast<TensorType>(t.type)) {
  case TensorType::F32:
    if (n > 0) // (an empty tensor has no data to copy from, nor to)
      std::memcpy(out.data(), p, n * sizeof(float));
    break;
  case TensorType::F16:
    for (int64_t i = 0; i < n; ++i)
      out[i] = mlir::tfm::halfBitsToFloat(half(p + 2 * i));
    break;
  case TensorType::BF16:
    for (int64_t i = 0; i < n; ++i)
      out[i] = mlir::tfm::bfloat16BitsToFloat(half(p + 2 * i));
    break;
  case TensorType::Q8_0:
    for (int64_t b = 0; b < n / 32; ++b, p += 34) {
      float d = mlir::tfm::halfBitsToFloat(half(p));
      for (int j = 0; j < 32; ++j)
        out[b * 32 + j] = d * static_cast<float>(static_cast<int8_t>(p[2 + j]));
    }
    break;
  case TensorType::Q4_0:
  case TensorType::Q4_1: {
    bool withMin = static_cast<TensorType>(t.type) == TensorType::Q4_1;
    int64_t blockBytes = withMin ? 20 : 18;
    for (int64_t b = 0; b < n / 32; ++b, p += blockBytes) {
      float d = mlir::tfm::halfBitsToFloat(half(p));
      float m = withMin ? mlir::tfm::halfBitsToFloat(half(p + 2)) : 0.0f;
      const unsigned char *qs =
          reinterpret_cast<const unsigned char *>(p + (withMin ? 4 : 2));
      for (int j = 0; j < 16; ++j) {
        int lo = qs[j] & 15, hi = qs[j] >> 4;
        float *o = &out[b * 32];
        if (withMin) {
          o[j] = d * static_cast<float>(lo) + m;
          o[j + 16] = d * static_cast<float>(hi) + m;
        } else {
          o[j] = d * static_cast<float>(lo - 8);
          o[j + 16] = d * static_cast<float>(hi - 8);
        }
      }
    }
    break;
  }
  }
  return out;
}

bool kiln::gguf::isBlockQuantized(const TensorInfo &t) {
  auto type = static_cast<TensorType>(t.type);
  return type == TensorType::Q8_0 || type == TensorType::Q4_0 ||
         type == TensorType::Q4_1;
}

kiln::hf::TensorView::Quantized
kiln::gguf::quantizedBlocks(const TensorInfo &t) {
  auto type = static_cast<TensorType>(t.type);
  hf::TensorView::Quantized q;
  q.bits = type == TensorType::Q8_0 ? 8 : 4;
  q.groupSize = 32;
  int64_t n = t.numElements(), blocks = n / 32;
  q.codes.resize(n);
  q.scales.resize(blocks);
  if (type != TensorType::Q8_0)
    q.offsets.resize(blocks);
  int64_t blockBytes = type == TensorType::Q8_0   ? 34
                       : type == TensorType::Q4_0 ? 18
                                                  : 20;
  const char *p = t.bytes.data();
  for (int64_t b = 0; b < blocks; ++b, p += blockBytes) {
    float d = mlir::tfm::halfBitsToFloat(half(p));
    q.scales[b] = d;
    int8_t *codes = &q.codes[b * 32];
    if (type == TensorType::Q8_0) {
      std::memcpy(codes, p + 2, 32);
      continue;
    }
    bool withMin = type == TensorType::Q4_1;
    q.offsets[b] = withMin ? mlir::tfm::halfBitsToFloat(half(p + 2)) : -8 * d;
    const unsigned char *qs =
        reinterpret_cast<const unsigned char *>(p + (withMin ? 4 : 2));
    for (int j = 0; j < 16; ++j) {
      codes[j] = static_cast<int8_t>(qs[j] & 15);
      codes[j + 16] = static_cast<int8_t>(qs[j] >> 4);
    }
  }
  return q;
}
