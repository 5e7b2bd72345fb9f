// Max and average pooling and their gradients on NHWC, as plain OpenMP loops vectorised over channels. The gradient
// goes to the first maximum of each window in row-major order, as in tfjs's cpu kernel: after a ReLU, windows of equal
// zeros are common, and a different tie rule would change the gradient.
#include "pool.h"
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>
#include "common.h"

namespace ox {
namespace {

using PoolGeom = PoolGeometry;

// [n, inH, inW, c, outH, outW, fH, fW, strideH, strideW, padTop, padLeft]: sizes may be 0, the
// window and strides not. The loops never read outside x's [n, inH, inW, c], whatever the pads.
PoolGeom readGeom(const Args& args, size_t at) {
  const auto d = args.integers(at, "geometry", 0, 12);
  for (int i = 6; i < 10; ++i)
    if (d[i] < 1)
      throw ArgError(ArgError::kRange, "geometry[" + std::to_string(i) + "] (window or stride) must be at least 1");
  return {d[0],
          d[1],
          d[2],
          d[3],
          d[4],
          d[5],
          d[6],
          d[7],
          d[8],
          d[9],
          d[10],
          d[11],
          product({d[0], d[1], d[2], d[3]}, "the input"),
          product({d[0], d[4], d[5], d[3]}, "the output")};
}

// Walks the output pixel's window in row-major order, skipping padding: visit(offset of the input
// pixel's first channel in x).
template <typename Visit>
inline void forEachInWindow(const PoolGeom& g, int64_t b, int64_t oy, int64_t ox, Visit&& visit) {
  for (int64_t fy = 0; fy < g.fH; ++fy) {
    const int64_t iy = oy * g.sH - g.padT + fy;
    if (iy < 0 || iy >= g.inH) continue;
    for (int64_t fx = 0; fx < g.fW; ++fx) {
      const int64_t ix = ox * g.sW - g.padL + fx;
      if (ix >= 0 && ix < g.inW) visit(((b * g.inH + iy) * g.inW + ix) * g.c);
    }
  }
}

// Each output element the maximum of its window, and with kRecord its winner. Per output pixel,
// all channels at once: a channel's maximum moves only on a strictly greater value, so the first
// maximum in window order wins (as in tfjs's cpu kernel) and NaN never does.
template <bool kRecord>
void maxPoolWindows(const PoolGeometry& g, const float* x, float* out, int32_t* argmax) {
  const int64_t sample = g.inH * g.inW * g.c;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t oy = 0; oy < g.outH; ++oy)
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        const int64_t at = ((b * g.outH + oy) * g.outW + ox) * g.c;
        float* o = out + at;
        int32_t* a = kRecord ? argmax + at : nullptr;
        for (int64_t ch = 0; ch < g.c; ++ch) {
          o[ch] = -std::numeric_limits<float>::infinity();
          if constexpr (kRecord) a[ch] = -1;
        }
        forEachInWindow(g, b, oy, ox, [&](int64_t base) {
          const float* p = x + base;
          const auto first = static_cast<int32_t>(base - b * sample);
#pragma omp simd
          for (int64_t ch = 0; ch < g.c; ++ch) {
            const bool more = p[ch] > o[ch];
            o[ch] = more ? p[ch] : o[ch];
            if constexpr (kRecord) a[ch] = more ? first + static_cast<int32_t>(ch) : a[ch];
          }
        });
      }
}

}  // namespace

void maxPoolForward(const PoolGeometry& g, const float* x, float* out, int32_t* argmax) {
  if (argmax)
    maxPoolWindows<true>(g, x, out, argmax);
  else
    maxPoolWindows<false>(g, x, out, nullptr);
}

// Windows may overlap, so threads split the batch, never a sample: each sample's sums are added
// in output order.
void maxPoolBackwardFrom(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t sample = g.inH * g.inW * g.c, outSample = g.outH * g.outW * g.c;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < g.n; ++b) {
    float* s = dx + b * sample;
    std::memset(s, 0, sizeof(float) * sample);
    const float* d = dy + b * outSample;
    const int32_t* a = argmax + b * outSample;
    for (int64_t i = 0; i < outSample; ++i)
      if (a[i] >= 0) s[a[i]] += d[i];
  }
}

void maxPoolBackward(const PoolGeometry& g, const float* dy, const float* x, float* dx) {
  thread_local std::vector<float> out;
  thread_local std::vector<int32_t> winners;
  out.resize(g.out);
  winners.resize(g.out);
  maxPoolForward(g, x, out.data(), winners.data());
  maxPoolBackwardFrom(g, dy, winners.data(), dx);
}

// tfjs's cpu kernel: the mean of the window's pixels inside the input (padding not counted).
void avgPoolForward(const PoolGeometry& g, const float* x, float* out) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t oy = 0; oy < g.outH; ++oy)
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        float* o = out + ((b * g.outH + oy) * g.outW + ox) * g.c;
        for (int64_t ch = 0; ch < g.c; ++ch) o[ch] = 0.f;
        int count = 0;
        forEachInWindow(g, b, oy, ox, [&](int64_t base) {
          const float* p = x + base;
#pragma omp simd
          for (int64_t ch = 0; ch < g.c; ++ch) o[ch] += p[ch];
          ++count;
        });
        const float n = static_cast<float>(count);  // 0 only for a window wholly in the padding: NaN, as tfjs
        for (int64_t ch = 0; ch < g.c; ++ch) o[ch] /= n;
      }
}

// tfjs's cpu gradient: each output pixel's gradient spread over its window's pixels inside the
// input, each share 1 / (window height x width) (the whole window's size, padding or not).
void avgPoolBackward(const PoolGeometry& g, const float* dy, float* dx) {
  const int64_t sample = g.inH * g.inW * g.c;
  const float share = 1.f / static_cast<float>(g.fH * g.fW);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < g.n; ++b) {
    std::memset(dx + b * sample, 0, sizeof(float) * sample);
    for (int64_t oy = 0; oy < g.outH; ++oy)
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        const float* d = dy + ((b * g.outH + oy) * g.outW + ox) * g.c;
        forEachInWindow(g, b, oy, ox, [&](int64_t base) {
          float* p = dx + base;
#pragma omp simd
          for (int64_t ch = 0; ch < g.c; ++ch) p[ch] += d[ch] * share;
        });
      }
  }
}

namespace {

// maxPool(x, out, geometry)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPool", [&] {
    const Args args(info, 3);
    const PoolGeom g = readGeom(args, 2);
    maxPoolForward(g, args.floats(0, "x", g.in), args.floats(1, "out", g.out));
  });
}

// maxPoolGrad(dy, x, dx, geometry)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPoolGrad", [&] {
    const Args args(info, 4);
    const PoolGeom g = readGeom(args, 3);
    maxPoolBackward(g, args.floats(0, "dy", g.out), args.floats(1, "x", g.in), args.floats(2, "dx", g.in));
  });
}

}  // namespace

void registerPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
}

}  // namespace ox
