// MatMul / BatchMatMul / _FusedMatMul: row-major SGEMM, bias and activation.
//
// First choice: oneDNN's matmul primitive when it picks its brgemm kernels (JIT, AVX-512 where
// the CPU has it, both threads, bias and activation fused as post-ops): ~190 GFLOP/s a core on
// this machine's Zen 5, twice OpenBLAS's rate with the Haswell kernels that OPENBLAS_CORETYPE
// may pin it to. Only brgemm: oneDNN's other f32 matmul is its JIT gemm, whose kernels in
// oneDNN < 3.11.2 point rsp at the heap, so any signal that lands mid-GEMM (Node's --cpu-prof, a
// SIGINT or SIGWINCH handler) corrupts the heap (uxlfoundation/oneDNN#4845, fixed by #4855;
// Debian ships 2.6). Shapes brgemm does not take go to OpenBLAS, run single-threaded inside our
// own OpenMP split, so no second thread pool competes for the two cores.
#include "gemm.h"
#include <cblas.h>
#include <omp.h>
#include <algorithm>
#include <memory>
#include <unordered_map>
#include <vector>
#include "common.h"
#include "eltwise.h"
#include "op_codes.h"
#include "primitive_cache.h"

namespace ox {
namespace {

using dnnl::memory;

struct GemmShape {
  int64_t batch, batchA, batchB, m, n, k;
  bool transA, transB;
};

// C = alpha·op(A)·op(B) + beta·C for one batch entry, A's rows `lda` floats apart, split into
// per-thread blocks of rows (or of columns when the output is wide), each a single-threaded
// OpenBLAS call.
void gemmOne(const GemmShape& s, const float* a, int64_t lda, const float* b, float* c, float alpha = 1.f,
             float beta = 0.f) {
  const int64_t ldb = s.transB ? s.k : s.n;
  const auto ta = s.transA ? CblasTrans : CblasNoTrans, tb = s.transB ? CblasTrans : CblasNoTrans;
  const bool byRows = s.m >= s.n;
  const int64_t extent = byRows ? s.m : s.n;
  const int threads =
      s.m * s.n * s.k > (1 << 18) ? std::min<int64_t>(omp_get_max_threads(), std::max<int64_t>(1, extent / 16)) : 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = extent * t / nt, hi = extent * (t + 1) / nt;
    if (hi > lo && byRows) {
      const float* aBlock = s.transA ? a + lo : a + lo * lda;  // rows lo..hi of op(A)
      cblas_sgemm(CblasRowMajor, ta, tb, hi - lo, s.n, s.k, alpha, aBlock, lda, b, ldb, beta, c + lo * s.n, s.n);
    } else if (hi > lo) {
      const float* bBlock = s.transB ? b + lo * ldb : b + lo;  // columns lo..hi of op(B)
      cblas_sgemm(CblasRowMajor, ta, tb, s.m, hi - lo, s.k, alpha, a, lda, bBlock, ldb, beta, c + lo, s.n);
    }
  }
}

// A bias of n elements added along rows, then the activation (a fused_act code).
struct Epilogue {
  bool bias = false;
  int activation = fused_act::kLinear;
};

struct Brgemm {
  static constexpr CacheKind kKind = CacheKind::kBrgemm;
  dnnl::matmul prim;
  memory::desc a, b, c, bias;
};

// The brgemm matmul for one shape, epilogue and thread count, or nothing when oneDNN would
// run this shape on another implementation. Both answers are kept.
std::shared_ptr<const Brgemm> makeBrgemm(const GemmShape& s, Epilogue e) {
  try {
    memory::desc a({s.m, s.k}, memory::data_type::f32, s.transA ? memory::dims{1, s.m} : memory::dims{s.k, 1});
    memory::desc b({s.k, s.n}, memory::data_type::f32, s.transB ? memory::dims{1, s.k} : memory::dims{s.n, 1});
    memory::desc c({s.m, s.n}, memory::data_type::f32, memory::dims{s.n, 1});
    dnnl::post_ops ops;
    if (e.activation == fused_act::kRelu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    if (e.activation == fused_act::kSigmoid) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    memory::desc bias({1, s.n}, memory::data_type::f32, memory::dims{s.n, 1});
    auto desc = e.bias ? dnnl::matmul::desc(a, b, bias, c) : dnnl::matmul::desc(a, b, c);
    dnnl::matmul::primitive_desc pd(desc, attr, cpuEngine());
    if (std::string(pd.impl_info_str()).rfind("brg", 0) == 0)
      return std::make_shared<const Brgemm>(Brgemm{dnnl::matmul(pd), a, b, c, bias});
  } catch (const dnnl::error&) {
    // no oneDNN implementation for this shape: OpenBLAS takes it
  }
  return nullptr;
}

// Inside our own parallel regions (the dense-stack step runs one product per thread, each thread
// set to one thread) the cache gives every thread its own primitive.
std::shared_ptr<const Brgemm> brgemm(const GemmShape& s, Epilogue e) {
  return cached<Brgemm>({s.m, s.n, s.k, s.transA, s.transB, e.bias, e.activation, omp_get_max_threads()},
                        [&] { return makeBrgemm(s, e); });
}

// One batch entry through brgemm; false when brgemm does not take this shape.
bool brgemmOne(const GemmShape& s, Epilogue e, const float* a, const float* b, const float* bias, float* c) {
  CallingThreadOnly alone(s.m * s.n * s.k < kSerialMultiplyAdds);
  const auto mm = brgemm(s, e);  // held: another thread may evict it meanwhile
  if (!mm) return false;
  auto& eng = cpuEngine();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(mm->a, eng, const_cast<float*>(a))},
                                       {DNNL_ARG_WEIGHTS, memory(mm->b, eng, const_cast<float*>(b))},
                                       {DNNL_ARG_DST, memory(mm->c, eng, c)}};
  if (e.bias) args.emplace(DNNL_ARG_BIAS, memory(mm->bias, eng, const_cast<float*>(bias)));
  mm->prim.execute(cpuStream(), args);
  return true;
}

// C = op(A)·op(B) [+ bias, activation] for every batch entry. Returns whether the epilogue was
// applied (brgemm fuses it; OpenBLAS leaves it to the caller).
bool batchedGemm(const GemmShape& s, const float* a, const float* b, float* c, Epilogue e = {},
                 const float* bias = nullptr) {
  if (s.batch == 0 || s.m == 0 || s.n == 0) return true;
  if (s.k == 0) {
    std::fill(c, c + s.batch * s.m * s.n, 0.f);
    return false;
  }
  // tfjs broadcasts batch dims by index modulo size; we match it exactly.
  bool fused = true;
  for (int64_t bi = 0; bi < s.batch; ++bi) {
    const float *ai = a + (bi % s.batchA) * s.m * s.k, *bi_ = b + (bi % s.batchB) * s.k * s.n;
    float* ci = c + bi * s.m * s.n;
    if (brgemmOne(s, e, ai, bi_, bias, ci)) continue;
    gemmOne(s, ai, s.transA ? s.m : s.k, bi_, ci);
    fused = false;
  }
  return fused;
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

// The product, then a bias of `biasLen` elements (n, or the whole output) and an activation
// (a fused_act code). brgemm fuses a bias of n elements and the activation after it;
// with a full-shape bias, or on OpenBLAS, both come after the product.
void fusedGemm(const GemmShape& s, const float* a, const float* b, float* c, const float* bias, int64_t biasLen,
               int activation) {
  const int64_t rows = s.batch * s.m;
  const bool rowBias = bias && biasLen == s.n;
  const Epilogue e = bias && !rowBias ? Epilogue{} : Epilogue{rowBias, activation};
  const bool fused = batchedGemm(s, a, b, c, e, rowBias ? bias : nullptr);
  if (bias && !(fused && e.bias)) addBias(c, bias, rows, s.n, biasLen);
  if (fused && e.activation != 0) return;
  fusedActivation(activation, c, rows * s.n);
}

// The shape at arguments [at, at + 7): batchA, batchB, m, n, k, transA, transB.
GemmShape readShape(const Args& args, size_t at) {
  GemmShape s{};
  s.batchA = args.integer(at, "batchA", 0);
  s.batchB = args.integer(at + 1, "batchB", 0);
  // Batch entries broadcast by index modulo each side's count; an empty side leaves nothing to do.
  s.batch = s.batchA == 0 || s.batchB == 0 ? 0 : std::max(s.batchA, s.batchB);
  s.m = args.integer(at + 2, "m", 0);
  s.n = args.integer(at + 3, "n", 0);
  s.k = args.integer(at + 4, "k", 0);
  s.transA = args.boolean(at + 5, "transA");
  s.transB = args.boolean(at + 6, "transB");
  return s;
}

// The operands a, b and out at arguments 0-2, checked against the shape.
struct Operands {
  const float *a, *b;
  float* out;
};

Operands readOperands(const Args& args, const GemmShape& s) {
  return {args.floats(0, "a", product({s.batchA, s.m, s.k}, "a")),
          args.floats(1, "b", product({s.batchB, s.k, s.n}, "b")),
          args.floats(2, "out", product({s.batch, s.m, s.n}, "out"))};
}

// matMul(a, b, out, batchA, batchB, m, n, k, transA, transB)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  return guarded(info, "matMul", [&] {
    const Args args(info, 10);
    const GemmShape s = readShape(args, 3);
    const Operands o = readOperands(args, s);
    batchedGemm(s, o.a, o.b, o.out);
  });
}

// fusedMatMul(a, b, out, batchA, batchB, m, n, k, transA, transB, bias|null, activation): a bias of
// n floats (one per column) or of the whole output.
Napi::Value FusedMatMul(const Napi::CallbackInfo& info) {
  return guarded(info, "fusedMatMul", [&] {
    const Args args(info, 12);
    const GemmShape s = readShape(args, 3);
    const Operands o = readOperands(args, s);
    const int activation = args.code(11, "activation", fused_act::kCount);
    int64_t biasLen = 0;
    const float* bias = args.given(10) ? args.sized(10, "bias", &biasLen) : nullptr;
    const int64_t whole = s.batch * s.m * s.n;  // checked with out above
    if (bias && biasLen != s.n && biasLen != whole)
      throw ArgError(ArgError::kRange, "bias holds " + std::to_string(biasLen) + " floats, expected " +
                                           std::to_string(s.n) + " (n) or " + std::to_string(whole) + " (the output)");
    fusedGemm(s, o.a, o.b, o.out, bias, biasLen, activation);
  });
}

}  // namespace

void fusedActivation(int activation, float* c, int64_t n) {
  if (activation == fused_act::kRelu) eltwiseForward(dnnl::algorithm::eltwise_relu, 0.f, 0.f, c, c, n);
  if (activation == fused_act::kSigmoid) eltwiseForward(dnnl::algorithm::eltwise_logistic, 0.f, 0.f, c, c, n);
}

void gemm(int64_t m, int64_t n, int64_t k, bool transA, bool transB, const float* a, const float* b, float* c,
          const float* bias, int activation) {
  fusedGemm({1, 1, 1, m, n, k, transA, transB}, a, b, c, bias, bias ? n : 0, activation);
}

void gemmTransposedA(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, float* c,
                     float alpha, float beta) {
  if (m == 0 || n == 0) return;
  const GemmShape s{1, 1, 1, m, n, k, true, false};
  if (!brgemm(s, {})) return gemmOne(s, a, lda, b, c, alpha, beta);
  // brgemm: dense operands, C written. A block of columns is copied out first, and the product
  // goes to a scratch array when it is to be scaled or added.
  thread_local std::vector<float> dense, product;
  if (lda != m) {
    dense.resize(k * m);
    for (int64_t r = 0; r < k; ++r) std::copy_n(a + r * lda, m, dense.data() + r * m);
    a = dense.data();
  }
  const bool plain = alpha == 1.f && beta == 0.f;
  if (!plain) product.resize(m * n);
  float* out = plain ? c : product.data();
  if (!brgemmOne(s, {}, a, b, nullptr, out)) gemmOne(s, a, m, b, out);  // declined at this thread count after all
  if (plain) return;
#pragma omp parallel for simd schedule(static) if (parallel : m * n > 65536)
  for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.f ? alpha * out[i] : beta * c[i] + alpha * out[i];
}

std::string gemmDescription() {
  const GemmShape annLayer{1, 1, 1, 128, 512, 784, false, false};  // the notebook ANN's first layer
  if (brgemm(annLayer, {})) return "oneDNN brgemm";
  return std::string("OpenBLAS ") + openblas_get_corename();
}

void registerGemm(Napi::Env env, Napi::Object exports) {
  openblas_set_num_threads(1);  // parallelism comes from gemmOne's OpenMP split
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("fusedMatMul", Napi::Function::New(env, FusedMatMul));
}

}  // namespace ox
