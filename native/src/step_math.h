// What both whole-step kernels (dense_stack.cc, layer_stack.cc) compute the same way: the
// activations' forward and gradient, and the losses with their gradient and metrics, each as
// tfjs computes it.
#pragma once
#include <cstdint>

namespace ox {

// The activation (a stack_act code) on a [rows, cols] array in place: tanh and softmax only
// (linear is none; relu and sigmoid come fused into the products, or through applyActivation).
void activate(int activation, float* y, int64_t rows, int64_t cols);

// y = activation(x) for any stack_act code; y may be x.
void applyActivation(int activation, const float* x, float* y, int64_t rows, int64_t cols);

// d (the gradient for the activation's output y) becomes the gradient for its input, as tfjs's
// gradients compute it.
void throughActivation(int activation, const float* y, float* d, int64_t rows, int64_t cols);

// Adds the per-sample metrics of `rows` samples to `sums` (indexed by stack_out codes), and
// writes the loss's gradient for the output p into dp, averaged over a batch of `batchRows`.
void lossAndMetrics(int loss, const float* p, const float* t, float* dp, int64_t rows, int64_t cols, int64_t batchRows,
                    double* sums);

// out[c] = sum over rows of a[r, c], rows `stride` floats apart (a block of columns of a wider
// array), or `cols` apart by default.
void columnSums(const float* a, int64_t rows, int64_t cols, float* out, int64_t stride);
inline void columnSums(const float* a, int64_t rows, int64_t cols, float* out) { columnSums(a, rows, cols, out, cols); }

}  // namespace ox
