#include "common.h"
namespace ox {
void registerPool(Napi::Env env, Napi::Object exports) {}
}  // namespace ox
