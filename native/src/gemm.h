// Matrix products for other native code (the dense-stack training step).
#pragma once
#include <cstdint>

namespace ox {

// Row-major C[m, n] = op(A)·op(B), then a bias of n elements (or none) and an activation (a
// fused_act code, op_codes.h), on whichever library runs products here.
void gemm(int64_t m, int64_t n, int64_t k, bool transA, bool transB, const float* a, const float* b, float* c,
          const float* bias = nullptr, int activation = 0);

// C[m, n] = alpha·Aᵀ·B + beta·C, for A [k, m] whose rows lie `lda` floats apart (a block of
// columns of a wider array; lda = m when dense) and B [k, n]: a dense layer's kernel gradient over a
// batch of k rows, for the kernel's rows that A's columns feed. beta 0 writes the gradient; beta 1
// with alpha −learningRate is SGD's update of the kernel itself, with no gradient array written,
// zeroed or read back.
void gemmTransposedA(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, float* c,
                     float alpha, float beta);

// The activation gemm() fuses (a fused_act code: relu or sigmoid, on oneDNN's kernels) over n
// floats in place, for a product whose epilogue could not run it; other codes do nothing.
void fusedActivation(int activation, float* c, int64_t n);

}  // namespace ox
