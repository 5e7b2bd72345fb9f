// Argument checks for the entry points (see checks.h). Messages follow the project's error text:
// what was expected, what was received, and which value; guarded() puts the entry's name first.
#include "checks.h"
#include <cmath>
#include <cstdio>

namespace ox {
namespace {

std::string describe(const Napi::Value& v) {
  napi_typedarray_type type;
  size_t length = 0;
  if (napi_get_typedarray_info(v.Env(), v, &type, &length, nullptr, nullptr, nullptr) == napi_ok) {
    static const char* const names[] = {"an Int8Array",   "a Uint8Array",    "a Uint8ClampedArray", "an Int16Array",
                                        "a Uint16Array",  "an Int32Array",   "a Uint32Array",       "a Float32Array",
                                        "a Float64Array", "a BigInt64Array", "a BigUint64Array"};
    const size_t at = static_cast<size_t>(type);
    return at < sizeof(names) / sizeof(names[0]) ? names[at] : "a typed array";
  }
  if (v.IsArray()) return "an array";
  switch (v.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "a boolean";
    case napi_number:
      return "a number";
    case napi_string:
      return "a string";
    default:
      return "an object";
  }
}

[[noreturn]] void typeError(const Where& where, const char* expected, const Napi::Value& received) {
  throw ArgError(ArgError::kType, where.str() + " must be " + expected + ", received " + describe(received));
}

std::string formatted(double d) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", d);
  return text;
}

int64_t checkedInteger(const Napi::Value& v, const Where& where, int64_t lo, int64_t hi) {
  if (!v.IsNumber()) typeError(where, "an integer", v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d))
    throw ArgError(ArgError::kRange, where.str() + " must be an integer, received " + formatted(d));
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throw ArgError(ArgError::kRange, where.str() + " must be an integer from " + std::to_string(lo) + " to " +
                                         std::to_string(hi) + ", received " + formatted(d));
  return static_cast<int64_t>(d);
}

// The data and length of a typed array of type `want` (`kind` in words), or a TypeError.
void* typedData(const Napi::Value& v, const Where& where, napi_typedarray_type want, const char* kind,
                int64_t* length) {
  napi_typedarray_type type;
  size_t n = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(v.Env(), v, &type, &n, &data, nullptr, nullptr) != napi_ok || type != want)
    typeError(where, kind, v);
  *length = static_cast<int64_t>(n);
  return data;
}

float* float32Data(const Napi::Value& v, const Where& where, int64_t* length) {
  return static_cast<float*>(typedData(v, where, napi_float32_array, "a Float32Array", length));
}

}  // namespace

std::string Where::str() const { return element < 0 ? name : std::string(name) + "[" + std::to_string(element) + "]"; }

int64_t product(std::initializer_list<int64_t> sizes, const char* what) {
  int64_t out = 1;
  for (const int64_t s : sizes) {
    if (s == 0) return 0;
    if (__builtin_mul_overflow(out, s, &out) || out > kMaxCount)
      throw ArgError(ArgError::kRange, std::string(what) + " has more than " + std::to_string(kMaxCount) + " elements");
  }
  return out;
}

int64_t product(const std::vector<int64_t>& sizes, const char* what) {
  int64_t out = 1;
  for (const int64_t s : sizes) out = product({out, s}, what);
  return out;
}

float* floatsIn(const Napi::Value& v, const Where& where, int64_t count, bool exact) {
  int64_t n = 0;
  float* data = float32Data(v, where, &n);
  if (exact ? n != count : n < count)
    throw ArgError(ArgError::kRange, where.str() + " holds " + std::to_string(n) + " floats, expected " +
                                         (exact ? "" : "at least ") + std::to_string(count));
  return data;
}

Args::Args(const Napi::CallbackInfo& info, size_t count) : info_(info) {
  if (info.Length() < count)
    throw ArgError(ArgError::kType,
                   "expected " + std::to_string(count) + " arguments, received " + std::to_string(info.Length()));
}

float* Args::floats(size_t i, const char* name, int64_t count) const { return floatsIn(info_[i], {name}, count); }

float* Args::optionalFloats(size_t i, const char* name, int64_t count) const {
  return given(i) ? floatsIn(info_[i], {name}, count) : nullptr;
}

float* Args::sized(size_t i, const char* name, int64_t* length) const { return float32Data(info_[i], {name}, length); }

const uint32_t* Args::indices(size_t i, const char* name, int64_t count, int64_t below) const {
  int64_t n = 0;
  const auto* at = static_cast<const uint32_t*>(typedData(info_[i], {name}, napi_uint32_array, "a Uint32Array", &n));
  if (n != count)
    throw ArgError(ArgError::kRange,
                   std::string(name) + " holds " + std::to_string(n) + " indices, expected " + std::to_string(count));
  for (int64_t j = 0; j < count; ++j)
    if (at[j] >= below)
      throw ArgError(ArgError::kRange, Where{name, j}.str() + " is " + std::to_string(at[j]) + ", expected below " +
                                           std::to_string(below));
  return at;
}

int64_t Args::integer(size_t i, const char* name, int64_t lo, int64_t hi) const {
  return checkedInteger(info_[i], {name}, lo, hi);
}

int Args::code(size_t i, const char* name, int count) const {
  return static_cast<int>(checkedInteger(info_[i], {name}, 0, count - 1));
}

double Args::number(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError({name}, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

bool Args::boolean(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsBoolean()) typeError({name}, "a boolean", v);
  return v.As<Napi::Boolean>().Value();
}

std::vector<int64_t> Args::integers(size_t i, const char* name, int64_t lo, int64_t size) const {
  const Napi::Value v = info_[i];
  if (!v.IsArray()) typeError({name}, "an array of integers", v);
  const auto array = v.As<Napi::Array>();
  const int64_t n = array.Length();
  if (size >= 0 && n != size)
    throw ArgError(ArgError::kRange,
                   std::string(name) + " has " + std::to_string(n) + " entries, expected " + std::to_string(size));
  std::vector<int64_t> out(n);
  for (int64_t j = 0; j < n; ++j)
    out[j] = checkedInteger(array.Get(static_cast<uint32_t>(j)), {name, j}, lo, kMaxCount);
  return out;
}

float* entry(const Napi::Array& a, uint32_t i, int64_t expected, bool optional, const char* what) {
  Napi::Value v = a.Get(i);
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  const std::string name = std::string(what) + " " + std::to_string(i);
  return floatsIn(v, {name.c_str()}, expected, true);
}

Napi::Array arrayArg(const Args& args, size_t i, const char* name) {
  if (!args[i].IsArray())
    throw ArgError(ArgError::kType, std::string(name) + " must be an array of Float32Arrays or nulls");
  return args[i].As<Napi::Array>();
}

double* float64sOut(const Args& args, size_t i, const char* name, int64_t count) {
  const Napi::Value v = args[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      static_cast<int64_t>(v.As<Napi::Float64Array>().ElementLength()) != count)
    throw ArgError(ArgError::kType,
                   std::string(name) + " must be a Float64Array of " + std::to_string(count) + " numbers");
  return v.As<Napi::Float64Array>().Data();
}

}  // namespace ox
