// Automatic prefix caching of a paged KV cache, as vLLM's (automatic prefix caching, block
// hashes) and SGLang's (RadixAttention) engines do it, at whole-block granularity.
//
// Requests of a service start with one of `prefixes` common prefixes of shared_prefix_tokens
// tokens (a system prompt, a few-shot template). A prefix's full KV blocks, once a request has
// computed them, stay in the cache while any running request references them, and stay cached
// but evictable (least recently released first) when none does: their blocks then count as
// free, and are reclaimed, the whole prefix at once, when the engine needs more blocks than the
// uncached free ones. A later request with the same prefix starts its prefill after the cached
// blocks and holds them once, however many requests share them.
//
// Both engines use this class: the max-throughput engine (InferenceEngine.hpp) and each replica
// stream of the request-level simulation (sim/src/ServingReplica.hpp). The engine keeps its own
// count of blocks no request references ("free", cached-but-evictable ones included); this class
// keeps which of them are cached and evicts so that the cached ones never exceed that count.
#pragma once

#include <set>
#include <utility>
#include <vector>

namespace capsim {

/// A service's prefix caching (scenario key `prefix_cache`, docs/scenario-format.md).
struct PrefixCacheConfig {
  bool enabled = false;
  int shared_prefix_tokens = 0;  ///< tokens every request's prompt starts with
  int prefixes = 1;              ///< distinct prefixes; each request draws one uniformly
};

class PrefixCache {
 public:
  PrefixCache(const PrefixCacheConfig& config, int tokens_per_block);

  bool enabled() const { return config_.enabled; }
  /// Whole blocks of the prefix a prompt of `prompt_tokens` (the first `input_tokens` of them the
  /// request's input) can share: floor(min(prefix, input, prompt - 1) / block). One prompt token
  /// is always computed, as vLLM does, so that the prefill yields logits.
  long long shareable_blocks(int input_tokens, int prompt_tokens) const;
  /// Blocks prefix `prefix` holds in the cache; 0 when not cached.
  long long cached_blocks(int prefix) const;
  /// Whether a running request references the cached prefix.
  bool referenced(int prefix) const;
  /// Blocks a request of `shareable` shareable blocks reuses from the cache (0 on a miss).
  long long hit_blocks(int prefix, long long shareable) const;
  /// Blocks that leave the free pool when a request references the cached prefix: all its
  /// blocks when nobody referenced it (they were evictable), else none.
  long long blocks_to_reference(int prefix) const;
  /// A request references the cached prefix; returns blocks_to_reference() before the call.
  long long acquire(int prefix);
  /// A request that computed the prefix's first `blocks` full blocks hands them to the cache and
  /// references them (the prefix must not be cached).
  void insert(int prefix, long long blocks);
  /// A request stops referencing the prefix; returns the blocks that become free (evictable):
  /// all of them when it was the last reference, else none.
  long long release(int prefix);
  /// Evicts unreferenced prefixes, least recently released first, until the cached unreferenced
  /// blocks are at most `free_blocks` (the engine's blocks no request references).
  void fit(long long free_blocks);
  long long evictable_blocks() const { return evictable_blocks_; }

  long long evictions = 0;  ///< prefixes evicted

 private:
  struct Entry {
    long long blocks = 0;  ///< 0: not cached
    int references = 0;
    long long released = 0;  ///< LRU stamp of the last release
  };
  Entry& entry(int prefix);
  const Entry& entry(int prefix) const;

  PrefixCacheConfig config_;
  long long block_;
  std::vector<Entry> entries_;
  std::set<std::pair<long long, int>> lru_;  ///< (released, prefix) of unreferenced prefixes
  long long evictable_blocks_ = 0;
  long long stamp_ = 0;
};

}  // namespace capsim
