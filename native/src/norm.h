// Training batch norm over the last axis of a [rows, channels] array, for other native code (the
// layer-stack step); the addon's batchNormTrain and batchNormGrad run the same functions.
#pragma once
#include <cstdint>

namespace ox {

// out = (x − mean) / sqrt(variance + eps) · scale + offset, with the batch's mean and (biased, as
// tf.moments) variance, which it also writes. With `relu`, out is relu of that: the relu layer above
// in the same pass. `mul`, when not null, receives scale / sqrt(variance + eps) per channel.
void batchNormTrainForward(const float* x, float* out, int64_t rows, int64_t channels, const float* scale,
                           const float* offset, double eps, float* mean, float* variance, bool relu = false,
                           float* mul = nullptr);

// A relu right above a batch norm, for its backward pass: the forward pass's `mul` and offset,
// from which the relu's input is recomputed from x (so its output need not be read back).
struct ReluAbove {
  const float *mul, *offset;
};

// The gradient for the input of a max pool right above the relu above, given as the pool's output
// gradient and its winners (maxPoolForward's argmax), where the pool's windows tile its input:
// window and stride alike, no padding. Each element of the pool's input then lies in at most one
// window, and its gradient is that window's where it won, else 0: what maxPoolBackwardFrom would
// write, read where it is instead.
struct PooledGradient {
  const float* dy;
  const int32_t* argmax;
  int64_t inH, inW, outH, outW, fH, fW;
};

// The full gradient of batchNormTrainForward, through the batch statistics too. dx, dScale and
// dOffset may each be null: not computed; dx may be dy itself (written in place). With `relu`, dy
// is the gradient for the output of the relu above, taken back through it on the way, as
// throughActivation would. With `pooled` (and `relu`), dy is not read: the relu's output gradient
// is the max pool's input gradient, read from the pool's own.
void batchNormBackward(const float* dy, const float* x, int64_t rows, int64_t channels, const float* scale,
                       const float* mean, const float* variance, double eps, float* dx, float* dScale, float* dOffset,
                       const ReluAbove* relu = nullptr, const PooledGradient* pooled = nullptr);

// out = (x − mean) · scale / sqrt(variance + eps) + offset with given statistics, as the backend's
// FusedBatchNorm computes it (scale / sqrt(variance + eps) first); scale and offset may be null (1, 0).
// With `relu`, relu of that.
void batchNormInference(const float* x, float* out, int64_t rows, int64_t channels, const float* mean,
                        const float* variance, const float* scale, const float* offset, float eps, bool relu = false);

}  // namespace ox
