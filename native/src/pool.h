// Max and average pooling on NHWC for other native code (the layer-stack step), with tfjs's cpu
// kernels' tie and padding rules.
#pragma once
#include <cstdint>

namespace ox {

struct PoolGeometry {
  int64_t n, inH, inW, c, outH, outW, fH, fW, sH, sW, padT, padL;
  int64_t in, out;  // element counts of x and of the output
};

void maxPoolForward(const PoolGeometry& g, const float* x, float* out);
void maxPoolBackward(const PoolGeometry& g, const float* dy, const float* x, float* dx);
void avgPoolForward(const PoolGeometry& g, const float* x, float* out);
void avgPoolBackward(const PoolGeometry& g, const float* dy, float* dx);

}  // namespace ox
