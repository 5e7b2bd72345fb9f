// Softmax; FusedBatchNorm with given statistics, out = (x - mean) * scale / sqrt(var + eps) + offset,
// with each parameter either one value or one per channel (x's last axis), as tfjs's op allows; and
// training batch norm (statistics of the batch) forward and backward, for the BatchNormalization layer.
#include "norm.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "common.h"
#include "eltwise.h"
#include "vec8.h"

namespace ox {
namespace {

// Parameter i broadcast to `channels` values; an absent one (null) takes `fallback`.
std::vector<float> perChannel(const Args& args, size_t i, const char* name, int64_t channels, float fallback) {
  std::vector<float> out(channels, fallback);
  if (!args.given(i)) return out;
  int64_t n = 0;
  const float* p = args.sized(i, name, &n);
  if (n != 1 && n != channels)
    throw ArgError(ArgError::kRange, std::string(name) + " holds " + std::to_string(n) + " floats, expected 1 or " +
                                         std::to_string(channels) + " (the channel count)");
  for (int64_t c = 0; c < channels; ++c) out[c] = p[n == 1 ? 0 : c];
  return out;
}

// The rows of an array of `length` floats over `channels`, checked to divide it.
int64_t rowsOf(int64_t length, int64_t channels, const char* name) {
  if (length % channels != 0)
    throw ArgError(ArgError::kRange, std::string(name) + " holds " + std::to_string(length) +
                                         " floats, not a multiple of " + std::to_string(channels) + " channels");
  return length / channels;
}

// (x − mean) · mul + add, one element or 8: the normalised value, computed one way wherever it is
// (the forward pass writes it; the backward pass recomputes it to know where the relu above let
// the gradient through, bit for bit the value the forward pass saw).
template <typename T>
inline T normalized(T x, T mean, T mul, T add) {
  return (x - mean) * mul + add;
}

// out[r, c] = (x[r, c] - mean[c]) * mul[c] + add[c] over a [rows, channels] array; with `relu`,
// then relu of that, as the activation computes it (NaN stays NaN).
void normalizeRows(const float* x, float* out, int64_t rows, int64_t channels, const float* mean, const float* mul,
                   const float* add, bool relu = false) {
#pragma omp parallel for schedule(static) if (rows * channels > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* o = out + r * channels;
    if (relu) {
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) {
        const float v = normalized(xr[c], mean[c], mul[c], add[c]);
        o[c] = v < 0.f ? 0.f : v;
      }
    } else {
#pragma omp simd
      for (int64_t c = 0; c < channels; ++c) o[c] = normalized(xr[c], mean[c], mul[c], add[c]);
    }
  }
}

// The gradient through a relu, as throughActivation computes it from the relu's output y: dy where
// y > 0, 0 where not, NaN where y is NaN. `v` may be y or the relu's input: y > 0 exactly where
// v > 0, and y is NaN exactly where v is.
inline float throughRelu(float dy, float v) { return dy * (v > 0.f ? 1.f : v == v ? 0.f : v); }

// batchNorm(x, out, channels, mean, variance, offset|null, scale|null, epsilon)
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNorm", [&] {
    const Args args(info, 8);
    const int64_t channels = args.integer(2, "channels", 1);
    int64_t length = 0;
    float* out = args.sized(1, "out", &length);
    const int64_t rows = rowsOf(length, channels, "out");
    const float* x = args.floats(0, "x", length);
    const auto mean = perChannel(args, 3, "mean", channels, 0.f), var = perChannel(args, 4, "variance", channels, 1.f);
    const auto offset = perChannel(args, 5, "offset", channels, 0.f);
    const auto scale = perChannel(args, 6, "scale", channels, 1.f);
    const float eps = args.real(7, "epsilon");
    batchNormInference(x, out, rows, channels, mean.data(), var.data(), scale.data(), offset.data(), eps);
  });
}

// Per-channel sums of two terms over the rows of a [rows, channels] array, accumulated in double:
// sums[c] = sum_r a(r, c) and sums[channels + c] = sum_r a(r, c) · b(r, c), for Terms giving a and
// b as 8 floats (a8, b8: channels c..c+7 of row r) or one (a1, b1). Threads split the rows; each
// holds a block of channels' accumulators in registers while it walks its rows. (Accumulators in
// memory made every row wait on the store of the row before: 3.4 cycles an element, 14 % of a CNN
// step.) The order of the additions is the same either way: per thread, row by row.
// The doubles one register holds (8 with AVX-512, 4 with AVX2 alone, where 8-double vectors went
// through the stack: the forward sums ran at ~3 GB/s).
using Doubles = double __attribute__((vector_size(kVectorBytes)));
constexpr int kDoubles = sizeof(Doubles) / sizeof(double);
constexpr int kParts = 8 / kDoubles;  // registers per 8 channels
using FloatPart = float __attribute__((vector_size(kDoubles * sizeof(float))));

// Part h of 8 floats, widened: lanes h·kDoubles .. (h + 1)·kDoubles − 1.
inline Doubles widen(Floats8 v, int h) {
  FloatPart part;
  std::memcpy(&part, reinterpret_cast<const float*>(&v) + h * kDoubles, sizeof part);
  return __builtin_convertvector(part, Doubles);
}

// Channels [c0, c0 + 8V) over rows [r0, r1), added into acc (2 × channels doubles). `row` is the
// Terms' cursor over the rows (what it keeps of the row it is at), moved on row by row.
template <int V, typename Terms>
void sumBlock(const Terms& terms, int64_t r0, int64_t r1, int64_t channels, int64_t c0, double* acc) {
  Doubles sa[V][kParts] = {}, sab[V][kParts] = {};
  for (auto row = terms.rowAt(r0); row.r < r1; terms.next(row)) {
    const int64_t at = row.r * channels + c0;
#pragma GCC unroll 8
    for (int j = 0; j < V; ++j) {
      const Floats8 a = terms.a8(row, at + 8 * j, c0 + 8 * j), b = terms.b8(at + 8 * j, c0 + 8 * j);
      for (int h = 0; h < kParts; ++h) {
        const Doubles wa = widen(a, h);
        sa[j][h] += wa;
        sab[j][h] += wa * widen(b, h);
      }
    }
  }
  for (int j = 0; j < V; ++j)
    for (int h = 0; h < kParts; ++h)
      for (int l = 0; l < kDoubles; ++l) {
        const int64_t c = c0 + 8 * j + h * kDoubles + l;
        acc[c] += sa[j][h][l];
        acc[channels + c] += sab[j][h][l];
      }
}

// How many vectors of 8 channels a block sums at once: each takes 2 · kParts registers, and the
// block half of them (8 with AVX-512, 2 with AVX2 alone, where 4 spilled).
constexpr int kSumVectors = kVectorRegisters / 2 / (2 * kParts);

template <typename Terms>
void sumRows(const Terms& terms, int64_t r0, int64_t r1, int64_t channels, double* acc) {
  const int64_t c1 = inBlocksOf8<kSumVectors>(
      channels, [&](int64_t c0, auto v) { sumBlock<decltype(v)::value>(terms, r0, r1, channels, c0, acc); });
  for (auto row = terms.rowAt(r0); row.r < r1; terms.next(row))  // the last channels % 8
    for (int64_t c = c1; c < channels; ++c) {
      const int64_t at = row.r * channels + c;
      const double a = terms.a1(row, at, c), b = terms.b1(at, c);
      acc[c] += a;
      acc[channels + c] += a * b;
    }
}

template <typename Terms>
void channelSums(const Terms& terms, int64_t rows, int64_t channels, double* sums) {
  const int threads = rows * channels > 65536 ? omp_get_max_threads() : 1;
  std::vector<double> partial(static_cast<size_t>(threads) * 2 * channels, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    sumRows(terms, rows * t / nt, rows * (t + 1) / nt, channels,
            partial.data() + static_cast<int64_t>(t) * 2 * channels);
  }
  std::fill(sums, sums + 2 * channels, 0.0);
  for (int t = 0; t < threads; ++t)
    for (int64_t i = 0; i < 2 * channels; ++i) sums[i] += partial[static_cast<size_t>(t) * 2 * channels + i];
}

// A cursor that knows only its row.
struct Row {
  int64_t r;
};
struct PlainRows {
  Row rowAt(int64_t r) const { return {r}; }
  void next(Row& row) const { ++row.r; }
};

// Forward: x and x · x.
struct Squares : PlainRows {
  const float* x;
  explicit Squares(const float* x) : x(x) {}
  Floats8 a8(const Row&, int64_t i, int64_t) const { return load8(x + i); }
  Floats8 b8(int64_t i, int64_t) const { return load8(x + i); }
  float a1(const Row&, int64_t i, int64_t) const { return x[i]; }
  float b1(int64_t i, int64_t) const { return x[i]; }
};

// Backward: dy and dy · (x − mean), the difference taken in float.
struct Moments : PlainRows {
  const float *dy, *x, *mean;
  Moments(const float* dy, const float* x, const float* mean) : dy(dy), x(x), mean(mean) {}
  Floats8 a8(const Row&, int64_t i, int64_t) const { return load8(dy + i); }
  Floats8 b8(int64_t i, int64_t c) const { return load8(x + i) - load8(mean + c); }
  float a1(const Row&, int64_t i, int64_t) const { return dy[i]; }
  float b1(int64_t i, int64_t c) const { return x[i] - mean[c]; }
};

// dy · the relu's gradient, for 8 elements: the relu's input recomputed from x as the forward pass
// computed it, so its output need not be read back.
inline Floats8 throughRelu8(Floats8 g, const float* x, const float* mean, const ReluAbove& relu, int64_t c) {
  const Floats8 v = normalized(load8(x), load8(mean + c), load8(relu.mul + c), load8(relu.offset + c));
  const Floats8 one = Floats8{} + 1.f, zero = Floats8{};
  return g * (v > zero ? one : v == v ? zero : v);
}

// The same with dy first taken back through the relu above, element by element.
struct ReluMoments : PlainRows {
  const float *dy, *x, *mean;
  ReluAbove relu;
  ReluMoments(const float* dy, const float* x, const float* mean, ReluAbove relu)
      : dy(dy), x(x), mean(mean), relu(relu) {}
  Floats8 a8(const Row&, int64_t i, int64_t c) const { return throughRelu8(load8(dy + i), x + i, mean, relu, c); }
  Floats8 b8(int64_t i, int64_t c) const { return load8(x + i) - load8(mean + c); }
  float a1(const Row&, int64_t i, int64_t c) const {
    return throughRelu(dy[i], normalized(x[i], mean[c], relu.mul[c], relu.offset[c]));
  }
  float b1(int64_t i, int64_t c) const { return x[i] - mean[c]; }
};

// A row's place under the max pool above: its window's gradient and winners, or none (a row no
// window covers), and the offset in its sample of its first element, which a winner would record.
// Kept from row to row with counters, not divisions.
struct PooledRow {
  int64_t r, n, y, x;      // the row, its sample and pixel
  int64_t wy, fy, wx, fx;  // its window, and its place in it
  const float* d;
  const int32_t* won;
  int32_t self;
};

// The gradient for the relu's output read from the max pool above (its windows tiling the input),
// then taken back through the relu: what ReluMoments gives from maxPoolBackwardFrom's output, with
// the same numbers, without that output being written or read.
struct PooledReluMoments {
  const float *x, *mean;
  ReluAbove relu;
  PooledGradient pool;
  int64_t channels;
  PooledReluMoments(const float* x, const float* mean, ReluAbove relu, const PooledGradient& pool, int64_t channels)
      : x(x), mean(mean), relu(relu), pool(pool), channels(channels) {}
  void place(PooledRow& row) const {
    row.self = static_cast<int32_t>((row.y * pool.inW + row.x) * channels);
    if (row.wy < pool.outH && row.wx < pool.outW) {
      const int64_t w = ((row.n * pool.outH + row.wy) * pool.outW + row.wx) * channels;
      row.d = pool.dy + w, row.won = pool.argmax + w;
    } else {
      row.d = nullptr, row.won = nullptr;
    }
  }
  PooledRow rowAt(int64_t r) const {
    const int64_t pixels = pool.inH * pool.inW, p = r % pixels, y = p / pool.inW, x = p % pool.inW;
    PooledRow row{r, r / pixels, y, x, y / pool.fH, y % pool.fH, x / pool.fW, x % pool.fW, nullptr, nullptr, 0};
    place(row);
    return row;
  }
  void next(PooledRow& row) const {
    ++row.r;
    if (++row.fx == pool.fW) row.fx = 0, ++row.wx;
    if (++row.x == pool.inW) {
      row.x = row.wx = row.fx = 0;
      if (++row.fy == pool.fH) row.fy = 0, ++row.wy;
      if (++row.y == pool.inH) row.y = row.wy = row.fy = 0, ++row.n;
    }
    place(row);
  }
  // dy for channels c.. of the row: the window's where this element won, else 0.
  Floats8 dy8(const PooledRow& row, int64_t c) const {
    if (!row.d) return Floats8{};
    using Ints8 = int32_t __attribute__((vector_size(32)));
    Ints8 won;
    std::memcpy(&won, row.won + c, sizeof won);
    const Ints8 self = Ints8{0, 1, 2, 3, 4, 5, 6, 7} + static_cast<int32_t>(row.self + c);
    return won == self ? load8(row.d + c) : Floats8{};
  }
  float dy1(const PooledRow& row, int64_t c) const { return row.d && row.won[c] == row.self + c ? row.d[c] : 0.f; }
  Floats8 a8(const PooledRow& row, int64_t i, int64_t c) const {
    return throughRelu8(dy8(row, c), x + i, mean, relu, c);
  }
  Floats8 b8(int64_t i, int64_t c) const { return load8(x + i) - load8(mean + c); }
  float a1(const PooledRow& row, int64_t i, int64_t c) const {
    return throughRelu(dy1(row, c), normalized(x[i], mean[c], relu.mul[c], relu.offset[c]));
  }
  float b1(int64_t i, int64_t c) const { return x[i] - mean[c]; }
};

// The backward pass's dx = k · dy + u · (x − mean) + w per channel, with dy and x − mean as the
// Terms give them to the sums (a1, b1), so both passes see the same numbers. Threads split the
// rows; dx may be dy itself (each element read before it is written).
template <typename Terms>
void dxRows(const Terms& terms, int64_t rows, int64_t channels, const float* k, const float* u, const float* w,
            float* dx) {
  const int threads = rows * channels > 65536 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t r1 = rows * (t + 1) / nt;
    for (auto row = terms.rowAt(rows * t / nt); row.r < r1; terms.next(row)) {
      const int64_t at = row.r * channels;
      int64_t c = 0;
      for (; c + 8 <= channels; c += 8) {  // 8 at a time by hand: GCC left `omp simd` here scalar
        const Floats8 v = load8(k + c) * terms.a8(row, at + c, c) + load8(u + c) * terms.b8(at + c, c) + load8(w + c);
        std::memcpy(dx + at + c, &v, sizeof v);
      }
      for (; c < channels; ++c) dx[at + c] = k[c] * terms.a1(row, at + c, c) + u[c] * terms.b1(at + c, c) + w[c];
    }
  }
}

//   dOffset = sum dy,  dScale = sum dy * xhat,  dx = scale / std * (dy - (dOffset + xhat * dScale) / N),
// with dy and x − mean as `terms` gives them.
template <typename Terms>
void backwardWith(const Terms& terms, int64_t rows, int64_t channels, const float* scale, const float* var, double eps,
                  float* dx, float* dScale, float* dOffset) {
  std::vector<double> sums(2 * channels);
  channelSums(terms, rows, channels, sums.data());
  // dx = k * dy + u * (x - mean) + w per channel, with k = scale * inv,
  // u = -k * inv^2 * sum(dy * (x - mean)) / N and w = -k * sum(dy) / N.
  std::vector<float> k(channels), u(channels), w(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    const double kc = scale[c] * inv, uc = -kc * inv * inv * sums[channels + c] / rows;
    if (dOffset) dOffset[c] = static_cast<float>(sums[c]);
    if (dScale) dScale[c] = static_cast<float>(sums[channels + c] * inv);
    k[c] = static_cast<float>(kc);
    u[c] = static_cast<float>(uc);
    w[c] = static_cast<float>(-kc * sums[c] / rows);
  }
  if (dx) dxRows(terms, rows, channels, k.data(), u.data(), w.data(), dx);
}

}  // namespace

void batchNormTrainForward(const float* x, float* out, int64_t rows, int64_t channels, const float* scale,
                           const float* offset, double eps, float* meanOut, float* varOut, bool relu, float* mulOut) {
  std::vector<double> sums(2 * channels);
  channelSums(Squares{x}, rows, channels, sums.data());
  std::vector<float> mul(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const double mean = sums[c] / rows, var = std::max(0.0, sums[channels + c] / rows - mean * mean);
    meanOut[c] = static_cast<float>(mean);
    varOut[c] = static_cast<float>(var);
    mul[c] = static_cast<float>(scale[c] / std::sqrt(var + eps));
  }
  normalizeRows(x, out, rows, channels, meanOut, mul.data(), offset, relu);
  if (mulOut) std::copy(mul.begin(), mul.end(), mulOut);
}

void batchNormBackward(const float* dy, const float* x, int64_t rows, int64_t channels, const float* scale,
                       const float* mean, const float* var, double eps, float* dx, float* dScale, float* dOffset,
                       const ReluAbove* relu, const PooledGradient* pooled) {
  if (pooled)
    backwardWith(PooledReluMoments{x, mean, *relu, *pooled, channels}, rows, channels, scale, var, eps, dx, dScale,
                 dOffset);
  else if (relu)
    backwardWith(ReluMoments{dy, x, mean, *relu}, rows, channels, scale, var, eps, dx, dScale, dOffset);
  else
    backwardWith(Moments{dy, x, mean}, rows, channels, scale, var, eps, dx, dScale, dOffset);
}

namespace {

// batchNormTrain(x, out, channels, scale, offset, epsilon, meanOut, varianceOut): batch statistics
// of x (biased variance, as tf.moments) and out = (x - mean) / sqrt(variance + eps) * scale + offset.
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNormTrain", [&] {
    const Args args(info, 8);
    const int64_t channels = args.integer(2, "channels", 1);
    int64_t length = 0;
    const float* x = args.sized(0, "x", &length);
    const int64_t rows = rowsOf(length, channels, "x");
    batchNormTrainForward(x, args.floats(1, "out", length), rows, channels, args.floats(3, "scale", channels),
                          args.floats(4, "offset", channels), args.number(5, "epsilon"),
                          args.floats(6, "mean", channels), args.floats(7, "variance", channels));
  });
}

// batchNormGrad(dy, x, channels, scale, mean, variance, epsilon, dx, dScale, dOffset): the full
// gradient of batchNormTrain, through the batch statistics as well as the normalisation.
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "batchNormGrad", [&] {
    const Args args(info, 10);
    const int64_t channels = args.integer(2, "channels", 1);
    int64_t length = 0;
    const float* x = args.sized(1, "x", &length);
    const int64_t rows = rowsOf(length, channels, "x");
    batchNormBackward(args.floats(0, "dy", length), x, rows, channels, args.floats(3, "scale", channels),
                      args.floats(4, "mean", channels), args.floats(5, "variance", channels), args.number(6, "epsilon"),
                      args.floats(7, "dx", length), args.floats(8, "dScale", channels),
                      args.floats(9, "dOffset", channels));
  });
}

// softmax(x, out, rows, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guarded(info, "softmax", [&] {
    const Args args(info, 4);
    const int64_t rows = args.integer(2, "rows", 0), cols = args.integer(3, "cols", 0);
    const int64_t n = product({rows, cols}, "x");
    softmaxRows(args.floats(0, "x", n), args.floats(1, "out", n), rows, cols);
  });
}

}  // namespace

void batchNormInference(const float* x, float* out, int64_t rows, int64_t channels, const float* mean,
                        const float* variance, const float* scale, const float* offset, float eps, bool relu) {
  std::vector<float> mul(channels), add(channels, 0.f);
  for (int64_t c = 0; c < channels; ++c) mul[c] = (scale ? scale[c] : 1.f) / std::sqrt(variance[c] + eps);
  if (offset) std::copy(offset, offset + channels, add.begin());
  normalizeRows(x, out, rows, channels, mean, mul.data(), add.data(), relu);
}

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
