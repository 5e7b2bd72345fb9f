// Checks of what JS passes to an entry point. A bug on the TS side that sends a short buffer or a
// wrong size must become a JS error naming the entry, the argument and the lengths, never a read
// or write out of bounds. Every entry reads its arguments through Args; each check is one or two
// N-API calls and no allocation unless it fails, so hot kernels do not pay for them.
#pragma once
#include <napi.h>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace ox {

// What a check throws; guarded() (common.h) raises it in JS as a TypeError (a wrong kind of value)
// or a RangeError (a wrong length or value).
class ArgError : public std::runtime_error {
 public:
  enum Kind { kType, kRange };
  ArgError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Which value a message is about: a parameter's name, or entry `element` of an array parameter.
struct Where {
  const char* name;
  int64_t element = -1;
  std::string str() const;
};

// Far above any buffer a JS engine allocates (V8 caps typed arrays at 2^32 elements or so), and
// small enough that products of a few such numbers are checked for overflow below.
constexpr int64_t kMaxCount = int64_t{1} << 40;

// The product of `sizes` (each already >= 0), or a RangeError naming `what` when it exceeds
// kMaxCount: a wrapped product could pass a length check and then index far past the buffer.
int64_t product(std::initializer_list<int64_t> sizes, const char* what);
int64_t product(const std::vector<int64_t>& sizes, const char* what);

// A Float32Array's data, checked to hold at least (or, with `exact`, exactly) `count` floats.
float* floatsIn(const Napi::Value& v, const Where& where, int64_t count, bool exact = false);

// The arguments of one call. Names are the parameters' names in src/backend/onednn/addon.ts.
class Args {
 public:
  // Throws unless at least `count` arguments came.
  Args(const Napi::CallbackInfo& info, size_t count);

  const Napi::Value operator[](size_t i) const { return info_[i]; }
  // Whether argument i came and is neither null nor undefined.
  bool given(size_t i) const { return !info_[i].IsNull() && !info_[i].IsUndefined(); }

  // A Float32Array of at least `count` floats.
  float* floats(size_t i, const char* name, int64_t count) const;
  // The same, or nullptr for null or undefined.
  float* optionalFloats(size_t i, const char* name, int64_t count) const;
  // A Float32Array of any length, which then sets the size of the work.
  float* sized(size_t i, const char* name, int64_t* length) const;
  // An integer in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi = kMaxCount) const;
  // An op code in [0, count).
  int code(size_t i, const char* name, int count) const;
  double number(size_t i, const char* name) const;
  float real(size_t i, const char* name) const { return static_cast<float>(number(i, name)); }
  bool boolean(size_t i, const char* name) const;
  // A Uint32Array of exactly `count` entries, each below `below`.
  const uint32_t* indices(size_t i, const char* name, int64_t count, int64_t below) const;
  // An array of integers, each in [lo, kMaxCount], of `size` entries (or any size when -1).
  std::vector<int64_t> integers(size_t i, const char* name, int64_t lo, int64_t size = -1) const;

 private:
  const Napi::CallbackInfo& info_;
};

// Entry i of a JS array of Float32Arrays, checked to hold exactly `expected` floats; null where it
// is null and `optional`. `what` names the array's entries in messages ("param 3").
float* entry(const Napi::Array& a, uint32_t i, int64_t expected, bool optional, const char* what);

// Argument i, which must be a JS array (of Float32Arrays or nulls).
Napi::Array arrayArg(const Args& args, size_t i, const char* name);

// Argument i, a Float64Array of exactly `count` numbers, which the entry writes.
double* float64sOut(const Args& args, size_t i, const char* name, int64_t count);

}  // namespace ox
