// Softmax, and FusedBatchNorm inference/training forward: out = (x - mean) * scale / sqrt(var + eps) + offset,
// with each parameter either one value or one per channel (x's last axis), as tfjs's op allows.
#include <algorithm>
#include <cmath>
#include <vector>
#include "common.h"

namespace ox {
namespace {

// A parameter broadcast to `channels` values; absent ones take `fallback`.
std::vector<float> perChannel(const Napi::Value& v, int64_t channels, float fallback) {
  std::vector<float> out(channels, fallback);
  if (!v.IsTypedArray()) return out;
  const float* p = f32(v);
  const int64_t n = static_cast<int64_t>(len(v));
  if (n != 1 && n != channels) throw std::runtime_error("batchNorm parameter length must be 1 or the channel count");
  for (int64_t c = 0; c < channels; ++c) out[c] = p[n == 1 ? 0 : c];
  return out;
}

// batchNorm(x, out, channels, mean, variance, offset|null, scale|null, epsilon)
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNorm", [&] {
    const float* x = f32(info[0]);
    float* out = f32(info[1]);
    const int64_t channels = i64(info[2]), rows = static_cast<int64_t>(len(info[1])) / channels;
    const auto mean = perChannel(info[3], channels, 0.f), var = perChannel(info[4], channels, 1.f);
    const auto offset = perChannel(info[5], channels, 0.f), scale = perChannel(info[6], channels, 1.f);
    const float eps = info[7].As<Napi::Number>().FloatValue();
    std::vector<float> mul(channels);
    for (int64_t c = 0; c < channels; ++c) mul[c] = scale[c] / std::sqrt(var[c] + eps);
    const float *m = mean.data(), *a = mul.data(), *b = offset.data();
#pragma omp parallel for schedule(static) if (rows * channels > 65536)
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * channels;
      float* o = out + r * channels;
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) o[c] = (xr[c] - m[c]) * a[c] + b[c];
    }
  });
}

// softmax(x, out, rows, cols): over the last axis, shifted by the row max as tfjs's kernel does.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guarded(info, "softmax", [&] {
    const float* x = f32(info[0]);
    float* out = f32(info[1]);
    const int64_t rows = i64(info[2]), cols = i64(info[3]);
#pragma omp parallel for schedule(static) if (rows * cols > 65536)
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols;
      float* o = out + r * cols;
      float mx = -INFINITY;
      for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, xr[c]);
      float sum = 0.f;
      for (int64_t c = 0; c < cols; ++c) sum += (o[c] = std::exp(xr[c] - mx));
      for (int64_t c = 0; c < cols; ++c) o[c] /= sum;
    }
  });
}

}  // namespace

void registerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
}

}  // namespace ox
