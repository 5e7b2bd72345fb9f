// Sum/Mean/Max/Min over the middle axis of x viewed as [outer, reduce, inner]: the TS side maps
// any contiguous block of reduced axes onto that view. BatchNorm's moments reduce [N,H,W] of NHWC
// (outer 1, inner C), the case the cpu backend handles worst: it transposes first.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>
#include "common.h"
#include "op_codes.h"

namespace ox {
namespace {

using reduce_op::kMax;
using reduce_op::kMean;
using reduce_op::kMin;
using reduce_op::kSum;

inline float combine(int code, float a, float b) {
  if (code == kMax) return (a > b || std::isnan(a)) ? a : b;
  if (code == kMin) return (a < b || std::isnan(a)) ? a : b;
  return a + b;
}

inline float identity(int code) {
  if (code == kMax) return -std::numeric_limits<float>::infinity();
  if (code == kMin) return std::numeric_limits<float>::infinity();
  return 0.f;
}

// One output row of `inner` values: acc[j] = reduce over r of x[r*inner + j], r in [r0, r1).
void reduceRows(int code, const float* x, float* acc, int64_t r0, int64_t r1, int64_t inner) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* row = x + r * inner;
    if (code == kSum || code == kMean) {
#pragma omp simd
      for (int64_t j = 0; j < inner; ++j) acc[j] += row[j];
    } else {
      for (int64_t j = 0; j < inner; ++j) acc[j] = combine(code, acc[j], row[j]);
    }
  }
}

// inner == 1: each output is a contiguous run; split outputs across threads.
void reduceContiguous(int code, const float* x, float* out, int64_t outer, int64_t red) {
#pragma omp parallel for schedule(static) if (outer * red > 32768)
  for (int64_t o = 0; o < outer; ++o) {
    const float* p = x + o * red;
    float acc = identity(code);
    if (code == kSum || code == kMean) {
#pragma omp simd reduction(+ : acc)
      for (int64_t r = 0; r < red; ++r) acc += p[r];
    } else {
      for (int64_t r = 0; r < red; ++r) acc = combine(code, acc, p[r]);
    }
    out[o] = acc;
  }
}

// inner > 1 and few outputs: each thread reduces a slab of rows into its own partial row.
void reduceStrided(int code, const float* x, float* out, int64_t outer, int64_t red, int64_t inner) {
  const int threads = (outer * red * inner > 32768) ? omp_get_max_threads() : 1;
  std::vector<float> partial(static_cast<size_t>(threads) * outer * inner, identity(code));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t r0 = red * t / nt, r1 = red * (t + 1) / nt;
    for (int64_t o = 0; o < outer; ++o)
      reduceRows(code, x + o * red * inner, partial.data() + (static_cast<int64_t>(t) * outer + o) * inner, r0, r1,
                 inner);
  }
  for (int64_t i = 0; i < outer * inner; ++i) {
    float acc = partial[i];
    for (int t = 1; t < threads; ++t) acc = combine(code, acc, partial[static_cast<size_t>(t) * outer * inner + i]);
    out[i] = acc;
  }
}

// reduce(code, x, out, outer, reduce, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, "reduce", [&] {
    const Args args(info, 6);
    const int code = args.code(0, "code", reduce_op::kCount);
    const int64_t outer = args.integer(3, "outer", 0), red = args.integer(4, "reduce", 0),
                  inner = args.integer(5, "inner", 0);
    const float* x = args.floats(1, "x", product({outer, red, inner}, "x"));
    float* out = args.floats(2, "out", product({outer, inner}, "out"));
    if (inner == 1)
      reduceContiguous(code, x, out, outer, red);
    else
      reduceStrided(code, x, out, outer, red, inner);
    if (code == kMean) {
      const float scale = 1.f / static_cast<float>(red);
      for (int64_t i = 0; i < outer * inner; ++i) out[i] *= scale;
    }
  });
}

}  // namespace

void registerReduce(Napi::Env env, Napi::Object exports) { exports.Set("reduce", Napi::Function::New(env, Reduce)); }

}  // namespace ox
