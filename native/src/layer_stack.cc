// One training step of a sequential stack of layers (conv2d, dense, batch norm, activation, max and
// average pooling, dropout; flatten and reshape are free in NHWC) in one call: the notebook CNN and
// its variants. Through tfjs the same step is ~600 kernel dispatches, and their bookkeeping took
// ~9 ms of a ~25 ms step; here it is the kernels alone. The arithmetic is tfjs's, op by op: the
// convolutions are the oneDNN primitives the backend's conv kernels run, batch norm the backend's
// fused training kernels (norm.cc), pooling tfjs's cpu kernels' rules (pool.cc), losses, metrics,
// activations and optimizers as the dense-stack step has them (step_math.cc, optim.cc). Dropout's
// masks come from the caller, drawn as tfjs draws them, so runs stay seeded and reproducible.
// The caller (src/backend/onednn/layer-stack.ts) decides which models qualify.
//
// Threads split each kernel (oneDNN's primitives, our OpenMP loops), not the batch: a conv
// layer's work per sample is large enough to split, unlike the dense stack's small products.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>
#include "common.h"
#include "conv.h"
#include "gemm.h"
#include "norm.h"
#include "op_codes.h"
#include "optim.h"
#include "pool.h"
#include "step_math.h"

namespace ox {
namespace {

using namespace stack_layer;
using stack_loss::kMeanSquaredError;
using stack_optimizer::kAdam;
using stack_optimizer::kSgd;
using stack_out::kAccuracy;
using stack_out::kCrossentropy;
using stack_out::kLoss;
using stack_out::kSquaredError;
constexpr int kMetrics = stack_out::kCount;

// One layer of the stack as the JS side described it, with what the step keeps for it.
struct Layer {
  int kind = 0;
  int64_t in = 0, out = 0;  // floats per sample in and out
  ConvGeometry conv{};
  PoolGeometry pool{};
  int64_t dIn = 0, dOut = 0;  // dense: units in and out
  int64_t channels = 0;       // batch norm
  double epsilon = 0;
  float decay = 0;     // batch norm: 1 − momentum, as the float32 the moving averages use
  int activation = 0;  // activation layers
  // A batch norm with a relu right above it runs that relu in its own passes: forward it writes the
  // relu's output, backward it takes the gradient through the relu; the relu layer is `fused`.
  bool reluAbove = false, fused = false;
  const float* p[2] = {nullptr, nullptr};  // kernel and bias, or gamma and beta; may be null
  float* np[2] = {nullptr, nullptr};       // where their new values go
  const float *m[2] = {nullptr, nullptr}, *v[2] = {nullptr, nullptr};  // Adam's moments
  float *nm[2] = {nullptr, nullptr}, *nv[2] = {nullptr, nullptr};
  int64_t pn[2] = {0, 0};                       // their sizes
  const float* moving[2] = {nullptr, nullptr};  // batch norm's moving mean, variance
  float* newMoving[2] = {nullptr, nullptr};
  const float* mask = nullptr;  // dropout's multipliers, rows × in
  // Where the step keeps, in its arena: the output, the parameters' gradients, batch norm's batch
  // statistics, its multipliers (gamma / std, for the relu above's backward) and its stand-ins for
  // an absent gamma (ones) or beta (zeros).
  float* y = nullptr;
  float* grad[2] = {nullptr, nullptr};
  float *mean = nullptr, *var = nullptr, *mul = nullptr, *ones = nullptr, *zeros = nullptr;
  int32_t* argmax = nullptr;  // max pooling: each output's winner, for the backward pass
  // A max pool whose windows tile its input (window and stride alike, no padding), above a batch
  // norm's fused relu: backward, the batch norm reads the pool's gradient and winners itself
  // (norm.h's PooledGradient), so the pool's input gradient is never written.
  bool intoBatchNorm = false;
  bool hasParams() const { return p[0] || p[1]; }
};

// A number of a layer's description, checked to be an integer at least `lo`.
int64_t integerAt(const std::vector<double>& d, size_t i, int64_t lo, const std::string& where) {
  if (i >= d.size()) throw ArgError(ArgError::kRange, where + " is too short");
  const double v = d[i];
  if (!(v >= static_cast<double>(lo)) || v > static_cast<double>(kMaxCount) || std::floor(v) != v)
    throw ArgError(ArgError::kRange, where + "[" + std::to_string(i) + "] must be an integer of at least " +
                                         std::to_string(lo) + ", received " + std::to_string(v));
  return static_cast<int64_t>(v);
}

std::vector<double> numbers(const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) throw ArgError(ArgError::kType, where + " must be an array of numbers");
  const auto a = v.As<Napi::Array>();
  std::vector<double> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value e = a.Get(i);
    if (!e.IsNumber()) throw ArgError(ArgError::kType, where + "[" + std::to_string(i) + "] must be a number");
    out[i] = e.As<Napi::Number>().DoubleValue();
  }
  return out;
}

// Layer `l`'s shape from its description: [kind, ...] as src/backend/onednn/layer-stack.ts writes it.
//   conv2d     [kind, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padT, padL,
//               padB, padR]: conv.h's geometry, less the batch
//   dense      [kind, in, out]
//   batchNorm  [kind, channels, epsilon, momentum]
//   activation [kind, stack_act code]
//   maxPool, avgPool [kind, inH, inW, c, outH, outW, fH, fW, strideH, strideW, padT, padL]: the pool
//               kernels' geometry, less the batch
//   dropout    [kind, floats per sample]
Layer describe(const std::vector<double>& d, int64_t rows, int64_t in, const std::string& where) {
  Layer L;
  L.kind = static_cast<int>(integerAt(d, 0, 0, where));
  L.in = in;
  const auto at = [&](size_t i, int64_t lo) { return integerAt(d, i, lo, where); };
  switch (L.kind) {
    case kConv2d: {
      L.conv[0] = rows;
      for (int i = 1; i < kConvGeometry; ++i) L.conv[i] = at(i, i <= 12 ? 1 : 0);  // sizes to dilations >= 1, pads >= 0
      const auto& g = L.conv;
      L.in = product({g[1], g[2], g[3]}, "a conv2d input");
      L.out = product({g[4], g[5], g[6]}, "a conv2d output");
      L.pn[0] = product({g[7], g[8], g[3], g[6]}, "a filter");
      L.pn[1] = g[6];
      break;
    }
    case kDense:
      L.dIn = L.in = at(1, 1);
      L.dOut = L.out = at(2, 1);
      L.pn[0] = product({L.dIn, L.dOut}, "a dense kernel");
      L.pn[1] = L.dOut;
      break;
    case kBatchNorm:
      L.channels = at(1, 1);
      if (d.size() < 4 || !(d[2] >= 0) || !std::isfinite(d[3]))
        throw ArgError(ArgError::kRange, where + ": expected [kind, channels, epsilon, momentum]");
      L.epsilon = d[2];
      L.decay = static_cast<float>(1.0 - d[3]);
      if (in % L.channels != 0)
        throw ArgError(ArgError::kRange, where + ": " + std::to_string(in) +
                                             " floats per sample are not a multiple of " + std::to_string(L.channels) +
                                             " channels");
      L.out = in;
      L.pn[0] = L.pn[1] = L.channels;
      break;
    case kActivation:
      L.activation = static_cast<int>(at(1, 0));
      if (L.activation >= stack_act::kCount) throw ArgError(ArgError::kRange, where + ": unknown activation code");
      L.out = in;
      break;
    case kMaxPool:
    case kAvgPool: {
      int64_t g[11];
      for (int i = 0; i < 11; ++i) g[i] = at(i + 1, i >= 5 && i < 9 ? 1 : 0);
      L.pool = {rows,
                g[0],
                g[1],
                g[2],
                g[3],
                g[4],
                g[5],
                g[6],
                g[7],
                g[8],
                g[9],
                g[10],
                product({rows, g[0], g[1], g[2]}, "a pool input"),
                product({rows, g[3], g[4], g[2]}, "a pool output")};
      L.in = product({g[0], g[1], g[2]}, "a pool input");
      L.out = product({g[3], g[4], g[2]}, "a pool output");
      break;
    }
    case kDropout:
      L.out = in;
      break;
    default:
      throw ArgError(ArgError::kRange, where + ": unknown layer kind " + std::to_string(L.kind));
  }
  if (L.in != in)
    throw ArgError(ArgError::kRange, where + " takes " + std::to_string(L.in) +
                                         " floats per sample, the layer below gives " + std::to_string(in));
  return L;
}

// The stack, its buffers and the batch, from the arguments; every buffer is read here, on the JS
// thread (the step's threads never touch N-API).
struct Stack {
  int64_t rows = 0, in = 0;
  const float *x = nullptr, *t = nullptr;
  int loss = 0, optimizer = 0;
  const float* hyper = nullptr;
  std::vector<Layer> layers;
};

// The layers' shapes, parameters and moving statistics from their descriptions: what training
// and inference both read. `params` and `moving` hold 2 entries per layer.
void readShapes(const Napi::Array& ops, const Napi::Array& params, const Napi::Array& moving, Stack& s) {
  const uint32_t n = ops.Length();
  if (n == 0) throw ArgError(ArgError::kRange, "layers is empty");
  if (params.Length() != 2 * n || moving.Length() != 2 * n)
    throw ArgError(ArgError::kRange, "params and moving need 2 entries per layer");
  int64_t in = s.in;
  for (uint32_t i = 0; i < n; ++i) {
    const std::string where = "layers[" + std::to_string(i) + "]";
    Layer L = describe(numbers(ops.Get(i), where), s.rows, in, where);
    const bool trains = L.kind == kConv2d || L.kind == kDense || L.kind == kBatchNorm;
    for (uint32_t j = 0; j < 2; ++j) {
      const uint32_t k = 2 * i + j;
      if (!trains) {
        if (!params.Get(k).IsNull()) throw ArgError(ArgError::kRange, where + " has no parameters");
        continue;
      }
      L.p[j] = entry(params, k, L.pn[j], L.kind != kConv2d && L.kind != kDense ? true : j == 1, "param");
    }
    if (L.kind == kBatchNorm)
      for (uint32_t j = 0; j < 2; ++j) L.moving[j] = entry(moving, 2 * i + j, L.channels, false, "moving");
    in = L.out;
    if (L.kind == kActivation && L.activation == stack_act::kRelu && i > 0 && s.layers.back().kind == kBatchNorm) {
      s.layers.back().reluAbove = true;
      L.fused = true;
    }
    if (L.kind == kMaxPool && L.pool.fH == L.pool.sH && L.pool.fW == L.pool.sW && L.pool.padT == 0 &&
        L.pool.padL == 0 && i >= 2 && s.layers.back().fused && s.layers[i - 2].channels == L.pool.c)
      L.intoBatchNorm = true;
    s.layers.push_back(std::move(L));
  }
}

// readShapes, then what a training step writes: new parameters, Adam's moments, new moving
// statistics, and dropout's masks.
void readLayers(const Args& args, Stack& s) {
  const auto ops = arrayArg(args, 3, "layers");
  readShapes(ops, arrayArg(args, 4, "params"), arrayArg(args, 8, "moving"), s);
  const auto newParams = arrayArg(args, 5, "newParams");
  const auto state = arrayArg(args, 6, "state"), newState = arrayArg(args, 7, "newState");
  const auto newMoving = arrayArg(args, 9, "newMoving");
  const auto masks = arrayArg(args, 10, "masks");
  const uint32_t n = ops.Length();
  const uint32_t slots = s.optimizer == kAdam ? 4 : 0;
  if (newParams.Length() != 2 * n || newMoving.Length() != 2 * n || masks.Length() != n ||
      state.Length() != slots * n || newState.Length() != slots * n)
    throw ArgError(ArgError::kRange,
                   "params, newParams, moving and newMoving need 2 entries per layer, masks 1, "
                   "state and newState 4 per layer for adam and none for sgd");
  for (uint32_t i = 0; i < n; ++i) {
    Layer& L = s.layers[i];
    for (uint32_t j = 0; j < 2; ++j) {
      if (!L.p[j]) continue;
      const uint32_t k = 2 * i + j;
      L.np[j] = entry(newParams, k, L.pn[j], false, "new param");
      if (slots) {
        L.m[j] = entry(state, 2 * k, L.pn[j], false, "state");
        L.v[j] = entry(state, 2 * k + 1, L.pn[j], false, "state");
        L.nm[j] = entry(newState, 2 * k, L.pn[j], false, "new state");
        L.nv[j] = entry(newState, 2 * k + 1, L.pn[j], false, "new state");
      }
    }
    if (L.kind == kBatchNorm)
      for (uint32_t j = 0; j < 2; ++j) L.newMoving[j] = entry(newMoving, 2 * i + j, L.channels, false, "new moving");
    if (L.kind == kDropout) L.mask = entry(masks, i, product({s.rows, L.in}, "a dropout mask"), false, "mask");
  }
}

// The step's working memory, kept from step to step (a fresh 2.4 MB gradient for the CNN's dense
// kernel every step would be allocated and zeroed each time): every layer's output, the
// parameters' gradients, batch norm's statistics, and two buffers for the gradient flowing down.
struct Arena {
  std::vector<float> floats, d0, d1;
  std::vector<int32_t> winners;  // max pooling's

  // Points each layer at its parts of `floats`; every part is written before it is read.
  void layout(Stack& s) {
    int64_t total = 0, widest = s.in, pooled = 0;
    for (const Layer& L : s.layers) {
      if (L.kind == kMaxPool) pooled += s.rows * L.out;
      total += s.rows * L.out + L.pn[0] * (L.p[0] != nullptr) + L.pn[1] * (L.p[1] != nullptr) + 5 * L.channels;
      widest = std::max(widest, L.out);
    }
    if (static_cast<int64_t>(floats.size()) < total) floats.resize(total);
    if (static_cast<int64_t>(winners.size()) < pooled) winners.resize(pooled);
    int32_t* won = winners.data();
    d0.resize(s.rows * widest);
    d1.resize(s.rows * widest);
    float* at = floats.data();
    const auto take = [&at](int64_t n) { return std::exchange(at, at + n); };
    for (Layer& L : s.layers) {
      L.y = take(s.rows * L.out);
      if (L.kind == kMaxPool) L.argmax = std::exchange(won, won + s.rows * L.out);
      for (int j = 0; j < 2; ++j)
        if (L.p[j]) L.grad[j] = take(L.pn[j]);
      if (L.kind != kBatchNorm) continue;
      L.mean = take(L.channels), L.var = take(L.channels), L.mul = take(L.channels);
      L.ones = take(L.channels), L.zeros = take(L.channels);
      std::fill(L.ones, L.ones + L.channels, 1.f);
      std::fill(L.zeros, L.zeros + L.channels, 0.f);
    }
  }
};

void forward(Stack& s) {
  const float* x = s.x;
  for (size_t i = 0; i < s.layers.size(); ++i) {
    Layer& L = s.layers[i];
    switch (L.kind) {
      case kConv2d:
        convForward(L.conv, x, L.p[0], L.p[1], L.y);
        break;
      case kDense:
        gemm(s.rows, L.dOut, L.dIn, false, false, x, L.p[0], L.y, L.p[1], 0);
        break;
      case kBatchNorm: {
        const int64_t C = L.channels, rows = s.rows * (L.in / C);
        batchNormTrainForward(x, L.reluAbove ? s.layers[i + 1].y : L.y, rows, C, L.p[0] ? L.p[0] : L.ones,
                              L.p[1] ? L.p[1] : L.zeros, L.epsilon, L.mean, L.var, L.reluAbove, L.mul);
        // The moving averages as tfjs updates them: value − (value − batch) · (1 − momentum).
        const float* batch[2] = {L.mean, L.var};
        for (int j = 0; j < 2; ++j)
          for (int64_t c = 0; c < C; ++c) L.newMoving[j][c] = L.moving[j][c] - (L.moving[j][c] - batch[j][c]) * L.decay;
        break;
      }
      case kActivation:
        if (!L.fused) applyActivation(L.activation, x, L.y, s.rows, L.in);
        break;
      case kMaxPool:
        maxPoolForward(L.pool, x, L.y, L.argmax);
        break;
      case kAvgPool:
        avgPoolForward(L.pool, x, L.y);
        break;
      case kDropout: {
        const int64_t n = s.rows * L.in;
        const float* mask = L.mask;
        float* y = L.y;
#pragma omp parallel for simd schedule(static) if (parallel : n > kSerialElements)
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] * mask[i];
        break;
      }
    }
    x = L.y;
  }
}

// From the loss's gradient down: each layer's parameters' gradients, and the gradient for its
// input where a layer below has parameters.
void backward(Stack& s, Arena& a, double* sums) {
  const size_t n = s.layers.size();
  size_t first = n;  // the lowest layer with parameters: nothing below it needs a gradient
  for (size_t i = 0; i < n && first == n; ++i)
    if (s.layers[i].hasParams()) first = i;
  float *d = a.d0.data(), *other = a.d1.data();
  PooledGradient pooled{};
  bool fromPool = false;  // d holds the gradient of an intoBatchNorm pool's output, for the batch norm below
  const Layer& top = s.layers.back();
  lossAndMetrics(s.loss, top.y, s.t, d, s.rows, top.out, s.rows, sums);
  for (size_t i = n; i-- > first;) {
    Layer& L = s.layers[i];
    const float* x = i ? s.layers[i - 1].y : s.x;
    const bool below = i > first;  // the layer below wants the gradient for this one's input
    switch (L.kind) {
      case kConv2d: {
        convBackwardWeights(L.conv, x, d, L.grad[0]);
        if (L.p[1]) columnSums(d, s.rows * L.conv[4] * L.conv[5], L.conv[6], L.grad[1]);
        if (below) convBackwardData(L.conv, d, L.p[0], other), std::swap(d, other);
        break;
      }
      case kDense:
        gemm(L.dIn, L.dOut, s.rows, true, false, x, d, L.grad[0]);  // dW = inputᵀ·dY
        if (L.p[1]) columnSums(d, s.rows, L.dOut, L.grad[1]);
        if (below) gemm(s.rows, L.dIn, L.dOut, false, true, d, L.p[0], other), std::swap(d, other);  // dX = dY·Wᵀ
        break;
      case kBatchNorm: {  // dx in place of dy; beside it where dy is a pool's output gradient
        const int64_t C = L.channels, rows = s.rows * (L.in / C);
        const ReluAbove relu{L.mul, L.p[1] ? L.p[1] : L.zeros};
        float* dx = below ? (fromPool ? other : d) : nullptr;
        batchNormBackward(d, x, rows, C, L.p[0] ? L.p[0] : L.ones, L.mean, L.var, L.epsilon, dx,
                          L.p[0] ? L.grad[0] : nullptr, L.p[1] ? L.grad[1] : nullptr, L.reluAbove ? &relu : nullptr,
                          fromPool ? &pooled : nullptr);
        if (fromPool && below) std::swap(d, other);
        fromPool = false;
        break;
      }
      case kActivation:
        if (!L.fused) throughActivation(L.activation, L.y, d, s.rows, L.in);
        break;
      case kMaxPool:
        if (L.intoBatchNorm) {
          const PoolGeometry& g = L.pool;
          pooled = {d, L.argmax, g.inH, g.inW, g.outH, g.outW, g.fH, g.fW};
          fromPool = true;
        } else {
          maxPoolBackwardFrom(L.pool, d, L.argmax, other), std::swap(d, other);
        }
        break;
      case kAvgPool:
        avgPoolBackward(L.pool, d, other), std::swap(d, other);
        break;
      case kDropout: {
        const int64_t count = s.rows * L.in;
        const float* mask = L.mask;
#pragma omp parallel for simd schedule(static) if (parallel : count > kSerialElements)
        for (int64_t k = 0; k < count; ++k) d[k] *= mask[k];
        break;
      }
    }
  }
}

void update(const Stack& s) {
  for (const Layer& L : s.layers)
    for (int j = 0; j < 2; ++j) {
      if (!L.p[j]) continue;
      if (s.optimizer == kSgd)
        sgdUpdate(L.p[j], L.grad[j], L.np[j], L.pn[j], s.hyper[0]);
      else
        adamUpdate(L.p[j], L.grad[j], L.m[j], L.v[j], L.np[j], L.nm[j], L.nv[j], L.pn[j], s.hyper);
    }
}

// The stack in inference, as tfjs-layers predicts: batch norm with its moving statistics (the
// backend's FusedBatchNorm arithmetic), dropout passing its input through. Two buffers take the
// layers' outputs in turn; the top layer writes `out`.
void inferenceForward(const Stack& s, float* out, std::vector<float>& a, std::vector<float>& b) {
  int64_t widest = 0;
  for (const Layer& L : s.layers) widest = std::max(widest, L.out);
  a.resize(s.rows * widest);
  b.resize(s.rows * widest);
  const float* x = s.x;
  const size_t n = s.layers.size();
  for (size_t i = 0; i < n; ++i) {
    const Layer& L = s.layers[i];
    if (L.kind == kDropout || L.fused) continue;
    const bool top = i + 1 == n || (L.reluAbove && i + 2 == n);
    float* y = top ? out : (x == a.data() ? b.data() : a.data());
    switch (L.kind) {
      case kConv2d:
        convForward(L.conv, x, L.p[0], L.p[1], y);
        break;
      case kDense:
        gemm(s.rows, L.dOut, L.dIn, false, false, x, L.p[0], y, L.p[1], 0);
        break;
      case kBatchNorm:
        batchNormInference(x, y, s.rows * (L.in / L.channels), L.channels, L.moving[0], L.moving[1], L.p[0], L.p[1],
                           static_cast<float>(L.epsilon), L.reluAbove);
        break;
      case kActivation:
        applyActivation(L.activation, x, y, s.rows, L.in);
        break;
      case kMaxPool:
        maxPoolForward(L.pool, x, y);
        break;
      case kAvgPool:
        avgPoolForward(L.pool, x, y);
        break;
    }
    x = y;
  }
  if (x != out) std::memcpy(out, x, sizeof(float) * s.rows * s.layers.back().out);  // a dropout on top
}

// layerStackStep(x, targets, rows, layers, params, newParams, state, newState, moving, newMoving,
//                masks, loss, optimizer, hyper, metrics)
// layers: one description per layer (see describe()). params: 2 per layer (conv2d, dense: kernel
// and bias or null; batch norm: gamma and beta, each or null; others: null, null); newParams the
// same, written (an entry may be its param itself: updated in place). state/newState: Adam's
// [m(p0), v(p0), m(p1), v(p1)] per layer, nulls for absent params; empty for sgd. moving/newMoving:
// batch norm's moving mean and variance, 2 per layer (null for other layers). masks: dropout's
// multipliers (0 or 1 / keep probability) per layer, null elsewhere. hyper: sgd [learningRate];
// adam as adamUpdate's. metrics: Float64Array of the stack_out codes' count.
Napi::Value LayerStackStep(const Napi::CallbackInfo& info) {
  return guarded(info, "layerStackStep", [&] {
    const Args args(info, 15);
    Stack s;
    s.rows = args.integer(2, "rows", 1);
    s.loss = args.code(11, "loss", stack_loss::kCount);
    s.optimizer = args.code(12, "optimizer", stack_optimizer::kCount);
    s.hyper = args.floats(13, "hyper", s.optimizer == kAdam ? 6 : 1);
    double* metrics = float64sOut(args, 14, "metrics", kMetrics);
    int64_t length = 0;
    s.x = args.sized(0, "x", &length);
    if (length % s.rows != 0)
      throw ArgError(ArgError::kRange, "x holds " + std::to_string(length) + " floats, not a multiple of the rows");
    s.in = length / s.rows;
    readLayers(args, s);
    s.t = floatsIn(args[1], {"the targets"}, product({s.rows, s.layers.back().out}, "the targets"), true);

    static Arena arena;  // steps run one at a time, from the JS thread
    double sums[kMetrics] = {};
    arena.layout(s);
    forward(s);
    backward(s, arena, sums);
    update(s);
    for (int m = kAccuracy; m < kMetrics; ++m) metrics[m] = sums[m] / s.rows;
    metrics[kLoss] = s.loss == kMeanSquaredError ? metrics[kSquaredError] : metrics[kCrossentropy];
  });
}

// layerStackPredict(x, rows, layers, params, moving, out): the stack's outputs for x, in inference;
// layers, params and moving as layerStackStep takes them. out: rows × the top layer's width.
Napi::Value LayerStackPredict(const Napi::CallbackInfo& info) {
  return guarded(info, "layerStackPredict", [&] {
    const Args args(info, 6);
    Stack s;
    s.rows = args.integer(1, "rows", 1);
    int64_t length = 0;
    s.x = args.sized(0, "x", &length);
    if (length % s.rows != 0)
      throw ArgError(ArgError::kRange, "x holds " + std::to_string(length) + " floats, not a multiple of the rows");
    s.in = length / s.rows;
    readShapes(arrayArg(args, 2, "layers"), arrayArg(args, 3, "params"), arrayArg(args, 4, "moving"), s);
    float* out = args.floats(5, "out", product({s.rows, s.layers.back().out}, "out"));
    static std::vector<float> a, b;  // calls run one at a time, from the JS thread
    inferenceForward(s, out, a, b);
  });
}

}  // namespace

void registerLayerStack(Napi::Env env, Napi::Object exports) {
  exports.Set("layerStackStep", Napi::Function::New(env, LayerStackStep));
  exports.Set("layerStackPredict", Napi::Function::New(env, LayerStackPredict));
}

}  // namespace ox
