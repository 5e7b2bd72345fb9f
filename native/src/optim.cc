// One-pass Adam update. tf.train.adam spends ~12 elementwise kernels per variable per step (12
// full passes over the weights); this reads w, g, m, v once and writes w', m', v' once, with
// the same arithmetic in the same order.
#include <cmath>
#include "common.h"

namespace ox {
namespace {

// adam(w, g, m, v, outW, outM, outV, [beta1, beta2, learningRate, epsilon, oneMinusAccBeta1, oneMinusAccBeta2])
Napi::Value Adam(const Napi::CallbackInfo& info) {
  return guarded(info, "adam", [&] {
    const float *w = f32(info[0]), *g = f32(info[1]), *m = f32(info[2]), *v = f32(info[3]);
    float *ow = f32(info[4]), *om = f32(info[5]), *ov = f32(info[6]);
    auto h = info[7].As<Napi::Float32Array>();
    const float b1 = h[0], b2 = h[1], lr = h[2], eps = h[3], c1 = h[4], c2 = h[5];
    const float a1 = 1.f - b1, a2 = 1.f - b2, negLr = -lr;
    const int64_t n = static_cast<int64_t>(len(info[0]));
#pragma omp parallel for simd schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      const float mi = m[i] * b1 + g[i] * a1;
      const float vi = v[i] * b2 + (g[i] * g[i]) * a2;
      om[i] = mi;
      ov[i] = vi;
      ow[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr + w[i];
    }
  });
}

}  // namespace

void registerOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adam", Napi::Function::New(env, Adam));
}

}  // namespace ox
