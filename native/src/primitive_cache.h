// One cache of oneDNN primitives, and of the plans built from them, for every kernel that makes
// them (eltwise, gemm's brgemm, conv). Making a primitive costs tens of microseconds (a conv plan,
// milliseconds); a training step reuses a handful of shapes. The dense-stack step looks entries up
// from several threads at once, so the cache is locked, and it hands out shared_ptrs: an entry
// evicted while another thread runs it stays alive until that thread lets go.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

namespace ox {

// What an entry holds; the first field of its key, so kinds never share an entry. A cached type
// names its kind as `static constexpr CacheKind kKind`.
enum class CacheKind : int64_t { kEltwiseForward, kEltwiseBackward, kBrgemm, kConv };

using CacheKey = std::vector<int64_t>;
using CacheMake = std::function<std::shared_ptr<const void>()>;

// The entry for `key`, made by `make` when absent. `make` may return nullptr, an answer kept like
// any other (gemm's "brgemm does not take this shape").
std::shared_ptr<const void> cachedEntry(CacheKey key, const CacheMake& make);

// How many entries the cache holds now (for tests).
size_t cachedEntries();

// The entry of type T for `fields` (the shape and settings that make it). Inside an OpenMP
// parallel region each thread gets entries of its own: one brgemm primitive run from two threads
// at once gave wrong results, and the region's threads run products side by side.
template <typename T, typename Make>
std::shared_ptr<const T> cached(std::initializer_list<int64_t> fields, Make&& make) {
  CacheKey key{static_cast<int64_t>(T::kKind)};
  key.insert(key.end(), fields.begin(), fields.end());
  return std::static_pointer_cast<const T>(
      cachedEntry(std::move(key), [&]() -> std::shared_ptr<const void> { return make(); }));
}

}  // namespace ox
