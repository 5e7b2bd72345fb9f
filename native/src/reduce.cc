#include "common.h"
namespace ox {
void registerReduce(Napi::Env env, Napi::Object exports) {}
}  // namespace ox
