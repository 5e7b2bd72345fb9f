// One-pass Adam update. tf.train.adam spends ~12 elementwise kernels per variable per step (12
// full passes over the weights); this reads w, g, m, v once and writes w', m', v' once, with
// the same arithmetic in the same order.
#include "optim.h"
#include <cmath>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include "common.h"

namespace ox {

namespace {

// Adam's moments decay geometrically wherever the gradient is zero (the first layer's rows for
// pixels that a batch rarely inks, a dead unit's weights), and float32 values below 2^-126 are
// subnormal: a vector instruction with a subnormal lane takes a microcode assist. This loop took
// 5-20 ns an element over moments decaying to zero, against 1.1 ns over normal ones. From the second
// epoch of configs/ann.yaml on, 1-2.6 % of its weights had a subnormal moment; flushing them made
// its 5 epochs 1.17x faster at 2 threads and 1.23x at 1. While in scope, this thread's MXCSR reads
// subnormal inputs as zero and stores zero for subnormal results (DAZ, FTZ), as TensorFlow's own
// threads run. Only those tails change. A subnormal m moves a weight by
// lr·m/(c1·(sqrt(v/c2) + epsilon)): under 1.2e-30·lr with tf's default beta1 and epsilon, which the
// add to the weight rounds away; a subnormal v leaves sqrt(v/c2) far below epsilon's last bit. So
// the weights stay tfjs's. The caller's setting comes back on exit: JavaScript needs subnormals.
class SubnormalsAsZero {
 public:
#if defined(__SSE__)
  SubnormalsAsZero() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kDaz | kFtz); }
  ~SubnormalsAsZero() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kDaz = 1u << 6, kFtz = 1u << 15;
  unsigned saved_;
#endif
};

}  // namespace

void adamUpdate(const float* w, const float* g, const float* m, const float* v, float* ow, float* om, float* ov,
                int64_t n, const float* h) {
  const float b1 = h[0], b2 = h[1], lr = h[2], eps = h[3], c1 = h[4], c2 = h[5];
  const float a1 = 1.f - b1, a2 = 1.f - b2, negLr = -lr;
#pragma omp parallel if (parallel : n > 65536)
  {
    const SubnormalsAsZero flush;
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i];
      const float mi = m[i] * b1 + gi * a1;
      const float vi = v[i] * b2 + (gi * gi) * a2;
      om[i] = mi;
      ov[i] = vi;
      ow[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr + w[i];
    }
  }
}

void sgdUpdate(const float* w, const float* g, float* ow, int64_t n, float learningRate) {
#pragma omp parallel for simd schedule(static) if (parallel : n > 65536)
  for (int64_t i = 0; i < n; ++i) ow[i] = w[i] - learningRate * g[i];
}

namespace {

// adam(w, g, m, v, outW, outM, outV, hyper)
Napi::Value Adam(const Napi::CallbackInfo& info) {
  return guarded(info, "adam", [&] {
    const Args args(info, 8);
    int64_t n = 0;
    const float* w = args.sized(0, "w", &n);
    adamUpdate(w, args.floats(1, "g", n), args.floats(2, "m", n), args.floats(3, "v", n), args.floats(4, "outW", n),
               args.floats(5, "outM", n), args.floats(6, "outV", n), n, args.floats(7, "hyper", 6));
  });
}

}  // namespace

void registerOptim(Napi::Env env, Napi::Object exports) { exports.Set("adam", Napi::Function::New(env, Adam)); }

}  // namespace ox
