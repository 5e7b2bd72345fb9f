// MatMul / BatchMatMul / _FusedMatMul: row-major SGEMM through oneDNN's JIT GEMM, with the bias
// and activation applied to the output while it is still in cache.
#include <omp.h>
#include "common.h"
#include "eltwise.h"

namespace ox {
namespace {

struct GemmShape {
  int64_t batch, batchA, batchB, m, n, k;
  bool transA, transB;
};

void batchedGemm(const GemmShape& s, const float* a, const float* b, float* c) {
  const int64_t lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n;
  for (int64_t bi = 0; bi < s.batch; ++bi) {
    // tfjs broadcasts batch dims by index modulo size; we match it exactly.
    const float* ab = a + (bi % s.batchA) * s.m * s.k;
    const float* bb = b + (bi % s.batchB) * s.k * s.n;
    dnnl_status_t st = dnnl_sgemm(s.transA ? 'T' : 'N', s.transB ? 'T' : 'N', s.m, s.n, s.k, 1.f, ab, lda, bb, ldb,
                                  0.f, c + bi * s.m * s.n, s.n);
    if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(st));
  }
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
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("fusedMatMul", Napi::Function::New(env, FusedMatMul));
}

}  // namespace ox
