// Optimizer updates with tfjs's arithmetic, in its order, so weights match its optimizers'.
#pragma once
#include <cstdint>

namespace ox {

// tf.train.adam's update of n weights; h = [beta1, beta2, learningRate, epsilon, 1 - beta1^t,
// 1 - beta2^t], with gradient g. Outputs may alias their inputs.
// Subnormal inputs count as zero and subnormal moments are stored as zero (see optim.cc).
void adamUpdate(const float* w, const float* g, const float* m, const float* v, float* ow, float* om, float* ov,
                int64_t n, const float* h);

// tf.train.sgd's: ow = w - learningRate * g. ow may be w.
void sgdUpdate(const float* w, const float* g, float* ow, int64_t n, float learningRate);

}  // namespace ox
