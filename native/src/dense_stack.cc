// One training step of a stack of dense layers (forward, loss, metrics, backward and the
// optimizer update) in one call, for models made only of dense and activation layers: the
// notebook ANN and its sweeps. Through tfjs the same step is ~100 kernel dispatches with their
// tensor bookkeeping, more time than its matrix products; here it is those products and a few
// passes over small arrays. The arithmetic follows tfjs op by op (its losses with their clipping,
// its activation gradients, its optimizers), so weights agree with model.trainOnBatch's to float
// rounding. The caller (src/backend/onednn/dense-stack.ts) decides which models qualify.
//
// Threads split the batch for the forward and backward passes: each runs them over its own rows
// with single-threaded products, into its rows of batch-wide arrays (every layer's output and the
// gradient for every layer's product). The first layer's product is split by its inputs instead
// (rows of its kernel: the notebook ANN's 784x512, 85 % of its weights), each thread multiplying
// the batch's columns for its inputs by its rows of the kernel, the threads' partial products
// summed row by row. After the backward pass each thread forms its rows of every kernel's gradient
// over the whole batch (for the first layer, the rows of its own inputs) and its elements of every
// bias's, and updates them and their Adam moments itself. So the first kernel and its moments stay
// in one core's cache from step to step, where split by the batch alone every product read weights
// the other core had just written (3-4 % of the notebook ANN's epochs on a 2-core AVX-512 Xeon),
// and with SGD each kernel's rows are updated by the gradient's product itself (gemmTransposedA:
// w += −learningRate·xᵀ·dz), so no gradient array is zeroed, written and read back: on a 2-core Zen 3
// (AVX2, OpenBLAS) that is most of the cost outside the products.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
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

// The step's network and batch, as the JS side passed them. The batch's samples are x's rows, or
// with `at` x's rows at[0..rows): then x is the whole training set and the step's threads gather the
// batch themselves, each the part it reads, where the JS thread would copy it all before the call.
struct Stack {
  int64_t rows;
  std::vector<int64_t> d, act;
  std::vector<const float*> w, b;  // per layer; a bias may be null
  const float *x, *t;
  const uint32_t* at = nullptr;
  int loss;

  const float* sample(int64_t r) const { return x + (at ? at[r] : r) * d[0]; }
};

// The batch's arrays, which the threads share, each part writing its own rows: the samples when
// the step gathers them, every layer's output, and the gradient for every layer's product (its
// output before the activation).
struct Batch {
  std::vector<float> buffer;
  float* gathered = nullptr;
  std::vector<float*> y, dz;

  void layout(const Stack& s) {
    const size_t L = s.act.size();
    int64_t size = s.at ? s.rows * s.d[0] : 0;
    for (size_t l = 0; l < L; ++l) size += 2 * s.rows * s.d[l + 1];
    buffer.resize(size);
    y.resize(L), dz.resize(L);
    float* at = buffer.data();
    gathered = s.at ? at : nullptr, at += s.at ? s.rows * s.d[0] : 0;
    for (size_t l = 0; l < L; ++l) {
      y[l] = at, at += s.rows * s.d[l + 1];
      dz[l] = at, at += s.rows * s.d[l + 1];
    }
  }
  // The batch's samples, [rows, d0]: x's own rows, or those the parts gathered.
  const float* input(const Stack& s) const { return s.at ? gathered : s.x; }
};

// One thread's rows of the batch, and the sums of the loss and metrics over them.
struct Part {
  int64_t row0 = 0, rows = 0;
  double sums[kMetrics] = {};

  // The part's samples: x's own rows, or gathered from the training set into the batch's array.
  const float* input(const Stack& s, const Batch& batch) const {
    if (!s.at) return s.x + row0 * s.d[0];
    float* into = batch.gathered + row0 * s.d[0];
    for (int64_t r = 0; r < rows; ++r) std::copy_n(s.sample(row0 + r), s.d[0], into + r * s.d[0]);
    return into;
  }
};

// The first layer's product split by its inputs (rows of its kernel) between `team` threads: each
// thread's copy of the batch's columns for its inputs (dense, so that the products run on brgemm,
// which takes no strided operand here) and its partial product over the whole batch. The same
// copy then gives the thread's rows of the kernel's gradient.
struct FirstLayer {
  int team = 0;
  std::vector<float> buffer;
  std::vector<float*> x, partial;

  void layout(const Stack& s, int threads) {
    team = threads;
    const int64_t width = s.d[1];
    buffer.resize(s.rows * s.d[0] + threads * s.rows * width);
    x.resize(threads), partial.resize(threads);
    float* at = buffer.data();
    for (int t = 0; t < threads; ++t) {
      const auto [lo, hi] = inputs(s, t);
      x[t] = at, at += s.rows * (hi - lo);
      partial[t] = at, at += s.rows * width;
    }
  }
  // Thread t's inputs: rows [first, second) of the kernel.
  std::pair<int64_t, int64_t> inputs(const Stack& s, int t) const {
    return {s.d[0] * t / team, s.d[0] * (t + 1) / team};
  }
};

// Thread t's share of the first layer's product: the batch's columns for its inputs times its
// rows of the kernel.
void firstPartial(const Stack& s, const FirstLayer& f, int t) {
  const auto [lo, hi] = f.inputs(s, t);
  for (int64_t r = 0; r < s.rows; ++r) std::copy(s.sample(r) + lo, s.sample(r) + hi, f.x[t] + r * (hi - lo));
  gemm(s.rows, s.d[1], hi - lo, false, false, f.x[t], s.w[0] + lo * s.d[1], f.partial[t]);
}

// The first layer's output y for a part's rows: the threads' partial products summed, the bias added.
void firstOutput(const Stack& s, const FirstLayer& f, const Part& p, float* y) {
  const int64_t width = s.d[1];
  const float* b = s.b[0];
  for (int64_t r = 0; r < p.rows; ++r) {
    float* yr = y + r * width;
    const float* first = f.partial[0] + (p.row0 + r) * width;
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) yr[c] = first[c];
    for (int t = 1; t < f.team; ++t) {
      const float* more = f.partial[t] + (p.row0 + r) * width;
#pragma omp simd
      for (int64_t c = 0; c < width; ++c) yr[c] += more[c];
    }
    if (b)
#pragma omp simd
      for (int64_t c = 0; c < width; ++c) yr[c] += b[c];
  }
}

// Forward and backward over a part's rows, into its rows of the batch's arrays: every layer's
// output and the gradient for every layer's product. With `first`, the first layer's product is
// the threads' shares (above).
void forwardBackward(const Stack& s, const Batch& batch, Part& p, const FirstLayer* first) {
  const size_t L = s.act.size();
  const auto rowsOf = [&](float* array, size_t l) { return array + p.row0 * s.d[l + 1]; };  // layer l's
  const float* x = first ? nullptr : p.input(s, batch);  // with `first`, only firstPartial reads the samples
  for (size_t l = 0; l < L; ++l) {
    const int fused = s.act[l] == kRelu || s.act[l] == kSigmoid ? static_cast<int>(s.act[l]) : 0;
    float* y = rowsOf(batch.y[l], l);
    if (l == 0 && first) {
      firstOutput(s, *first, p, y);
      fusedActivation(fused, y, p.rows * s.d[1]);  // as the product's epilogue would
    } else {
      gemm(p.rows, s.d[l + 1], s.d[l], false, false, l ? rowsOf(batch.y[l - 1], l - 1) : x, s.w[l], y, s.b[l], fused);
    }
    activate(static_cast<int>(s.act[l]), y, p.rows, s.d[l + 1]);
  }
  float* dz = rowsOf(batch.dz[L - 1], L - 1);
  const float* out = rowsOf(batch.y[L - 1], L - 1);
  lossAndMetrics(s.loss, out, s.t + p.row0 * s.d[L], dz, p.rows, s.d[L], s.rows, p.sums);
  throughActivation(static_cast<int>(s.act[L - 1]), out, dz, p.rows, s.d[L]);
  for (size_t l = L - 1; l > 0; --l) {  // the gradient for the layer below (none for the model's input)
    float* below = rowsOf(batch.dz[l - 1], l - 1);
    gemm(p.rows, s.d[l], s.d[l + 1], false, true, dz, s.w[l], below);  // dA = dZ·Wᵀ
    throughActivation(static_cast<int>(s.act[l - 1]), rowsOf(batch.y[l - 1], l - 1), below, p.rows, s.d[l]);
    dz = below;
  }
}

// One tensor the optimizer updates: its values, Adam's moments when used, and where the new
// values go (which may be the old ones: in place).
struct Target {
  const float* w;
  float* out;
  const float *m = nullptr, *v = nullptr;
  float *outM = nullptr, *outV = nullptr;
  int64_t n;
  size_t layer;
  bool bias;
};

// tf.train's update of elements [lo, hi) of `u` with gradient g, pointing at element lo.
void apply(const Target& u, const float* g, int optimizer, const float* hyper, int64_t lo, int64_t hi) {
  if (hi <= lo) return;
  if (optimizer == kSgd) return sgdUpdate(u.w + lo, g, u.out + lo, hi - lo, hyper[0]);
  adamUpdate(u.w + lo, g, u.m + lo, u.v + lo, u.out + lo, u.outM + lo, u.outV + lo, hi - lo, hyper);
}

// Thread `id` of `team`'s share of the update of `u`, its gradient formed over the whole batch
// after the backward pass: rows of a kernel (for a split first layer, those of the thread's
// inputs), or elements of a bias. With SGD a kernel's rows are updated by the product itself
// (gemmTransposedA); other optimizers get the gradient in `scratch`.
void updateShare(const Stack& s, const Batch& batch, const FirstLayer* first, const Target& u, int optimizer,
                 const float* hyper, int id, int team, std::vector<float>& scratch) {
  const size_t l = u.layer;
  const int64_t in = s.d[l], out = s.d[l + 1];
  // (Grown, never shrunk: resizing up again would zero the floats each step.)
  const auto room = [&](int64_t n) {
    if (scratch.size() < static_cast<size_t>(n)) scratch.resize(n);
    return scratch.data();
  };
  if (u.bias) {
    const int64_t lo = out * id / team, hi = out * (id + 1) / team;
    room(hi - lo);
    columnSums(batch.dz[l] + lo, s.rows, hi - lo, scratch.data(), out);
    return apply(u, scratch.data(), optimizer, hyper, lo, hi);
  }
  const bool split = l == 0 && first;
  const auto [lo, hi] = split ? first->inputs(s, id) : std::pair{in * id / team, in * (id + 1) / team};
  if (hi <= lo) return;
  // The inputs' columns [lo, hi) over the batch: the layer's input, or the thread's copy of them.
  const float* a = split ? first->x[id] : (l ? batch.y[l - 1] : batch.input(s)) + lo;
  const int64_t lda = split ? hi - lo : in;
  if (optimizer == kSgd) {
    float* into = u.out + lo * out;
    if (u.out != u.w) std::copy(u.w + lo * out, u.w + hi * out, into);
    return gemmTransposedA(hi - lo, out, s.rows, a, lda, batch.dz[l], into, -hyper[0], 1.f);
  }
  room((hi - lo) * out);
  gemmTransposedA(hi - lo, out, s.rows, a, lda, batch.dz[l], scratch.data(), 1.f, 0.f);
  apply(u, scratch.data(), optimizer, hyper, lo * out, hi * out);
}

// What a step keeps between calls (steps run one at a time, from the JS thread).
struct Workspace {
  std::vector<Part> parts;
  Batch batch;
  FirstLayer first;
  std::vector<std::vector<float>> scratch;  // per thread
};

// Forward, backward and update, with the batch split by rows between up to `threads` threads and
// the first layer's product by its inputs (see the top of the file). Each thread's products run
// single-threaded; after the last barrier every thread updates its share of every tensor.
void trainStep(const Stack& s, Workspace& ws, const std::vector<Target>& targets, int optimizer, const float* hyper,
               int threads) {
  constexpr int64_t kMinRows = 16;  // with fewer rows per thread, one part with threaded products wins
  const int64_t P = std::max<int64_t>(1, std::min({int64_t{threads}, s.rows / kMinRows, s.d[0]}));
  ws.parts.resize(P);
  for (int64_t i = 0; i < P; ++i) {
    Part& p = ws.parts[i];
    p.row0 = s.rows * i / P, p.rows = s.rows * (i + 1) / P - p.row0;
    std::fill(p.sums, p.sums + kMetrics, 0.0);
  }
  ws.batch.layout(s);
  ws.scratch.resize(P);
  if (P == 1) {  // one part: products, sums and updates threaded inside
    forwardBackward(s, ws.batch, ws.parts[0], nullptr);
    for (auto u = targets.rbegin(); u != targets.rend(); ++u)
      updateShare(s, ws.batch, nullptr, *u, optimizer, hyper, 0, 1, ws.scratch[0]);
    return;
  }
  ws.first.layout(s, static_cast<int>(P));
  std::exception_ptr error;
  const auto failed = [&] {
#pragma omp critical
    error = std::current_exception();
  };
#pragma omp parallel num_threads(static_cast <int>(P))
  {
    // This thread's products run on it alone. omp_set_num_threads changes only this thread's
    // setting inside the region, and the product cache keys on it (see gemm.cc).
    omp_set_num_threads(1);
    const int id = omp_get_thread_num(), team = omp_get_num_threads();
    // The same for every thread. Given fewer threads than parts (OMP_THREAD_LIMIT), the batch split alone.
    const bool split = team == P;
    const FirstLayer* first = split ? &ws.first : nullptr;
    if (split) {
      try {
        firstPartial(s, ws.first, id);
      } catch (...) {
        failed();
      }
#pragma omp barrier
    }
    for (int64_t i = id; i < P; i += team) {
      try {
        forwardBackward(s, ws.batch, ws.parts[i], first);
      } catch (...) {
        failed();
      }
    }
#pragma omp barrier
    if (!error) {
      try {
        for (auto u = targets.rbegin(); u != targets.rend(); ++u)
          updateShare(s, ws.batch, first, *u, optimizer, hyper, id, team, ws.scratch[id]);
      } catch (...) {
        failed();
      }
    }
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
  if (args.given(13)) {  // x: the whole training set, a whole number of samples
    int64_t length = 0;
    s.x = args.sized(0, "x", &length);
    if (length % s.d[0] != 0)  // (dims are at least 1)
      throw ArgError(ArgError::kRange, "x holds " + std::to_string(length) + " floats, not a whole number of samples");
    s.at = args.indices(13, "at", s.rows, length / s.d[0]);
  } else {
    s.x = floatsIn(args[0], {"the input"}, s.rows * s.d[0], true);
  }
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
//                loss, optimizer, hyper, metrics[, at])
// dims [d0..dL]; activations L codes; params [w0, b0, w1, b1, ...] with wl [d_l, d_l+1] and bl
// [d_l+1] or null; newParams the same shapes, written (an entry may be its param itself: updated
// in place). state/newState: Adam's [m(w0), v(w0), m(b0), v(b0), ...], empty for sgd; likewise
// in place where the same. hyper: sgd [learningRate]; adam as adamUpdate's. metrics
// (Float64Array of 5): loss, accuracy, crossentropy, squared error, absolute error. at: null, or
// the batch's rows of x (Uint32Array of rows), x then holding every sample.
Napi::Value DenseStackStep(const Napi::CallbackInfo& info) {
  return guarded(info, "denseStackStep", [&] {
    const Args args(info, 13);
    Stack s = readStack(args);
    const int optimizer = args.code(10, "optimizer", stack_optimizer::kCount);
    const float* hyper = args.floats(11, "hyper", optimizer == kAdam ? 6 : 1);
    double* metrics = float64sOut(args, 12, "metrics", kMetrics);
    const std::vector<Target> targets = readTargets(args, s, optimizer);

    static Workspace ws;  // steps run one at a time, from the JS thread
    trainStep(s, ws, targets, optimizer, hyper, omp_get_max_threads());

    for (int m = kAccuracy; m < kMetrics; ++m) {
      double sum = 0;
      for (const Part& p : ws.parts) sum += p.sums[m];
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
