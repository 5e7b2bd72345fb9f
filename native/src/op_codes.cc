// opCodes(): the lists of op_codes.h as JS objects, so a test can hold the TS side's codes to them.
#include "op_codes.h"

namespace ox {

#define OX_SET(id, name, ...) list.Set(name, static_cast<int>(id));

Napi::Object opCodes(Napi::Env env) {
  auto out = Napi::Object::New(env);
  const auto add = [&](const char* key, void (*fill)(Napi::Object&)) {
    auto list = Napi::Object::New(env);
    fill(list);
    out.Set(key, list);
  };
  add("unary", [](Napi::Object& list) {
    using namespace unary_op;
    OX_UNARY_OPS(OX_SET)
  });
  add("binary", [](Napi::Object& list) {
    using namespace binary_op;
    OX_BINARY_OPS(OX_SET)
  });
  add("reduce", [](Napi::Object& list) {
    using namespace reduce_op;
    OX_REDUCE_OPS(OX_SET)
  });
  add("fusedActivation", [](Napi::Object& list) {
    using namespace fused_act;
    OX_FUSED_ACTIVATIONS(OX_SET)
  });
  add("stackActivation", [](Napi::Object& list) {
    using namespace stack_act;
    OX_STACK_ACTIVATIONS(OX_SET)
  });
  add("stackLoss", [](Napi::Object& list) {
    using namespace stack_loss;
    OX_STACK_LOSSES(OX_SET)
  });
  add("stackOptimizer", [](Napi::Object& list) {
    using namespace stack_optimizer;
    OX_STACK_OPTIMIZERS(OX_SET)
  });
  add("stackLayer", [](Napi::Object& list) {
    using namespace stack_layer;
    OX_STACK_LAYERS(OX_SET)
  });
  add("stackOutput", [](Napi::Object& list) {
    using namespace stack_out;
    OX_STACK_OUTPUTS(OX_SET)
  });
  return out;
}

#undef OX_SET

}  // namespace ox
