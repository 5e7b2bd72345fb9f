// Matrix products for other native code (the dense-stack training step).
#pragma once
#include <cstdint>

namespace ox {

// Row-major C[m, n] = op(A)·op(B), then a bias of n elements (or none) and an activation (a
// fused_act code, op_codes.h), on whichever library runs products here.
void gemm(int64_t m, int64_t n, int64_t k, bool transA, bool transB, const float* a, const float* b, float* c,
          const float* bias = nullptr, int activation = 0);

// The activation gemm() fuses (a fused_act code: relu or sigmoid, on oneDNN's kernels) over n
// floats in place, for a product whose epilogue could not run it; other codes do nothing.
void fusedActivation(int activation, float* c, int64_t n);

}  // namespace ox
