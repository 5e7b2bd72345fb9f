// One training step of a stack of dense layers (forward, loss, metrics, backward and the
// optimizer update) in one call, for models made only of dense and activation layers: the
// notebook ANN and its sweeps. Through tfjs the same step is ~100 kernel dispatches with their
// tensor bookkeeping, more time than its matrix products; here it is those products and a few
// passes over small arrays. The arithmetic follows tfjs op by op (its losses with their clipping,
// its activation gradients, its optimizers), so weights agree with model.trainOnBatch's to float
// rounding. The caller (src/backend/onednn/dense-stack.ts) decides which models qualify.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>
#include "common.h"
#include "eltwise.h"
#include "gemm.h"
#include "optim.h"

namespace ox {
namespace {

// Codes shared with src/backend/onednn/dense-stack.ts. Relu and sigmoid match gemm()'s fused codes.
enum Activation { kLinear = 0, kRelu = 1, kSigmoid = 2, kTanh = 3, kSoftmax = 4 };
enum Loss { kMeanSquaredError = 0, kCategoricalCrossentropy = 1 };
enum Optimizer { kSgd = 0, kAdam = 1 };
// Order of the metrics written out: all are cheap, the caller picks the ones it reports.
enum Metric { kLoss = 0, kAccuracy, kCrossentropy, kSquaredError, kAbsoluteError, kMetrics };

// A Float32Array's data, checked to hold `expected` floats.
float* floats(const Napi::Value& v, int64_t expected, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::runtime_error(what + " must be a Float32Array");
  if (static_cast<int64_t>(len(v)) != expected)
    throw std::runtime_error(what + " holds " + std::to_string(len(v)) + " floats, expected " + std::to_string(expected));
  return f32(v);
}

// Entry i of a JS array of Float32Arrays, checked likewise; null where it is null and `optional`.
float* entry(const Napi::Array& a, uint32_t i, int64_t expected, bool optional, const char* what) {
  Napi::Value v = a.Get(i);
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  return floats(v, expected, std::string(what) + " " + std::to_string(i));
}

// The activation on a layer's output in place; relu and sigmoid come fused into the product.
void activate(int activation, float* y, int64_t rows, int64_t cols) {
  if (activation == kTanh) eltwiseForward(dnnl::algorithm::eltwise_tanh, 0.f, 0.f, y, y, rows * cols);
  if (activation == kSoftmax) softmaxRows(y, y, rows, cols);
}

// d (the gradient for the activation's output y) becomes the gradient for its input, as tfjs's
// gradients compute it: relu dy·step(x), sigmoid dy·(y·(1−y)), tanh (1−y²)·dy, softmax
// dy·y − sum(dy·y)·y.
void throughActivation(int activation, const float* y, float* d, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (activation) {
    case kRelu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.f ? d[i] : 0.f;
      break;
    case kSigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = d[i] * (y[i] * (1.f - y[i]));
      break;
    case kTanh:
#pragma omp simd
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

int64_t argMax(const float* v, int64_t n) {  // first maximum, as tfjs's ArgMax
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// The batch means of the loss and every metric into `out`, and the loss's gradient for the
// output p into dp. tfjs-layers' losses: meanSquaredError = mean((p − t)², −1);
// categoricalCrossentropy = −sum(t · log(clip(p / sum(p), ε, 1 − ε)), −1), ε = 1e-7; each
// averaged over the batch.
void lossAndMetrics(int loss, const float* p, const float* t, float* dp, int64_t rows, int64_t cols, double* out) {
  const float lo = 1e-7f, hi = 1.f - 1e-7f;
  const float perSample = 1.f / static_cast<float>(rows);
  double sums[kMetrics] = {};
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
  for (int m = kAccuracy; m < kMetrics; ++m) out[m] = sums[m] / rows;
  out[kLoss] = loss == kMeanSquaredError ? out[kSquaredError] : out[kCrossentropy];
}

// Steps run one at a time (from the JS thread), so one workspace serves them all.
std::vector<float>& workspace() {
  static std::vector<float> w;
  return w;
}

// denseStackStep(x, targets, rows, dims, activations, params, newParams, state, newState,
//                loss, optimizer, hyper, metrics)
// dims [d0..dL]; activations L codes; params [w0, b0, w1, b1, ...] with wl [d_l, d_l+1] and bl
// [d_l+1] or null; newParams the same shapes, written. state/newState: Adam's [m(w0), v(w0),
// m(b0), v(b0), ...], empty for sgd. hyper: sgd [learningRate]; adam as adamUpdate's.
// metrics (Float64Array of 5): loss, accuracy, crossentropy, squared error, absolute error.
Napi::Value DenseStackStep(const Napi::CallbackInfo& info) {
  return guarded(info, "denseStackStep", [&] {
    const int64_t rows = i64(info[2]);
    const std::vector<int64_t> d = dims(info[3]), act = dims(info[4]);
    const auto params = info[5].As<Napi::Array>(), newParams = info[6].As<Napi::Array>();
    const auto state = info[7].As<Napi::Array>(), newState = info[8].As<Napi::Array>();
    const int loss = static_cast<int>(i64(info[9])), optimizer = static_cast<int>(i64(info[10]));
    const float* hyper = f32(info[11]);
    const size_t L = act.size();
    if (L == 0 || d.size() != L + 1 || rows < 1) throw std::runtime_error("expected one more dimension than activations, and rows");
    if (params.Length() != 2 * L || newParams.Length() != 2 * L) throw std::runtime_error("expected a kernel and a bias per layer");
    const uint32_t perLayer = optimizer == kAdam ? 4 : 0;
    if (state.Length() != perLayer * L || newState.Length() != perLayer * L) throw std::runtime_error("optimizer state does not match");
    if (len(info[11]) < (optimizer == kAdam ? 6u : 1u)) throw std::runtime_error("too few hyperparameters");
    if (info[12].As<Napi::Float64Array>().ElementLength() != kMetrics) throw std::runtime_error("metrics must hold 5 numbers");
    const float* x = floats(info[0], rows * d[0], "the input");
    const float* t = floats(info[1], rows * d[L], "the targets");

    // Workspace: every layer's output, two gradient buffers of the widest layer, one kernel gradient.
    int64_t outputs = 0, widest = 0, biggest = 0;
    for (size_t l = 0; l < L; ++l) {
      outputs += rows * d[l + 1];
      widest = std::max(widest, d[l + 1]);
      biggest = std::max(biggest, d[l] * d[l + 1]);
    }
    auto& ws = workspace();
    ws.resize(outputs + 2 * rows * widest + biggest + widest);
    std::vector<float*> y(L);
    float* at = ws.data();
    for (size_t l = 0; l < L; ++l) {
      y[l] = at;
      at += rows * d[l + 1];
    }
    float *dz = at, *da = at + rows * widest, *dw = at + 2 * rows * widest, *db = dw + biggest;

    for (size_t l = 0; l < L; ++l) {
      const float* w = entry(params, 2 * l, d[l] * d[l + 1], false, "param");
      const float* b = entry(params, 2 * l + 1, d[l + 1], true, "param");
      const int fused = act[l] == kRelu || act[l] == kSigmoid ? static_cast<int>(act[l]) : 0;
      gemm(rows, d[l + 1], d[l], false, false, l ? y[l - 1] : x, w, y[l], b, fused);
      activate(static_cast<int>(act[l]), y[l], rows, d[l + 1]);
    }
    lossAndMetrics(loss, y[L - 1], t, dz, rows, d[L], info[12].As<Napi::Float64Array>().Data());
    throughActivation(static_cast<int>(act[L - 1]), y[L - 1], dz, rows, d[L]);

    for (size_t l = L; l-- > 0;) {
      const int64_t in = d[l], out = d[l + 1];
      const float* w = entry(params, 2 * l, in * out, false, "param");
      const float* b = entry(params, 2 * l + 1, out, true, "param");
      gemm(in, out, rows, true, false, l ? y[l - 1] : x, dz, dw);  // dW = inputᵀ·dZ
      if (b) {
        std::fill(db, db + out, 0.f);
        for (int64_t r = 0; r < rows; ++r)
#pragma omp simd
          for (int64_t c = 0; c < out; ++c) db[c] += dz[r * out + c];
      }
      if (l > 0) {  // the gradient for the layer below, before this layer's kernel changes
        gemm(rows, in, out, false, true, dz, w, da);  // dA = dZ·Wᵀ
        throughActivation(static_cast<int>(act[l - 1]), y[l - 1], da, rows, in);
      }
      float* nw = entry(newParams, 2 * l, in * out, false, "new param");
      float* nb = b ? entry(newParams, 2 * l + 1, out, false, "new param") : nullptr;
      if (optimizer == kSgd) {
        sgdUpdate(w, dw, nw, in * out, hyper[0]);
        if (b) sgdUpdate(b, db, nb, out, hyper[0]);
      } else {
        const uint32_t s = 4 * static_cast<uint32_t>(l);
        adamUpdate(w, dw, entry(state, s, in * out, false, "state"), entry(state, s + 1, in * out, false, "state"), nw,
                   entry(newState, s, in * out, false, "new state"), entry(newState, s + 1, in * out, false, "new state"), in * out, hyper);
        if (b)
          adamUpdate(b, db, entry(state, s + 2, out, false, "state"), entry(state, s + 3, out, false, "state"), nb,
                     entry(newState, s + 2, out, false, "new state"), entry(newState, s + 3, out, false, "new state"), out, hyper);
      }
      std::swap(dz, da);
    }
  });
}

}  // namespace

void registerDenseStack(Napi::Env env, Napi::Object exports) {
  exports.Set("denseStackStep", Napi::Function::New(env, DenseStackStep));
}

}  // namespace ox
