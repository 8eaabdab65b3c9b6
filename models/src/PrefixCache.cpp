// PrefixCache: see PrefixCache.hpp.
#include "capsim/models/PrefixCache.hpp"

#include <algorithm>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {

PrefixCache::PrefixCache(const PrefixCacheConfig& config, int tokens_per_block)
    : config_(config), block_(tokens_per_block) {
  if (config.enabled && (config.shared_prefix_tokens < 0 || config.prefixes < 1 || block_ < 1)) {
    throw ConfigurationError(
        "prefix cache: expected shared_prefix_tokens >= 0, prefixes >= 1 "
        "and tokens_per_block >= 1");
  }
  if (config.enabled) entries_.resize(static_cast<std::size_t>(config.prefixes));
}

PrefixCache::Entry& PrefixCache::entry(int prefix) {
  if (prefix < 0 || prefix >= static_cast<int>(entries_.size())) {
    throw ConfigurationError("prefix cache: prefix " + std::to_string(prefix) +
                             " is outside 0 .. prefixes - 1");
  }
  return entries_[static_cast<std::size_t>(prefix)];
}

const PrefixCache::Entry& PrefixCache::entry(int prefix) const {
  return const_cast<PrefixCache*>(this)->entry(prefix);
}

long long PrefixCache::shareable_blocks(int input_tokens, int prompt_tokens) const {
  if (!config_.enabled) return 0;
  const long long tokens = std::min<long long>(
      {config_.shared_prefix_tokens, input_tokens, static_cast<long long>(prompt_tokens) - 1});
  return tokens > 0 ? tokens / block_ : 0;
}

long long PrefixCache::cached_blocks(int prefix) const {
  return config_.enabled && prefix >= 0 ? entry(prefix).blocks : 0;
}

bool PrefixCache::referenced(int prefix) const { return entry(prefix).references > 0; }

long long PrefixCache::hit_blocks(int prefix, long long shareable) const {
  return std::min(shareable, cached_blocks(prefix));
}

long long PrefixCache::blocks_to_reference(int prefix) const {
  const Entry& e = entry(prefix);
  return e.references == 0 ? e.blocks : 0;
}

long long PrefixCache::acquire(int prefix) {
  Entry& e = entry(prefix);
  if (e.blocks == 0) throw ConfigurationError("prefix cache: acquire of a prefix not cached");
  const long long taken = e.references == 0 ? e.blocks : 0;
  if (e.references == 0) {
    lru_.erase({e.released, prefix});
    evictable_blocks_ -= e.blocks;
  }
  ++e.references;
  return taken;
}

void PrefixCache::insert(int prefix, long long blocks) {
  Entry& e = entry(prefix);
  if (e.blocks != 0 || blocks < 1) {
    throw ConfigurationError("prefix cache: insert of a cached prefix or of no blocks");
  }
  e.blocks = blocks;
  e.references = 1;
}

long long PrefixCache::release(int prefix) {
  Entry& e = entry(prefix);
  if (e.references < 1) throw ConfigurationError("prefix cache: release without a reference");
  if (--e.references > 0) return 0;
  e.released = stamp_++;
  lru_.insert({e.released, prefix});
  evictable_blocks_ += e.blocks;
  return e.blocks;
}

void PrefixCache::fit(long long free_blocks) {
  while (evictable_blocks_ > free_blocks && !lru_.empty()) {
    const int prefix = lru_.begin()->second;
    lru_.erase(lru_.begin());
    Entry& e = entries_[static_cast<std::size_t>(prefix)];
    evictable_blocks_ -= e.blocks;
    e.blocks = 0;
    ++evictions;
  }
}

}  // namespace capsim
