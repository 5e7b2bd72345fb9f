// Max and average pooling on NHWC for other native code (the layer-stack step), with tfjs's cpu
// kernels' tie and padding rules.
#pragma once
#include <cstdint>

namespace ox {

struct PoolGeometry {
  int64_t n, inH, inW, c, outH, outW, fH, fW, sH, sW, padT, padL;
  int64_t in, out;  // element counts of x and of the output
};

// With `argmax` (as many as the output), each output element's winner too: the offset in its
// sample of the input element it took (the first maximum in window order), or -1 for none.
void maxPoolForward(const PoolGeometry& g, const float* x, float* out, int32_t* argmax = nullptr);
// The gradient for x from dy, through the winners maxPoolForward recorded.
void maxPoolBackwardFrom(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);
// The same for a caller without them: maxPoolForward finds them in x again.
void maxPoolBackward(const PoolGeometry& g, const float* dy, const float* x, float* dx);
void avgPoolForward(const PoolGeometry& g, const float* x, float* out);
void avgPoolBackward(const PoolGeometry& g, const float* dy, float* dx);

}  // namespace ox
