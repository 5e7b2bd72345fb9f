// One training step of a stack of dense layers (forward, loss, metrics, backward and the
// optimizer update) in one call, for models made only of dense and activation layers: the
// notebook ANN and its sweeps. Through tfjs the same step is ~100 kernel dispatches with their
// tensor bookkeeping, more time than its matrix products; here it is those products and a few
// passes over small arrays. The arithmetic follows tfjs op by op (its losses with their clipping,
// its activation gradients, its optimizers), so weights agree with model.trainOnBatch's to float
// rounding. The caller (src/backend/onednn/dense-stack.ts) decides which models qualify.
//
// Threads split the batch, not the products: each runs forward and backward over its own rows
// with single-threaded products, then every thread updates a slice of each tensor with the parts'
// gradients summed. On this 2-core machine that runs the notebook ANN's step in 1.41-1.54 ms
// against 1.53-1.76 ms with each product split between the threads (A/B, interleaved), and
// 1.65-1.7 ms on one thread: inside a step the products' operands were just written by the
// other core, so two threads gain far less than the 1.8x they give on a product timed alone.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>
#include "common.h"
#include "eltwise.h"
#include "gemm.h"
#include "op_codes.h"
#include "optim.h"
#include "step_math.h"

namespace ox {
namespace {

// The codes of op_codes.h. Relu and sigmoid are gemm()'s fused codes too. All the metrics are
// cheap: the step writes them all, the caller picks the ones it reports.
using stack_act::kRelu;
using stack_act::kSigmoid;
using stack_act::kSoftmax;
using stack_act::kTanh;
using stack_loss::kMeanSquaredError;
using stack_optimizer::kAdam;
using stack_optimizer::kSgd;
using stack_out::kAbsoluteError;
using stack_out::kAccuracy;
using stack_out::kCrossentropy;
using stack_out::kLoss;
using stack_out::kSquaredError;
constexpr int kMetrics = stack_out::kCount;

// The step's network and batch, as the JS side passed them.
struct Stack {
  int64_t rows;
  std::vector<int64_t> d, act;
  std::vector<const float*> w, b;  // per layer; a bias may be null
  const float *x, *t;
  int loss;
};

// What one thread computes over its rows of the batch: every layer's output, every kernel's
// and bias's gradient over those rows, and the sums of the loss and metrics.
struct Part {
  int64_t row0 = 0, rows = 0;
  std::vector<float> buffer;
  std::vector<float*> y, dw, db;
  float *dz = nullptr, *da = nullptr;
  double sums[kMetrics] = {};

  void layout(const Stack& s, int64_t first, int64_t count) {
    row0 = first;
    rows = count;
    const size_t L = s.act.size();
    int64_t size = 0, widest = 0;
    for (size_t l = 0; l < L; ++l) {
      size += rows * s.d[l + 1] + s.d[l] * s.d[l + 1] + s.d[l + 1];
      widest = std::max(widest, s.d[l + 1]);
    }
    buffer.resize(size + 2 * rows * widest);
    y.resize(L), dw.resize(L), db.resize(L);
    float* at = buffer.data();
    for (size_t l = 0; l < L; ++l) {
      y[l] = at, at += rows * s.d[l + 1];
      dw[l] = at, at += s.d[l] * s.d[l + 1];
      db[l] = at, at += s.d[l + 1];
    }
    dz = at, da = at + rows * widest;
    std::fill(sums, sums + kMetrics, 0.0);
  }
};

void forwardBackward(const Stack& s, Part& p) {
  const size_t L = s.act.size();
  const float* x = s.x + p.row0 * s.d[0];
  for (size_t l = 0; l < L; ++l) {
    const int fused = s.act[l] == kRelu || s.act[l] == kSigmoid ? static_cast<int>(s.act[l]) : 0;
    gemm(p.rows, s.d[l + 1], s.d[l], false, false, l ? p.y[l - 1] : x, s.w[l], p.y[l], s.b[l], fused);
    activate(static_cast<int>(s.act[l]), p.y[l], p.rows, s.d[l + 1]);
  }
  float *dz = p.dz, *da = p.da;
  lossAndMetrics(s.loss, p.y[L - 1], s.t + p.row0 * s.d[L], dz, p.rows, s.d[L], s.rows, p.sums);
  throughActivation(static_cast<int>(s.act[L - 1]), p.y[L - 1], dz, p.rows, s.d[L]);
  for (size_t l = L; l-- > 0;) {
    const int64_t in = s.d[l], out = s.d[l + 1];
    gemm(in, out, p.rows, true, false, l ? p.y[l - 1] : x, dz, p.dw[l]);  // dW = inputᵀ·dZ
    if (s.b[l]) columnSums(dz, p.rows, out, p.db[l]);
    if (l > 0) {  // the gradient for the layer below (none for the model's input)
      gemm(p.rows, in, out, false, true, dz, s.w[l], da);  // dA = dZ·Wᵀ
      throughActivation(static_cast<int>(s.act[l - 1]), p.y[l - 1], da, p.rows, in);
      std::swap(dz, da);
    }
  }
}

// One tensor the optimizer updates: its values, gradient (a kernel's or a bias's, per part),
// Adam's moments when used, and where the new values go (which may be the old ones: in place).
struct Target {
  const float* w;
  float* out;
  const float *m = nullptr, *v = nullptr;
  float *outM = nullptr, *outV = nullptr;
  int64_t n;
  size_t layer;
  bool bias;
};

const float* gradient(const Part& p, const Target& u) { return u.bias ? p.db[u.layer] : p.dw[u.layer]; }

// tf.train's update of elements [lo, hi) of `u`, with the parts' gradients summed.
void updateSlice(const Target& u, std::vector<Part>& parts, int optimizer, const float* hyper, int64_t lo, int64_t hi) {
  if (hi <= lo) return;
  const float* g = gradient(parts[0], u) + lo;
  const float* g2 = nullptr;
  if (parts.size() > 1) {
    float* into = const_cast<float*>(gradient(parts[1], u)) + lo;
    for (size_t i = 2; i < parts.size(); ++i) {  // more than two parts: fold the rest into the second
      const float* more = gradient(parts[i], u) + lo;
      for (int64_t j = 0; j < hi - lo; ++j) into[j] += more[j];
    }
    g2 = into;
  }
  if (optimizer == kSgd) return sgdUpdate(u.w + lo, g, u.out + lo, hi - lo, hyper[0], g2);
  adamUpdate(u.w + lo, g, u.m + lo, u.v + lo, u.out + lo, u.outM + lo, u.outV + lo, hi - lo, hyper, g2);
}

// Forward, backward and update, with the batch split by rows between up to `threads` threads.
// Each part's products run single-threaded; after a barrier every thread updates its slice of
// every tensor.
void trainStep(const Stack& s, std::vector<Part>& parts, const std::vector<Target>& targets, int optimizer,
               const float* hyper, int threads) {
  constexpr int64_t kMinRows = 16;  // with fewer rows per thread, one part with threaded products wins
  const int64_t P = std::max<int64_t>(1, std::min<int64_t>(threads, s.rows / kMinRows));
  parts.resize(P);
  for (int64_t i = 0; i < P; ++i) parts[i].layout(s, s.rows * i / P, s.rows * (i + 1) / P - s.rows * i / P);
  if (P == 1) {
    forwardBackward(s, parts[0]);
    for (const Target& u : targets) updateSlice(u, parts, optimizer, hyper, 0, u.n);  // threaded inside when large
    return;
  }
  std::exception_ptr error;
#pragma omp parallel num_threads(static_cast <int>(P))
  {
    // This thread's products run on it alone. omp_set_num_threads changes only this thread's
    // setting inside the region, and the product cache keys on it (see gemm.cc).
    omp_set_num_threads(1);
    const int id = omp_get_thread_num(), team = omp_get_num_threads();
    for (int64_t i = id; i < P; i += team) {
      try {
        forwardBackward(s, parts[i]);
      } catch (...) {
#pragma omp critical
        error = std::current_exception();
      }
    }
#pragma omp barrier
    if (!error)
      for (const Target& u : targets) updateSlice(u, parts, optimizer, hyper, u.n * id / team, u.n * (id + 1) / team);
  }
  if (error) std::rethrow_exception(error);
}

// The step's network and batch from its arguments, with every size checked: rows, dims,
// activations, loss, x and targets.
Stack readStack(const Args& args) {
  Stack s;
  s.rows = args.integer(2, "rows", 1);
  s.d = args.integers(3, "dims", 1);
  s.act = args.integers(4, "activations", 0);
  const size_t L = s.act.size();
  if (L == 0 || s.d.size() != L + 1)
    throw ArgError(ArgError::kRange, "expected one more dimension than activations, and rows");
  for (size_t l = 0; l < L; ++l) {
    if (s.act[l] >= stack_act::kCount)
      throw ArgError(ArgError::kRange, "activations[" + std::to_string(l) + "] is " + std::to_string(s.act[l]) +
                                           ", expected a code below " + std::to_string(stack_act::kCount));
    product({s.rows, s.d[l], s.d[l + 1]}, "a layer");  // so no size below overflows
  }
  s.loss = args.code(9, "loss", stack_loss::kCount);
  s.x = floatsIn(args[0], {"the input"}, s.rows * s.d[0], true);
  s.t = floatsIn(args[1], {"the targets"}, s.rows * s.d[L], true);
  return s;
}

// The layers' weights into `s`, and what the optimizer updates, each buffer checked. Every buffer
// is read here, on the JS thread: the step's threads never touch N-API.
std::vector<Target> readTargets(const Args& args, Stack& s, int optimizer) {
  const auto params = arrayArg(args, 5, "params"), newParams = arrayArg(args, 6, "newParams");
  const auto state = arrayArg(args, 7, "state"), newState = arrayArg(args, 8, "newState");
  const size_t L = s.act.size();
  if (params.Length() != 2 * L || newParams.Length() != 2 * L)
    throw ArgError(ArgError::kRange, "expected a kernel and a bias per layer");
  const uint32_t perLayer = optimizer == kAdam ? 4 : 0;
  if (state.Length() != perLayer * L || newState.Length() != perLayer * L)
    throw ArgError(ArgError::kRange, "optimizer state does not match");
  std::vector<Target> targets;
  for (size_t l = 0; l < L; ++l) {
    const int64_t in = s.d[l], out = s.d[l + 1];
    s.w.push_back(entry(params, 2 * l, in * out, false, "param"));
    s.b.push_back(entry(params, 2 * l + 1, out, true, "param"));
    for (const bool bias : {false, true}) {
      if (bias && !s.b[l]) continue;
      const uint32_t i = 2 * static_cast<uint32_t>(l) + bias, k = 4 * static_cast<uint32_t>(l) + 2 * bias;
      const int64_t n = bias ? out : in * out;
      Target u{bias ? s.b[l] : s.w[l],
               entry(newParams, i, n, false, "new param"),
               nullptr,
               nullptr,
               nullptr,
               nullptr,
               n,
               l,
               bias};
      if (optimizer == kAdam) {
        u.m = entry(state, k, n, false, "state");
        u.v = entry(state, k + 1, n, false, "state");
        u.outM = entry(newState, k, n, false, "new state");
        u.outV = entry(newState, k + 1, n, false, "new state");
      }
      targets.push_back(u);
    }
  }
  return targets;
}

// denseStackStep(x, targets, rows, dims, activations, params, newParams, state, newState,
//                loss, optimizer, hyper, metrics)
// dims [d0..dL]; activations L codes; params [w0, b0, w1, b1, ...] with wl [d_l, d_l+1] and bl
// [d_l+1] or null; newParams the same shapes, written (an entry may be its param itself: updated
// in place). state/newState: Adam's [m(w0), v(w0), m(b0), v(b0), ...], empty for sgd; likewise
// in place where the same. hyper: sgd [learningRate]; adam as adamUpdate's. metrics
// (Float64Array of 5): loss, accuracy, crossentropy, squared error, absolute error.
Napi::Value DenseStackStep(const Napi::CallbackInfo& info) {
  return guarded(info, "denseStackStep", [&] {
    const Args args(info, 13);
    Stack s = readStack(args);
    const int optimizer = args.code(10, "optimizer", stack_optimizer::kCount);
    const float* hyper = args.floats(11, "hyper", optimizer == kAdam ? 6 : 1);
    double* metrics = float64sOut(args, 12, "metrics", kMetrics);
    const std::vector<Target> targets = readTargets(args, s, optimizer);

    static std::vector<Part> parts;  // steps run one at a time, from the JS thread
    trainStep(s, parts, targets, optimizer, hyper, omp_get_max_threads());

    for (int m = kAccuracy; m < kMetrics; ++m) {
      double sum = 0;
      for (const Part& p : parts) sum += p.sums[m];
      metrics[m] = sum / s.rows;
    }
    metrics[kLoss] = s.loss == kMeanSquaredError ? metrics[kSquaredError] : metrics[kCrossentropy];
  });
}

}  // namespace

void registerDenseStack(Napi::Env env, Napi::Object exports) {
  exports.Set("denseStackStep", Napi::Function::New(env, DenseStackStep));
}

}  // namespace ox
