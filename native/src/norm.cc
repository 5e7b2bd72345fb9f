// Softmax; FusedBatchNorm with given statistics, out = (x - mean) * scale / sqrt(var + eps) + offset,
// with each parameter either one value or one per channel (x's last axis), as tfjs's op allows; and
// training batch norm (statistics of the batch) forward and backward, for the BatchNormalization layer.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <vector>
#include "common.h"
#include "eltwise.h"

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

// out[r, c] = (x[r, c] - mean[c]) * mul[c] + add[c] over a [rows, channels] array.
void normalizeRows(const float* x, float* out, int64_t rows, int64_t channels, const float* mean, const float* mul,
                   const float* add) {
#pragma omp parallel for schedule(static) if (rows * channels > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* o = out + r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) o[c] = (xr[c] - mean[c]) * mul[c] + add[c];
  }
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
    normalizeRows(x, out, rows, channels, mean.data(), mul.data(), offset.data());
  });
}

// Per-channel sums over the rows of a [rows, channels] array, split across threads by rows and
// accumulated in double: sums[c] = sum_r f(r, c) for each of the `K` terms `body` adds.
template <int K, typename Body>
void channelSums(int64_t rows, int64_t channels, double* sums, Body&& body) {
  const int threads = rows * channels > 65536 ? omp_get_max_threads() : 1;
  std::vector<double> partial(static_cast<size_t>(threads) * K * channels, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* acc = partial.data() + static_cast<int64_t>(t) * K * channels;
    for (int64_t r = rows * t / nt, end = rows * (t + 1) / nt; r < end; ++r) body(r, acc);
  }
  std::fill(sums, sums + K * channels, 0.0);
  for (int t = 0; t < threads; ++t)
    for (int64_t i = 0; i < K * channels; ++i) sums[i] += partial[static_cast<size_t>(t) * K * channels + i];
}

// batchNormTrain(x, out, channels, scale, offset, epsilon, meanOut, varianceOut): batch statistics
// of x (biased variance, as tf.moments) and out = (x - mean) / sqrt(variance + eps) * scale + offset.
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNormTrain", [&] {
    const float* x = f32(info[0]);
    float* out = f32(info[1]);
    const int64_t channels = i64(info[2]), rows = static_cast<int64_t>(len(info[0])) / channels;
    const float *scale = f32(info[3]), *offset = f32(info[4]);
    const double eps = info[5].As<Napi::Number>().DoubleValue();
    float *meanOut = f32(info[6]), *varOut = f32(info[7]);
    std::vector<double> sums(2 * channels);
    channelSums<2>(rows, channels, sums.data(), [&](int64_t r, double* acc) {
      const float* xr = x + r * channels;
      double* s2 = acc + channels;
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) {
        acc[c] += xr[c];
        s2[c] += static_cast<double>(xr[c]) * xr[c];
      }
    });
    std::vector<float> mul(channels);
    for (int64_t c = 0; c < channels; ++c) {
      const double mean = sums[c] / rows, var = std::max(0.0, sums[channels + c] / rows - mean * mean);
      meanOut[c] = static_cast<float>(mean);
      varOut[c] = static_cast<float>(var);
      mul[c] = static_cast<float>(scale[c] / std::sqrt(var + eps));
    }
    normalizeRows(x, out, rows, channels, meanOut, mul.data(), offset);
  });
}

// batchNormGrad(dy, x, channels, scale, mean, variance, epsilon, dx, dScale, dOffset): the full
// gradient of batchNormTrain, through the batch statistics as well as the normalisation:
//   dOffset = sum dy,  dScale = sum dy * xhat,  dx = scale / std * (dy - (dOffset + xhat * dScale) / N).
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNormGrad", [&] {
    const float *dy = f32(info[0]), *x = f32(info[1]);
    const int64_t channels = i64(info[2]), rows = static_cast<int64_t>(len(info[1])) / channels;
    const float *scale = f32(info[3]), *mean = f32(info[4]), *var = f32(info[5]);
    const double eps = info[6].As<Napi::Number>().DoubleValue();
    float *dx = f32(info[7]), *dScale = f32(info[8]), *dOffset = f32(info[9]);
    std::vector<double> sums(2 * channels);
    channelSums<2>(rows, channels, sums.data(), [&](int64_t r, double* acc) {
      const float *g = dy + r * channels, *xr = x + r * channels;
      double* s2 = acc + channels;
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) {
        acc[c] += g[c];
        s2[c] += static_cast<double>(g[c]) * (xr[c] - mean[c]);
      }
    });
    // dx = k * dy + u * (x - mean) + w per channel, with k = scale * inv,
    // u = -k * inv^2 * sum(dy * (x - mean)) / N and w = -k * sum(dy) / N.
    std::vector<float> k(channels), u(channels), w(channels);
    for (int64_t c = 0; c < channels; ++c) {
      const double inv = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
      const double kc = scale[c] * inv, uc = -kc * inv * inv * sums[channels + c] / rows;
      dOffset[c] = static_cast<float>(sums[c]);
      dScale[c] = static_cast<float>(sums[channels + c] * inv);
      k[c] = static_cast<float>(kc);
      u[c] = static_cast<float>(uc);
      w[c] = static_cast<float>(-kc * sums[c] / rows);
    }
    const float *pk = k.data(), *pu = u.data(), *pw = w.data();
#pragma omp parallel for schedule(static) if (rows * channels > 65536)
    for (int64_t r = 0; r < rows; ++r) {
      const float *g = dy + r * channels, *xr = x + r * channels;
      float* o = dx + r * channels;
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) o[c] = pk[c] * g[c] + pu[c] * (xr[c] - mean[c]) + pw[c];
    }
  });
}

// softmax(x, out, rows, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guarded(info, "softmax", [&] { softmaxRows(f32(info[0]), f32(info[1]), i64(info[2]), i64(info[3])); });
}

}  // namespace

void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols) {
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
}

void registerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("batchNormTrain", Napi::Function::New(env, BatchNormTrain));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
}

}  // namespace ox
