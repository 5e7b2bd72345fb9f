// Module entry: engine/stream singletons, version and thread control.
#include <omp.h>
#include <algorithm>
#include "common.h"
#include "op_codes.h"
#include "primitive_cache.h"

namespace ox {

dnnl::engine& cpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// One per thread: the dense-stack step runs products from several threads at once.
dnnl::stream& cpuStream() {
  thread_local dnnl::stream s(cpuEngine());
  return s;
}

Napi::Value fail(const Napi::Env& env, const std::string& what) {
  Napi::Error::New(env, what).ThrowAsJavaScriptException();
  return env.Undefined();
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const dnnl_version_t* v = dnnl_version();
  auto out = Napi::Object::New(env);
  out.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  out.Set("threads", omp_get_max_threads());
  out.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other");
  out.Set("matmul", gemmDescription());
  out.Set("cachedPrimitives", static_cast<double>(cachedEntries()));
  return out;
}

// oneDNN and our own loops share the one OpenMP pool, so one call sets both. Never more than
// OpenMP will give (OMP_THREAD_LIMIT): a oneDNN primitive made for more threads than run it leaves
// part of its output unwritten, and the dense-stack step plans its split on the count.
static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  auto set = guarded(info, "setThreads", [&] {
    const Args args(info, 1);
    const int64_t n = std::min<int64_t>(args.integer(0, "n", 1, 1024), omp_get_thread_limit());
    omp_set_num_threads(static_cast<int>(n));
  });
  if (info.Env().IsExceptionPending()) return set;
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Value OpCodes(const Napi::CallbackInfo& info) { return opCodes(info.Env()); }

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("opCodes", Napi::Function::New(env, OpCodes));
  registerGemm(env, exports);
  registerConv(env, exports);
  registerPool(env, exports);
  registerEltwise(env, exports);
  registerReduce(env, exports);
  registerNorm(env, exports);
  registerOptim(env, exports);
  registerDenseStack(env, exports);
  registerLayerStack(env, exports);
  return exports;
}

}  // namespace ox

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return ox::Init(env, exports); }

NODE_API_MODULE(onednn_addon, InitAll)
