// A cache whose entries hold for one global revision: the first lookup at a
// newer revision empties it. An entry may also end earlier, at `valid_until`
// (Unix seconds; 0: no end), for renderings that change with the clock.
//
// What it serves must be a function of the store at that revision (and of
// the time, through valid_until): renders, bundles, token and host lookups.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace kw::center {

template <class K, class V, class Hash = std::hash<K>>
class RevisionCache {
 public:
  explicit RevisionCache(size_t max_entries = 100000) : max_entries_(max_entries) {}

  std::optional<V> Get(const K& key, int64_t revision, int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (revision != revision_) return std::nullopt;
    auto it = map_.find(key);
    if (it == map_.end() || (it->second.valid_until != 0 && now >= it->second.valid_until)) return std::nullopt;
    return it->second.value;
  }

  // Stores `value` as read at `revision`; ignored if the cache has moved on
  // to a newer revision meanwhile.
  void Put(const K& key, int64_t revision, V value, int64_t valid_until = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    if (revision < revision_) return;
    if (revision > revision_ || map_.size() >= max_entries_) {
      map_.clear();
      revision_ = revision;
    }
    map_[key] = Entry{std::move(value), valid_until};
  }

 private:
  struct Entry {
    V value;
    int64_t valid_until;
  };
  std::mutex mu_;
  size_t max_entries_;
  int64_t revision_ = -1;
  std::unordered_map<K, Entry, Hash> map_;
};

}  // namespace kw::center
