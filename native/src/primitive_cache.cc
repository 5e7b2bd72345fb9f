// The primitive cache (see primitive_cache.h): least recently used entries go first.
#include "primitive_cache.h"
#include <omp.h>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace ox {
namespace {

// A training run's working set is tens of entries: each layer's products, eltwise ops and conv
// plans at the training, last-partial and evaluation batch sizes, and the dense-stack step's
// products once per thread. 256 holds all of them; the bound keeps a long sweep over many shapes
// from piling up JIT code (up to hundreds of KB per conv plan). Evicting the least recently used
// entry, rather than clearing all, keeps a working set near the bound from being remade.
constexpr size_t kCapacity = 256;

struct KeyHash {
  size_t operator()(const CacheKey& key) const {
    size_t h = key.size();
    for (const int64_t v : key) h = h * 1000003u ^ static_cast<size_t>(v);
    return h;
  }
};

class Lru {
 public:
  std::shared_ptr<const void>* find(const CacheKey& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  std::shared_ptr<const void> insert(CacheKey key, std::shared_ptr<const void> value) {
    if (auto* held = find(key)) return *held;  // another thread made it meanwhile: keep one
    if (order_.size() >= kCapacity) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(std::move(key), std::move(value));
    index_.emplace(order_.front().first, order_.begin());
    return order_.front().second;
  }

  size_t size() const { return order_.size(); }

 private:
  using Entry = std::pair<CacheKey, std::shared_ptr<const void>>;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<CacheKey, std::list<Entry>::iterator, KeyHash> index_;
};

std::mutex& lock() {
  static std::mutex m;
  return m;
}

Lru& entries() {
  static Lru lru;
  return lru;
}

}  // namespace

std::shared_ptr<const void> cachedEntry(CacheKey key, const CacheMake& make) {
  key.push_back(omp_in_parallel() ? omp_get_thread_num() : -1);
  {
    std::lock_guard<std::mutex> held(lock());
    if (auto* found = entries().find(key)) return *found;
  }
  // Made outside the lock: a conv plan takes milliseconds, and other threads' lookups must not wait.
  auto made = make();
  std::lock_guard<std::mutex> held(lock());
  return entries().insert(std::move(key), std::move(made));
}

size_t cachedEntries() {
  std::lock_guard<std::mutex> held(lock());
  return entries().size();
}

}  // namespace ox
