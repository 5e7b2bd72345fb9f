// Conv2D on oneDNN for other native code (the layer-stack step): NHWC activations, HWIO filters,
// primitives cached by geometry.
#pragma once
#include <array>
#include <cstdint>

namespace ox {

// [n, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padTop, padLeft,
// padBottom, padRight], as src/backend/onednn/kernels/conv.ts writes it.
constexpr int kConvGeometry = 17;
using ConvGeometry = std::array<int64_t, kConvGeometry>;

// y = conv(x, w) (+ bias, when not null).
void convForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
// dx = the gradient for x, from dy (the output's).
void convBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
// dw = the gradient for the filter, in HWIO.
void convBackwardWeights(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace ox
