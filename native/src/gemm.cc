// MatMul / BatchMatMul / _FusedMatMul: row-major SGEMM, then bias and activation.
//
// Not dnnl_sgemm: in oneDNN < 3.11.2 its JIT kernels point rsp at the heap, so any signal that
// lands mid-GEMM (Node's --cpu-prof, a SIGINT or SIGWINCH handler) corrupts the heap
// (uxlfoundation/oneDNN#4845, fixed by #4855; Debian ships 2.6). OpenBLAS runs single-threaded
// inside our own OpenMP split, so no second thread pool competes for the two cores.
#include <cblas.h>
#include <omp.h>
#include <algorithm>
#include "common.h"
#include "eltwise.h"

namespace ox {
namespace {

struct GemmShape {
  int64_t batch, batchA, batchB, m, n, k;
  bool transA, transB;
};

// C = op(A)·op(B) for one batch entry, split into per-thread blocks of rows (or of columns when
// the output is wide), each a single-threaded OpenBLAS call.
void gemmOne(const GemmShape& s, const float* a, const float* b, float* c) {
  const int64_t lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n;
  const auto ta = s.transA ? CblasTrans : CblasNoTrans, tb = s.transB ? CblasTrans : CblasNoTrans;
  const bool byRows = s.m >= s.n;
  const int64_t extent = byRows ? s.m : s.n;
  const int threads = s.m * s.n * s.k > (1 << 18) ? std::min<int64_t>(omp_get_max_threads(), std::max<int64_t>(1, extent / 16)) : 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = extent * t / nt, hi = extent * (t + 1) / nt;
    if (hi > lo && byRows) {
      const float* aBlock = s.transA ? a + lo : a + lo * lda;  // rows lo..hi of op(A)
      cblas_sgemm(CblasRowMajor, ta, tb, hi - lo, s.n, s.k, 1.f, aBlock, lda, b, ldb, 0.f, c + lo * s.n, s.n);
    } else if (hi > lo) {
      const float* bBlock = s.transB ? b + lo * ldb : b + lo;  // columns lo..hi of op(B)
      cblas_sgemm(CblasRowMajor, ta, tb, s.m, hi - lo, s.k, 1.f, a, lda, bBlock, ldb, 0.f, c + lo, s.n);
    }
  }
}

void batchedGemm(const GemmShape& s, const float* a, const float* b, float* c) {
  if (s.k == 0) {
    std::fill(c, c + s.batch * s.m * s.n, 0.f);
    return;
  }
  // tfjs broadcasts batch dims by index modulo size; we match it exactly.
  for (int64_t bi = 0; bi < s.batch; ++bi)
    gemmOne(s, a + (bi % s.batchA) * s.m * s.k, b + (bi % s.batchB) * s.k * s.n, c + bi * s.m * s.n);
}

// Adds a bias of `biasLen` elements broadcast along rows (biasLen == n) or full (== rows*n).
void addBias(float* c, const float* bias, int64_t rows, int64_t n, int64_t biasLen) {
  if (biasLen == rows * n) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < rows * n; ++i) c[i] += bias[i];
    return;
  }
#pragma omp parallel for schedule(static) if (rows * n > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    float* row = c + r * n;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) row[j] += bias[j % biasLen];
  }
}

GemmShape readShape(const Napi::CallbackInfo& info, int at) {
  GemmShape s{};
  s.batchA = i64(info[at]);
  s.batchB = i64(info[at + 1]);
  s.batch = std::max(s.batchA, s.batchB);
  s.m = i64(info[at + 2]);
  s.n = i64(info[at + 3]);
  s.k = i64(info[at + 4]);
  s.transA = flag(info[at + 5]);
  s.transB = flag(info[at + 6]);
  return s;
}

// matmul(a, b, out, batchA, batchB, m, n, k, transA, transB)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  return guarded(info, "matMul", [&] { batchedGemm(readShape(info, 3), f32(info[0]), f32(info[1]), f32(info[2])); });
}

// fusedMatMul(a, b, out, batchA, batchB, m, n, k, transA, transB, bias|null, activation)
// activation: 0 linear, 1 relu, 2 sigmoid.
Napi::Value FusedMatMul(const Napi::CallbackInfo& info) {
  return guarded(info, "fusedMatMul", [&] {
    GemmShape s = readShape(info, 3);
    float* c = f32(info[2]);
    batchedGemm(s, f32(info[0]), f32(info[1]), c);
    const int64_t rows = s.batch * s.m, total = rows * s.n;
    if (info[10].IsTypedArray()) addBias(c, f32(info[10]), rows, s.n, static_cast<int64_t>(len(info[10])));
    switch (i64(info[11])) {
      case 1: eltwiseForward(dnnl::algorithm::eltwise_relu, 0.f, 0.f, c, c, total); break;
      case 2: eltwiseForward(dnnl::algorithm::eltwise_logistic, 0.f, 0.f, c, c, total); break;
      default: break;
    }
  });
}

}  // namespace

void registerGemm(Napi::Env env, Napi::Object exports) {
  openblas_set_num_threads(1);  // parallelism comes from gemmOne's OpenMP split
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("fusedMatMul", Napi::Function::New(env, FusedMatMul));
}

}  // namespace ox
