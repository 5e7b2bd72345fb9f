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

// The full gradient of batchNormTrainForward, through the batch statistics too. dx, dScale and
// dOffset may each be null: not computed; dx may be dy itself (written in place). With `relu`, dy
// is the gradient for the output of the relu above, taken back through it on the way, as
// throughActivation would.
void batchNormBackward(const float* dy, const float* x, int64_t rows, int64_t channels, const float* scale,
                       const float* mean, const float* variance, double eps, float* dx, float* dScale, float* dOffset,
                       const ReluAbove* relu = nullptr);

// out = (x − mean) · scale / sqrt(variance + eps) + offset with given statistics, as the backend's
// FusedBatchNorm computes it (scale / sqrt(variance + eps) first); scale and offset may be null (1, 0).
// With `relu`, relu of that.
void batchNormInference(const float* x, float* out, int64_t rows, int64_t channels, const float* mean,
                        const float* variance, const float* scale, const float* offset, float eps, bool relu = false);

}  // namespace ox
