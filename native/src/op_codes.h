// The integer codes JS passes for ops and options, each list declared once, here. The addon
// exports them as opCodes() (op_codes.cc) and test/onednn-opcodes.test.ts holds them equal to
// src/backend/onednn/op-codes.ts, so neither side can change alone. A code is its position in its
// list: X(enumerator, JS name[, the oneDNN algorithm it runs]).
#pragma once
#include <napi.h>

// clang-format off
#define OX_UNARY_OPS(X)                    \
  X(kRelu, "relu", eltwise_relu)           \
  X(kSigmoid, "sigmoid", eltwise_logistic) \
  X(kExp, "exp", eltwise_exp)              \
  X(kLog, "log", eltwise_log)              \
  X(kTanh, "tanh", eltwise_tanh)           \
  X(kSqrt, "sqrt", eltwise_sqrt)           \
  X(kSquare, "square", eltwise_square)     \
  X(kAbs, "abs", eltwise_abs)              \
  X(kLinear, "linear", eltwise_linear)     \
  X(kElu, "elu", eltwise_elu)              \
  X(kClip, "clip", eltwise_clip_v2)

#define OX_BINARY_OPS(X)                     \
  X(kAdd, "add")                             \
  X(kSub, "sub")                             \
  X(kMul, "mul")                             \
  X(kDiv, "div")                             \
  X(kMax, "max")                             \
  X(kMin, "min")                             \
  X(kSquaredDifference, "squaredDifference") \
  X(kReluGrad, "reluGrad")                   \
  X(kSigmoidGrad, "sigmoidGrad")

#define OX_REDUCE_OPS(X) \
  X(kSum, "sum")         \
  X(kMean, "mean")       \
  X(kMax, "max")         \
  X(kMin, "min")

// What a product's epilogue applies (fusedMatMul, and gemm() for the dense-stack step).
#define OX_FUSED_ACTIVATIONS(X) \
  X(kLinear, "linear")          \
  X(kRelu, "relu")              \
  X(kSigmoid, "sigmoid")

// The dense-stack step's layer activations; the first three are the fused ones.
#define OX_STACK_ACTIVATIONS(X) \
  X(kLinear, "linear")          \
  X(kRelu, "relu")              \
  X(kSigmoid, "sigmoid")        \
  X(kTanh, "tanh")              \
  X(kSoftmax, "softmax")

#define OX_STACK_LOSSES(X)                               \
  X(kMeanSquaredError, "meanSquaredError")               \
  X(kCategoricalCrossentropy, "categoricalCrossentropy")

#define OX_STACK_OPTIMIZERS(X) \
  X(kSgd, "sgd")               \
  X(kAdam, "adam")

// The layer-stack step's layers (layer_stack.cc: what each one's description holds).
#define OX_STACK_LAYERS(X)    \
  X(kConv2d, "conv2d")        \
  X(kDense, "dense")          \
  X(kBatchNorm, "batchNorm")  \
  X(kActivation, "activation") \
  X(kMaxPool, "maxPool")      \
  X(kAvgPool, "avgPool")      \
  X(kDropout, "dropout")

// Where each of the dense-stack step's outputs lands in its metrics array.
#define OX_STACK_OUTPUTS(X)                   \
  X(kLoss, "loss")                            \
  X(kAccuracy, "accuracy")                    \
  X(kCrossentropy, "categoricalCrossentropy") \
  X(kSquaredError, "meanSquaredError")        \
  X(kAbsoluteError, "meanAbsoluteError")
// clang-format on

namespace ox {

#define OX_ENUMERATOR(id, ...) id,
namespace unary_op {
enum Code : int { OX_UNARY_OPS(OX_ENUMERATOR) kCount };
}
namespace binary_op {
enum Code : int { OX_BINARY_OPS(OX_ENUMERATOR) kCount };
}
namespace reduce_op {
enum Code : int { OX_REDUCE_OPS(OX_ENUMERATOR) kCount };
}
namespace fused_act {
enum Code : int { OX_FUSED_ACTIVATIONS(OX_ENUMERATOR) kCount };
}
namespace stack_act {
enum Code : int { OX_STACK_ACTIVATIONS(OX_ENUMERATOR) kCount };
}
namespace stack_loss {
enum Code : int { OX_STACK_LOSSES(OX_ENUMERATOR) kCount };
}
namespace stack_optimizer {
enum Code : int { OX_STACK_OPTIMIZERS(OX_ENUMERATOR) kCount };
}
namespace stack_layer {
enum Code : int { OX_STACK_LAYERS(OX_ENUMERATOR) kCount };
}
namespace stack_out {
enum Code : int { OX_STACK_OUTPUTS(OX_ENUMERATOR) kCount };
}
#undef OX_ENUMERATOR

// The dense-stack step hands relu and sigmoid to gemm() as its fused codes.
static_assert(static_cast<int>(stack_act::kRelu) == fused_act::kRelu, "relu codes differ");
static_assert(static_cast<int>(stack_act::kSigmoid) == fused_act::kSigmoid, "sigmoid codes differ");

// Every list above as {list: {name: code}}, for opCodes().
Napi::Object opCodes(Napi::Env env);

}  // namespace ox
