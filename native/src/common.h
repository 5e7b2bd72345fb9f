// Shared helpers for the oneDNN addon. Every kernel works in place on the Float32Array buffers
// that tfjs's cpu backend keeps for each tensor: no copies cross the N-API boundary.
#pragma once
#include <napi.h>
#include <omp.h>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>
#include "checks.h"

namespace ox {

// One engine for the process and one stream per thread; oneDNN primitives are created against them.
dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

// While it lives (and `alone` holds), oneDNN calls on this thread run on it alone. For small work,
// waking the other thread costs more than it saves: a sigmoid over 32x512 floats took 17 us on one
// thread and 50-75 us on two. oneDNN reads the thread count when it makes a primitive and when it
// runs one, so callers that cache primitives key them on omp_get_max_threads().
class CallingThreadOnly {
 public:
  explicit CallingThreadOnly(bool alone) : saved_(alone ? omp_get_max_threads() : 0) {
    if (saved_ > 1) omp_set_num_threads(1);
  }
  ~CallingThreadOnly() {
    if (saved_ > 1) omp_set_num_threads(saved_);
  }
  CallingThreadOnly(const CallingThreadOnly&) = delete;
  CallingThreadOnly& operator=(const CallingThreadOnly&) = delete;

 private:
  int saved_;
};

// Below these sizes work runs on one thread (elements for elementwise kernels, as our own loops'
// `if (n > 65536)`; multiply-adds for matrix products).
constexpr int64_t kSerialElements = 65536;
constexpr int64_t kSerialMultiplyAdds = int64_t{1} << 22;

// Raises a JS Error and returns undefined; the TS side turns it into a BackendError.
Napi::Value fail(const Napi::Env& env, const std::string& what);

// Runs a kernel body, turning argument checks' errors into JS TypeErrors and RangeErrors, and
// oneDNN and std exceptions into JS errors, each named after the entry point.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* name, F&& body) {
  try {
    body();
  } catch (const ArgError& e) {
    const std::string what = std::string(name) + ": " + e.what();
    if (e.kind() == ArgError::kType)
      Napi::TypeError::New(info.Env(), what).ThrowAsJavaScriptException();
    else
      Napi::RangeError::New(info.Env(), what).ThrowAsJavaScriptException();
  } catch (const dnnl::error& e) {
    return fail(info.Env(), std::string(name) + ": oneDNN " + e.what());
  } catch (const std::exception& e) {
    return fail(info.Env(), std::string(name) + ": " + e.what());
  }
  return info.Env().Undefined();
}

// Which library runs the matrix products on this CPU: "oneDNN brgemm" or "OpenBLAS <core>".
std::string gemmDescription();

void registerGemm(Napi::Env env, Napi::Object exports);
void registerConv(Napi::Env env, Napi::Object exports);
void registerPool(Napi::Env env, Napi::Object exports);
void registerEltwise(Napi::Env env, Napi::Object exports);
void registerNorm(Napi::Env env, Napi::Object exports);
void registerOptim(Napi::Env env, Napi::Object exports);
void registerDenseStack(Napi::Env env, Napi::Object exports);
void registerLayerStack(Napi::Env env, Napi::Object exports);
void registerReduce(Napi::Env env, Napi::Object exports);

}  // namespace ox
