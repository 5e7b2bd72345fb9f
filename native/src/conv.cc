// Conv2D forward, backward-data and backward-weights on oneDNN. Activations stay NHWC (tfjs's
// layout); the HWIO filter is reordered into whatever blocked layout the JIT kernel asks for —
// filters are small (a 3x3x32x32 one is 36 KB), activations are not.
#include "conv.h"
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>
#include "common.h"
#include "eltwise.h"
#include "primitive_cache.h"
#include "vec8.h"

namespace ox {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
constexpr int kGeom = kConvGeometry;
using Geom = ConvGeometry;

struct ConvPlan {
  static constexpr CacheKind kKind = CacheKind::kConv;
  memory::desc src, dst, userW, bias;
  dnnl::convolution_forward::primitive_desc fwdPd;
  dnnl::convolution_forward fwd, fwdBias;
  dnnl::convolution_backward_data bwdData;
  dnnl::convolution_backward_weights bwdWeights;
  memory::desc fwdW, bwdDataW, bwdWeightsW;  // the layouts each primitive wants for the filter
};

dnnl::convolution_forward::desc fwdDesc(const Geom& g, const memory::desc& src, const memory::desc& w,
                                        const memory::desc* bias, const memory::desc& dst) {
  memory::dims strides{g[9], g[10]}, dil{g[11] - 1, g[12] - 1}, padL{g[13], g[14]}, padR{g[15], g[16]};
  if (bias)
    return {dnnl::prop_kind::forward_training,
            dnnl::algorithm::convolution_direct,
            src,
            w,
            *bias,
            dst,
            strides,
            dil,
            padL,
            padR};
  return {
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src, w, dst, strides, dil, padL, padR};
}

std::shared_ptr<const ConvPlan> makePlan(const Geom& g) {
  auto& eng = cpuEngine();
  auto p = std::make_shared<ConvPlan>();
  p->src = memory::desc({g[0], g[3], g[1], g[2]}, dt::f32, tag::nhwc);
  p->dst = memory::desc({g[0], g[6], g[4], g[5]}, dt::f32, tag::nhwc);
  p->userW = memory::desc({g[6], g[3], g[7], g[8]}, dt::f32, tag::hwio);
  p->bias = memory::desc({g[6]}, dt::f32, tag::a);
  memory::desc anyW({g[6], g[3], g[7], g[8]}, dt::f32, tag::any);
  p->fwdPd = dnnl::convolution_forward::primitive_desc(fwdDesc(g, p->src, anyW, nullptr, p->dst), eng);
  p->fwd = dnnl::convolution_forward(p->fwdPd);
  p->fwdW = p->fwdPd.weights_desc();
  dnnl::convolution_forward::primitive_desc biasPd(fwdDesc(g, p->src, p->fwdW, &p->bias, p->dst), eng);
  p->fwdBias = dnnl::convolution_forward(biasPd);
  memory::dims strides{g[9], g[10]}, dil{g[11] - 1, g[12] - 1}, padL{g[13], g[14]}, padR{g[15], g[16]};
  dnnl::convolution_backward_data::desc bdd(dnnl::algorithm::convolution_direct, p->src, anyW, p->dst, strides, dil,
                                            padL, padR);
  dnnl::convolution_backward_data::primitive_desc bdPd(bdd, eng, p->fwdPd);
  p->bwdData = dnnl::convolution_backward_data(bdPd);
  p->bwdDataW = bdPd.weights_desc();
  dnnl::convolution_backward_weights::desc bwd(dnnl::algorithm::convolution_direct, p->src, anyW, p->dst, strides, dil,
                                               padL, padR);
  dnnl::convolution_backward_weights::primitive_desc bwPd(bwd, eng, p->fwdPd);
  p->bwdWeights = dnnl::convolution_backward_weights(bwPd);
  p->bwdWeightsW = bwPd.diff_weights_desc();
  return p;
}

std::shared_ptr<const ConvPlan> plan(const Geom& g) {
  return cached<ConvPlan>(
      {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16]},
      [&] { return makePlan(g); });
}

// [n, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padTop, padLeft,
// padBottom, padRight]: sizes may be 0, the filter, strides and dilations not, pads not negative.
constexpr std::array<int64_t, kGeom> kGeomLeast{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};

// The geometry, and the buffers' element counts it implies.
struct Conv {
  Geom g;
  int64_t src, dst, filter;
};

Conv readConv(const Args& args, size_t at) {
  const auto d = args.integers(at, "geometry", 0, kGeom);
  Conv c;
  for (int i = 0; i < kGeom; ++i) {
    if (d[i] < kGeomLeast[i])
      throw ArgError(ArgError::kRange, "geometry[" + std::to_string(i) + "] must be at least " +
                                           std::to_string(kGeomLeast[i]) + ", received " + std::to_string(d[i]));
    c.g[i] = d[i];
  }
  c.src = product({d[0], d[1], d[2], d[3]}, "the input");
  c.dst = product({d[0], d[4], d[5], d[6]}, "the output");
  c.filter = product({d[7], d[8], d[3], d[6]}, "the filter");
  return c;
}

// A filter in the layout `want`: the user's HWIO buffer itself when it already matches, else a reorder into `scratch`.
memory filterIn(const memory::desc& user, const memory::desc& want, float* data, memory& scratch) {
  auto& eng = cpuEngine();
  memory u(user, eng, data);
  if (want == user) return u;
  if (!scratch || scratch.get_desc() != want) scratch = memory(want, eng);
  dnnl::reorder(u, scratch).execute(cpuStream(), u, scratch);
  return scratch;
}

// One input channel (a first layer on grey images): each output pixel is a few taps times the
// filter's rows of output channels, vectorized over those channels with the taps in registers.
// oneDNN ran the notebook CNN's first conv (1 -> 32 channels, 3x3, 26x26 out, batch 64) at 19
// GFLOP/s forward and 28 backward-weights on one core, 1.3 and 0.9 ms a step; these loops take
// 0.85 and 0.65 ms, with the same sums in the same order (the weights after 60 steps were bit for
// bit oneDNN's, at 1 and 2 threads), and the CNN's step 1.017x faster at 1 thread and 1.022x at 2
// (bench/addon-ab.ts, 4 alternations each). Both passes are bound by the 5.5 MB output they write
// or read, not by their arithmetic. For unpadded, undilated convolutions with up to 9 taps and
// output channels in 16s; other geometries stay on oneDNN.
constexpr int kMaxTaps = 9;

// A register's floats, and how many registers a pass over the rows takes per tap: the 9 taps'
// accumulators, the gradient and a pixel must fit the vector registers (with AVX2 alone, 16-float
// vectors took two registers each and spilled: the backward pass took 12 ms a step instead of 0.6
// on an AVX2 EPYC).
using Lanes = float __attribute__((vector_size(kVectorBytes)));
constexpr int kLanes = kVectorBytes / sizeof(float);
constexpr int kPerTap = kVectorRegisters >= 2 * (kMaxTaps + 1) + 1 ? 2 : 1;
static_assert(kMaxTaps * kPerTap + kPerTap + 1 <= kVectorRegisters, "the accumulators fit the registers");

inline Lanes loadLanes(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool singleChannel(const Geom& g) {
  const bool unpadded = g[13] == 0 && g[14] == 0 && g[15] == 0 && g[16] == 0;
  return g[3] == 1 && g[11] == 1 && g[12] == 1 && unpadded && g[7] * g[8] <= kMaxTaps && g[6] % 16 == 0;
}

// y[n, oh, ow, :] = sum over taps (i, j) of x[n, oh·sh + i, ow·sw + j] · w[i, j, 0, :], plus the
// bias after the sum (tfjs adds it as a separate op). Threads split the output rows.
void singleChannelForward(const Geom& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t N = g[0], H = g[1], W = g[2], OH = g[4], OW = g[5], C = g[6], KW = g[8], SH = g[9], SW = g[10];
  const int taps = static_cast<int>(g[7] * KW);
#pragma omp parallel for collapse(2) schedule(static) if (parallel : N * OH * OW * C > kSerialElements)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
        Lanes wt[kMaxTaps];
        int64_t offset[kMaxTaps];  // each tap's pixel, from the window's corner
        for (int t = 0; t < taps; ++t) {
          wt[t] = loadLanes(w + t * C + c0);
          offset[t] = (t / KW) * W + t % KW;
        }
        const Lanes b = bias ? loadLanes(bias + c0) : Lanes{};
        const float* row = x + (n * H + oh * SH) * W;
        float* out = y + ((n * OH + oh) * OW) * C + c0;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const float* corner = row + ow * SW;
          Lanes acc = wt[0] * corner[offset[0]];
#pragma GCC unroll 9
          for (int t = 1; t < kMaxTaps; ++t)
            if (t < taps) acc += wt[t] * corner[offset[t]];
          if (bias) acc += b;
          std::memcpy(out + ow * C, &acc, sizeof acc);
        }
      }
}

// dw[i, j, 0, :] = sum over n, oh, ow of x[n, oh·sh + i, ow·sw + j] · dy[n, oh, ow, :]. Each thread
// sums its share of the output rows with the taps' accumulators in registers, kPerTap vectors of
// channels a pass, then the threads' sums are added in thread order.
void singleChannelBackwardWeights(const Geom& g, const float* x, const float* dy, float* dw) {
  const int64_t N = g[0], H = g[1], W = g[2], OH = g[4], OW = g[5], C = g[6], KW = g[8], SH = g[9], SW = g[10];
  const int taps = static_cast<int>(g[7] * KW);
  const int64_t rows = N * OH;
  const int threads = rows * OW * C > kSerialElements ? omp_get_max_threads() : 1;
  std::vector<float> partial(static_cast<size_t>(threads) * taps * C, 0.f);
#pragma omp parallel num_threads(threads)
  {
    const int id = omp_get_thread_num(), team = omp_get_num_threads();
    float* mine = partial.data() + static_cast<int64_t>(id) * taps * C;
    int64_t offset[kMaxTaps];
    for (int t = 0; t < taps; ++t) offset[t] = (t / KW) * W + t % KW;
    for (int64_t c0 = 0; c0 < C; c0 += kPerTap * kLanes) {
      const int vectors = static_cast<int>(std::min<int64_t>(kPerTap, (C - c0) / kLanes));
      Lanes acc[kMaxTaps][kPerTap] = {};
      for (int64_t r = rows * id / team; r < rows * (id + 1) / team; ++r) {
        const int64_t n = r / OH, oh = r % OH;
        const float* row = x + (n * H + oh * SH) * W;
        const float* d = dy + r * OW * C + c0;
        for (int64_t ow = 0; ow < OW; ++ow) {
          Lanes grad[kPerTap];
          for (int v = 0; v < kPerTap; ++v) grad[v] = v < vectors ? loadLanes(d + ow * C + v * kLanes) : Lanes{};
          const float* corner = row + ow * SW;
#pragma GCC unroll 9
          for (int t = 0; t < kMaxTaps; ++t)
            if (t < taps) {
              const float p = corner[offset[t]];
              for (int v = 0; v < kPerTap; ++v) acc[t][v] += grad[v] * p;
            }
        }
      }
      for (int t = 0; t < taps; ++t)
        for (int v = 0; v < vectors; ++v) std::memcpy(mine + t * C + c0 + v * kLanes, &acc[t][v], sizeof acc[t][v]);
    }
  }
  std::copy(partial.begin(), partial.begin() + taps * C, dw);
  for (int t = 1; t < threads; ++t)
    for (int64_t i = 0; i < taps * C; ++i) dw[i] += partial[static_cast<size_t>(t) * taps * C + i];
}

}  // namespace

void convForward(const ConvGeometry& g, const float* x, const float* wIn, const float* biasIn, float* y) {
  if (singleChannel(g)) return singleChannelForward(g, x, wIn, biasIn, y);
  const auto p = plan(g);  // held: the cache may evict it meanwhile
  auto& eng = cpuEngine();
  thread_local memory wScratch;
  memory w = filterIn(p->userW, p->fwdW, const_cast<float*>(wIn), wScratch);
  memory src(p->src, eng, const_cast<float*>(x)), dst(p->dst, eng, y);
  if (biasIn) {
    memory bias(p->bias, eng, const_cast<float*>(biasIn));
    p->fwdBias.execute(cpuStream(),
                       {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  } else {
    p->fwd.execute(cpuStream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
  }
}

void convBackwardData(const ConvGeometry& g, const float* dyIn, const float* wIn, float* dxOut) {
  const auto p = plan(g);
  auto& eng = cpuEngine();
  thread_local memory wScratch;
  memory w = filterIn(p->userW, p->bwdDataW, const_cast<float*>(wIn), wScratch);
  memory dy(p->dst, eng, const_cast<float*>(dyIn)), dx(p->src, eng, dxOut);
  p->bwdData.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
}

void convBackwardWeights(const ConvGeometry& g, const float* xIn, const float* dyIn, float* dwOut) {
  if (singleChannel(g)) return singleChannelBackwardWeights(g, xIn, dyIn, dwOut);
  const auto p = plan(g);
  auto& eng = cpuEngine();
  memory x(p->src, eng, const_cast<float*>(xIn)), dy(p->dst, eng, const_cast<float*>(dyIn)), user(p->userW, eng, dwOut);
  const bool direct = p->bwdWeightsW == p->userW;
  thread_local memory scratch;
  if (!direct && (!scratch || scratch.get_desc() != p->bwdWeightsW)) scratch = memory(p->bwdWeightsW, eng);
  memory dw = direct ? user : scratch;
  p->bwdWeights.execute(cpuStream(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
  if (!direct) dnnl::reorder(dw, user).execute(cpuStream(), dw, user);
}

namespace {

// conv2d(x, w, out, geometry, bias|null, relu)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d", [&] {
    const Args args(info, 6);
    const Conv c = readConv(args, 3);
    float *x = args.floats(0, "x", c.src), *w = args.floats(1, "w", c.filter), *out = args.floats(2, "out", c.dst);
    float* bias = args.optionalFloats(4, "bias", c.g[6]);
    const bool relu = args.boolean(5, "relu");
    convForward(c.g, x, w, bias, out);
    if (relu) eltwiseForward(dnnl::algorithm::eltwise_relu, 0.f, 0.f, out, out, c.dst);
  });
}

// conv2dBackpropInput(dy, w, dx, geometry)
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2dBackpropInput", [&] {
    const Args args(info, 4);
    const Conv c = readConv(args, 3);
    convBackwardData(c.g, args.floats(0, "dy", c.dst), args.floats(1, "w", c.filter), args.floats(2, "dx", c.src));
  });
}

// conv2dBackpropFilter(x, dy, dw, geometry)
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2dBackpropFilter", [&] {
    const Args args(info, 4);
    const Conv c = readConv(args, 3);
    convBackwardWeights(c.g, args.floats(0, "x", c.src), args.floats(1, "dy", c.dst), args.floats(2, "dw", c.filter));
  });
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBackpropFilter));
}

}  // namespace ox
