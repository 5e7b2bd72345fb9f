// oneDNN eltwise primitives on flat buffers, cached by (algorithm, alpha, beta, length).
#pragma once
#include "common.h"

namespace ox {

void eltwiseForward(dnnl::algorithm alg, float alpha, float beta, const float* src, float* dst, int64_t n);
// `data` is the forward source, or its destination for the *_use_dst_for_bwd algorithms.
void eltwiseBackward(dnnl::algorithm alg, float alpha, float beta, const float* diffDst, const float* data,
                     float* diffSrc, int64_t n);

// Softmax over each row of a [rows, cols] array, shifted by the row max as tfjs's kernel does;
// out may be x.
void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols);

}  // namespace ox
