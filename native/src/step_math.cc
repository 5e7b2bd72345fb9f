// The activations and losses both whole-step kernels share; see step_math.h.
#include "step_math.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "eltwise.h"
#include "op_codes.h"
#include "vec8.h"

namespace ox {

using stack_act::kLinear;
using stack_act::kRelu;
using stack_act::kSigmoid;
using stack_act::kSoftmax;
using stack_act::kTanh;
using stack_loss::kMeanSquaredError;
using stack_out::kAbsoluteError;
using stack_out::kAccuracy;
using stack_out::kCrossentropy;
using stack_out::kSquaredError;

namespace {

int64_t argMax(const float* v, int64_t n) {  // first maximum, as tfjs's ArgMax
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

}  // namespace

// The activation on a layer's output in place; relu and sigmoid come fused into the product.
void activate(int activation, float* y, int64_t rows, int64_t cols) {
  if (activation == kTanh)
    for (int64_t i = 0; i < rows * cols; ++i) y[i] = std::tanh(y[i]);
  if (activation == kSoftmax) softmaxRows(y, y, rows, cols);
}

// d (the gradient for the activation's output y) becomes the gradient for its input, as tfjs's
// gradients compute it: relu dy·step(x), sigmoid dy·(y·(1−y)), tanh (1−y²)·dy, softmax
// dy·y − sum(dy·y)·y.
void throughActivation(int activation, const float* y, float* d, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (activation) {
    case kRelu:
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
      for (int64_t i = 0; i < n; ++i) d[i] = d[i] * (y[i] > 0.f ? 1.f : y[i] == y[i] ? 0.f : y[i]);  // vectorizes
      break;
    case kSigmoid:
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
      for (int64_t i = 0; i < n; ++i) d[i] = d[i] * (y[i] * (1.f - y[i]));
      break;
    case kTanh:
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
      for (int64_t i = 0; i < n; ++i) d[i] = (1.f - y[i] * y[i]) * d[i];
      break;
    case kSoftmax:
      for (int64_t r = 0; r < rows; ++r) {
        float* dr = d + r * cols;
        const float* yr = y + r * cols;
        float s = 0.f;
        for (int64_t c = 0; c < cols; ++c) s += (dr[c] = dr[c] * yr[c]);
        for (int64_t c = 0; c < cols; ++c) dr[c] -= s * yr[c];
      }
      break;
    default:
      break;
  }
}

// Adds the per-sample metrics of `rows` samples to `sums`, and writes the loss's gradient for
// the output p into dp. tfjs-layers' losses: meanSquaredError = mean((p − t)², −1);
// categoricalCrossentropy = −sum(t · log(clip(p / sum(p), ε, 1 − ε)), −1), ε = 1e-7; each
// averaged over the batch of `batchRows`.
void lossAndMetrics(int loss, const float* p, const float* t, float* dp, int64_t rows, int64_t cols, int64_t batchRows,
                    double* sums) {
  const float lo = 1e-7f, hi = 1.f - 1e-7f;
  const float perSample = 1.f / static_cast<float>(batchRows);
  std::vector<float> q(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float *pr = p + r * cols, *tr = t + r * cols;
    float* dr = dp + r * cols;
    float total = 0.f;
    for (int64_t c = 0; c < cols; ++c) total += pr[c];
    double cce = 0, se = 0, ae = 0;
    for (int64_t c = 0; c < cols; ++c) {
      q[c] = pr[c] / total;
      cce -= tr[c] * std::log(std::min(std::max(q[c], lo), hi));
      se += static_cast<double>(pr[c] - tr[c]) * (pr[c] - tr[c]);
      ae += std::fabs(pr[c] - tr[c]);
    }
    sums[kCrossentropy] += cce;
    sums[kSquaredError] += se / cols;
    sums[kAbsoluteError] += ae / cols;
    sums[kAccuracy] += argMax(pr, cols) == argMax(tr, cols) ? 1 : 0;
    if (loss == kMeanSquaredError) {
      const float g = perSample / static_cast<float>(cols);
      for (int64_t c = 0; c < cols; ++c) dr[c] = g * (2.f * (pr[c] - tr[c]));
    } else {
      // d/dq of −t·log(clip(q)) / rows: zero where the clip bites (tfjs's clipByValue gradient);
      // then through q = p / sum(p).
      float dot = 0.f;
      for (int64_t c = 0; c < cols; ++c) {
        const float clipped = std::min(std::max(q[c], lo), hi);
        const float dq = q[c] >= lo && q[c] <= hi ? (-perSample * tr[c]) / clipped : 0.f;
        dr[c] = dq;
        dot += dq * pr[c];
      }
      const float dTotal = -dot / (total * total);
      for (int64_t c = 0; c < cols; ++c) dr[c] = dr[c] / total + dTotal;
    }
  }
}

namespace {

// Columns c0 .. c0 + 8·V summed over all rows, their accumulators in V registers. (Accumulators in
// memory made every row wait on the store of the row before: the conv bias's gradient over 43,264
// rows took ~8x the adds' own latency.) Each column still adds its rows in order, from 0.
template <int V>
void columnBlock(const float* a, int64_t rows, int64_t stride, int64_t c0, float* out) {
  Floats8 acc[V] = {};
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = a + r * stride + c0;
    for (int v = 0; v < V; ++v) acc[v] += load8(row + 8 * v);
  }
  std::memcpy(out + c0, acc, sizeof acc);
}

}  // namespace

void columnSums(const float* a, int64_t rows, int64_t cols, float* out, int64_t stride) {
  const int64_t c1 =
      inBlocksOf8(cols, [&](int64_t c0, auto v) { columnBlock<decltype(v)::value>(a, rows, stride, c0, out); });
  for (int64_t c = c1; c < cols; ++c) {  // the last cols % 8
    float sum = 0.f;
    for (int64_t r = 0; r < rows; ++r) sum += a[r * stride + c];
    out[c] = sum;
  }
}

void applyActivation(int activation, const float* x, float* y, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (activation) {
    case kRelu:
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];  // NaN stays NaN, as in tfjs
      break;
    case kSigmoid:
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
      for (int64_t i = 0; i < n; ++i) y[i] = 1.f / (1.f + std::exp(-x[i]));
      break;
    case kLinear:
      if (y != x) std::copy(x, x + n, y);
      break;
    default:
      if (y != x) std::copy(x, x + n, y);
      activate(activation, y, rows, cols);
  }
}

}  // namespace ox
