// Training batch norm over the last axis of a [rows, channels] array, for other native code (the
// layer-stack step); the addon's batchNormTrain and batchNormGrad run the same functions.
#pragma once
#include <cstdint>

namespace ox {

// out = (x − mean) / sqrt(variance + eps) · scale + offset, with the batch's mean and (biased, as
// tf.moments) variance, which it also writes.
void batchNormTrainForward(const float* x, float* out, int64_t rows, int64_t channels, const float* scale,
                           const float* offset, double eps, float* mean, float* variance);

// The full gradient of batchNormTrainForward, through the batch statistics too. dx, dScale and
// dOffset may each be null: not computed.
void batchNormBackward(const float* dy, const float* x, int64_t rows, int64_t channels, const float* scale,
                       const float* mean, const float* variance, double eps, float* dx, float* dScale, float* dOffset);

// out = (x − mean) · scale / sqrt(variance + eps) + offset with given statistics, as the backend's
// FusedBatchNorm computes it (scale / sqrt(variance + eps) first); scale and offset may be null (1, 0).
void batchNormInference(const float* x, float* out, int64_t rows, int64_t channels, const float* mean,
                        const float* variance, const float* scale, const float* offset, float eps);

}  // namespace ox
