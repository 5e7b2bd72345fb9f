// Elementwise kernels. Unary ones run oneDNN's JIT eltwise primitives (vectorised exp/log/tanh);
// binary ones are OpenMP loops over a broadcast shape that the TS side has already collapsed.
#include "eltwise.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include "op_codes.h"
#include "primitive_cache.h"

namespace ox {
namespace {

struct EltwiseForward {
  static constexpr CacheKind kKind = CacheKind::kEltwiseForward;
  dnnl::primitive prim;
};
struct EltwiseBackward {
  static constexpr CacheKind kKind = CacheKind::kEltwiseBackward;
  dnnl::primitive prim;
};

// alpha and beta by their bits, in a key of integers.
int64_t bits(float f) {
  int32_t b;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}

dnnl::memory::desc flatDesc(int64_t n) {
  return dnnl::memory::desc({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
}

}  // namespace

void eltwiseForward(dnnl::algorithm alg, float alpha, float beta, const float* src, float* dst, int64_t n) {
  if (n == 0) return;
  CallingThreadOnly alone(n <= kSerialElements);
  auto& eng = cpuEngine();
  auto md = flatDesc(n);
  const auto c =
      cached<EltwiseForward>({static_cast<int>(alg), bits(alpha), bits(beta), n, omp_get_max_threads()}, [&] {
        dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, alg, md, alpha, beta);
        return std::make_shared<const EltwiseForward>(
            EltwiseForward{dnnl::primitive(dnnl::eltwise_forward::primitive_desc(d, eng))});
      });
  dnnl::memory s(md, eng, const_cast<float*>(src)), o(md, eng, dst);
  c->prim.execute(cpuStream(), {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, o}});
}

void eltwiseBackward(dnnl::algorithm alg, float alpha, float beta, const float* diffDst, const float* data,
                     float* diffSrc, int64_t n) {
  if (n == 0) return;
  CallingThreadOnly alone(n <= kSerialElements);
  auto& eng = cpuEngine();
  auto md = flatDesc(n);
  const auto c =
      cached<EltwiseBackward>({static_cast<int>(alg), bits(alpha), bits(beta), n, omp_get_max_threads()}, [&] {
        dnnl::eltwise_forward::desc fd(dnnl::prop_kind::forward_training, alg, md, alpha, beta);
        dnnl::eltwise_forward::primitive_desc fpd(fd, eng);
        dnnl::eltwise_backward::desc bd(alg, md, md, alpha, beta);
        return std::make_shared<const EltwiseBackward>(
            EltwiseBackward{dnnl::primitive(dnnl::eltwise_backward::primitive_desc(bd, eng, fpd))});
      });
  dnnl::memory dd(md, eng, const_cast<float*>(diffDst)), x(md, eng, const_cast<float*>(data)), ds(md, eng, diffSrc);
  const bool useDst =
      alg == dnnl::algorithm::eltwise_logistic_use_dst_for_bwd ||
      alg == dnnl::algorithm::eltwise_relu_use_dst_for_bwd || alg == dnnl::algorithm::eltwise_exp_use_dst_for_bwd ||
      alg == dnnl::algorithm::eltwise_sqrt_use_dst_for_bwd || alg == dnnl::algorithm::eltwise_tanh_use_dst_for_bwd;
  c->prim.execute(cpuStream(),
                  {{DNNL_ARG_DIFF_DST, dd}, {useDst ? DNNL_ARG_DST : DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_SRC, ds}});
}

namespace {

dnnl::algorithm unaryAlg(int64_t code) {
#define OX_ALGORITHM(id, name, alg) dnnl::algorithm::alg,
  static const dnnl::algorithm table[] = {OX_UNARY_OPS(OX_ALGORITHM)};
#undef OX_ALGORITHM
  static_assert(sizeof(table) / sizeof(table[0]) == unary_op::kCount, "one algorithm per unary code");
  if (code < 0 || code >= unary_op::kCount) throw std::runtime_error("unknown unary code " + std::to_string(code));
  return table[code];
}

// unary(code, alpha, beta, x, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, "unary", [&] {
    eltwiseForward(unaryAlg(i64(info[0])), info[1].As<Napi::Number>().FloatValue(),
                   info[2].As<Napi::Number>().FloatValue(), f32(info[3]), f32(info[4]),
                   static_cast<int64_t>(len(info[4])));
  });
}

// Work is split into (row, chunk) pieces so that
// a same-shape op, which collapses to a single long row, still uses every thread.
template <typename Op>
void broadcastLoop(const float* a, const float* b, float* out, const std::vector<int64_t>& shape,
                   const std::vector<int64_t>& sa, const std::vector<int64_t>& sb, Op op) {
  const int rank = static_cast<int>(shape.size());
  const int64_t inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; ++d) rows *= shape[d];
  constexpr int64_t kChunk = 16384;
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (rows * inner > 65536)
  for (int64_t piece = 0; piece < rows * chunks; ++piece) {
    const int64_t r = piece / chunks, j0 = (piece % chunks) * kChunk, j1 = std::min(inner, j0 + kChunk);
    int64_t oa = 0, ob = 0, rem = r;
    for (int d = rank - 2; d >= 0; --d) {
      const int64_t idx = rem % shape[d];
      rem /= shape[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    const float* pa = a + oa;
    const float* pb = b + ob;
    float* po = out + r * inner;
    if (ia == 1 && ib == 1) {
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) po[j] = op(pa[j], pb[j]);
    } else if (ia == 1) {
      const float vb = pb[0];
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) po[j] = op(pa[j], vb);
    } else if (ib == 1) {
      const float va = pa[0];
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) po[j] = op(va, pb[j]);
    } else {
      const float v = op(pa[0], pb[0]);
      for (int64_t j = j0; j < j1; ++j) po[j] = v;
    }
  }
}

// binary(code, a, b, out, shape, stridesA, stridesB): strides are 0 on broadcast dims.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, "binary", [&] {
    const float *a = f32(info[1]), *b = f32(info[2]);
    float* o = f32(info[3]);
    auto shape = dims(info[4]), sa = dims(info[5]), sb = dims(info[6]);
    switch (i64(info[0])) {
      case binary_op::kAdd:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return x + y; });
        break;
      case binary_op::kSub:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return x - y; });
        break;
      case binary_op::kMul:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return x * y; });
        break;
      case binary_op::kDiv:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return x / y; });
        break;
      case binary_op::kMax:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return std::isnan(x) || x > y ? x : y; });
        break;
      case binary_op::kMin:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return std::isnan(x) || x < y ? x : y; });
        break;
      case binary_op::kSquaredDifference:
        broadcastLoop(a, b, o, shape, sa, sb, [](float x, float y) { return (x - y) * (x - y); });
        break;
      // ReluGrad-style masks: dy where x > 0.
      case binary_op::kReluGrad:
        broadcastLoop(a, b, o, shape, sa, sb, [](float dy, float x) { return x > 0.f ? dy : 0.f; });
        break;
      // The sigmoid's gradient from its output y: dy * y * (1 - y).
      case binary_op::kSigmoidGrad:
        broadcastLoop(a, b, o, shape, sa, sb, [](float dy, float y) { return dy * y * (1.f - y); });
        break;
      default:
        throw std::runtime_error("unknown binary code");
    }
  });
}

// step(alpha, x, out): tfjs's Step, the ReLU gradient mask: NaN stays NaN, x > 0 → 1, else alpha.
Napi::Value Step(const Napi::CallbackInfo& info) {
  return guarded(info, "step", [&] {
    const float alpha = info[0].As<Napi::Number>().FloatValue();
    const float* x = f32(info[1]);
    float* o = f32(info[2]);
    const int64_t n = static_cast<int64_t>(len(info[2]));
#pragma omp parallel for simd schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) o[i] = std::isnan(x[i]) ? x[i] : (x[i] > 0.f ? 1.f : alpha);
  });
}

// tile(x, out, inShape, reps): out[i_0..i_k] = x[i_0 % in_0, ..., i_k % in_k], one output row at a time.
Napi::Value Tile(const Napi::CallbackInfo& info) {
  return guarded(info, "tile", [&] {
    const float* x = f32(info[0]);
    float* o = f32(info[1]);
    auto in = dims(info[2]), reps = dims(info[3]);
    const int rank = static_cast<int>(in.size());
    std::vector<int64_t> outShape(rank), inStrides(rank, 1);
    for (int d = 0; d < rank; ++d) outShape[d] = in[d] * reps[d];
    for (int d = rank - 2; d >= 0; --d) inStrides[d] = inStrides[d + 1] * in[d + 1];
    const int64_t inner = outShape[rank - 1], inInner = in[rank - 1];
    int64_t rows = 1;
    for (int d = 0; d < rank - 1; ++d) rows *= outShape[d];
#pragma omp parallel for schedule(static) if (rows * inner > 65536)
    for (int64_t r = 0; r < rows; ++r) {
      int64_t off = 0, rem = r;
      for (int d = rank - 2; d >= 0; --d) {
        off += (rem % outShape[d]) % in[d] * inStrides[d];
        rem /= outShape[d];
      }
      const float* src = x + off;
      float* dst = o + r * inner;
      for (int64_t j0 = 0; j0 < inner; j0 += inInner) std::memcpy(dst + j0, src, sizeof(float) * inInner);
    }
  });
}

}  // namespace

void registerEltwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("step", Napi::Function::New(env, Step));
  exports.Set("tile", Napi::Function::New(env, Tile));
}

}  // namespace ox
