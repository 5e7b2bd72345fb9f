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

// `code` is checked by the caller, against unary_op::kCount.
dnnl::algorithm unaryAlg(int code) {
#define OX_ALGORITHM(id, name, alg) dnnl::algorithm::alg,
  static const dnnl::algorithm table[] = {OX_UNARY_OPS(OX_ALGORITHM)};
#undef OX_ALGORITHM
  static_assert(sizeof(table) / sizeof(table[0]) == unary_op::kCount, "one algorithm per unary code");
  return table[code];
}

// unary(code, alpha, beta, x, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, "unary", [&] {
    const Args args(info, 5);
    int64_t n = 0;
    float* out = args.sized(4, "out", &n);
    eltwiseForward(unaryAlg(args.code(0, "code", unary_op::kCount)), args.real(1, "alpha"), args.real(2, "beta"),
                   args.floats(3, "x", n), out, n);
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

// How many elements a walk over `shape` with element `strides` reaches: 1 + the last offset.
int64_t span(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, const char* what) {
  int64_t last = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return 0;
    last += product({shape[d] - 1, strides[d]}, what);  // each term <= kMaxCount: no overflow
  }
  if (last >= kMaxCount)
    throw ArgError(ArgError::kRange, std::string(what) + " reaches past " + std::to_string(kMaxCount));
  return last + 1;
}

// binary(code, a, b, out, shape, stridesA, stridesB): strides are 0 on broadcast dims.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, "binary", [&] {
    const Args args(info, 7);
    const int code = args.code(0, "code", binary_op::kCount);
    const auto shape = args.integers(4, "shape", 0);
    if (shape.empty()) throw ArgError(ArgError::kRange, "shape must have at least one entry");
    const auto sa = args.integers(5, "stridesA", 0, shape.size()), sb = args.integers(6, "stridesB", 0, shape.size());
    const float* a = args.floats(1, "a", span(shape, sa, "a"));
    const float* b = args.floats(2, "b", span(shape, sb, "b"));
    float* o = args.floats(3, "out", product(shape, "out"));
    switch (code) {
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
    }
  });
}

// step(alpha, x, out): tfjs's Step, the ReLU gradient mask: NaN stays NaN, x > 0 → 1, else alpha.
Napi::Value Step(const Napi::CallbackInfo& info) {
  return guarded(info, "step", [&] {
    const Args args(info, 3);
    const float alpha = args.real(0, "alpha");
    int64_t n = 0;
    float* o = args.sized(2, "out", &n);
    const float* x = args.floats(1, "x", n);
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
    for (int64_t i = 0; i < n; ++i) o[i] = std::isnan(x[i]) ? x[i] : (x[i] > 0.f ? 1.f : alpha);
  });
}

// tile(x, out, inShape, reps): out[i_0..i_k] = x[i_0 % in_0, ..., i_k % in_k], one output row at a time.
Napi::Value Tile(const Napi::CallbackInfo& info) {
  return guarded(info, "tile", [&] {
    const Args args(info, 4);
    const auto in = args.integers(2, "inShape", 0), reps = args.integers(3, "reps", 0, in.size());
    if (in.empty()) throw ArgError(ArgError::kRange, "inShape must have at least one entry");
    const int rank = static_cast<int>(in.size());
    std::vector<int64_t> outShape(rank), inStrides(rank, 1);
    for (int d = 0; d < rank; ++d) outShape[d] = product({in[d], reps[d]}, "out");
    const float* x = args.floats(0, "x", product(in, "x"));
    float* o = args.floats(1, "out", product(outShape, "out"));
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
