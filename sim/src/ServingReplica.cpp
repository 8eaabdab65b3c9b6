// ReplicaEngine: see ServingReplica.hpp for the scheduling rules.
#include "ServingReplica.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

namespace capsim::sim_detail {

ReplicaEngine::ReplicaEngine(StepTimeTable& steps, const ServingEngineConfig& config,
                             long long kv_blocks, std::vector<RequestState>& requests)
    : steps_(steps),
      config_(config),
      requests_(requests),
      kv_blocks_(kv_blocks),
      block_(config.tokens_per_block),
      free_blocks_(kv_blocks),
      prefix_cache_(config.prefix_cache, config.tokens_per_block),
      crossing_(static_cast<std::size_t>(config.tokens_per_block), 0) {}

// A sequence whose context in iteration k is base + k needs a new block in iteration k when
// (base + k - 1) is a multiple of the block size: sequences are counted by (base - 1) mod B.
long long ReplicaEngine::block_key(long long base) const {
  return ((base - 1) % block_ + block_) % block_;
}

void ReplicaEngine::start_decode(int request, long long from) {
  RequestState& s = requests_[static_cast<std::size_t>(request)];
  s.decode_from = from;
  // After iteration `from` the cache holds the input and every sampled token but the last:
  // input + generated - 1; iteration from + 1 writes one more.
  s.base = s.input + s.generated - 1 - from;
  ++decoding_;
  base_sum_ += s.base;
  ++crossing_[static_cast<std::size_t>(block_key(s.base))];
  decode_order_.insert({s.admitted, request});
  finishes_.push({from + (s.output - s.generated), s.admitted, request, s.epoch});
}

long long ReplicaEngine::admission_blocks(const RequestState& s) const {
  if (config_.kv_policy == KvPolicy::GuaranteedNoEvict) return blocks_for(s.input + s.output);
  if (s.kv_ready) return blocks_for(s.input + 1);
  return blocks_for(s.prompt == 0 ? s.input : s.prompt);
}

std::pair<long long, long long> ReplicaEngine::admission_need(const RequestState& s,
                                                              int prompt) const {
  const long long need = admission_blocks(s);
  if (!prefix_cache_.enabled() || s.prefix < 0 || s.kv_ready) return {need, 0};
  const long long hit =
      prefix_cache_.hit_blocks(s.prefix, prefix_cache_.shareable_blocks(s.input, prompt));
  if (hit == 0) return {need, 0};
  return {need - hit + prefix_cache_.blocks_to_reference(s.prefix), hit};
}

void ReplicaEngine::release_prefix(RequestState& s) {
  if (s.shared_blocks == 0) return;
  free_blocks_ += prefix_cache_.release(s.prefix);
  s.shared_blocks = 0;
}

void ReplicaEngine::cache_prefix(RequestState& s) {
  if (!prefix_cache_.enabled() || s.prefix < 0 || s.shared_blocks > 0) return;
  const long long blocks = prefix_cache_.shareable_blocks(s.input, s.prompt);
  if (blocks == 0 || s.prefilled < blocks * block_ || prefix_cache_.cached_blocks(s.prefix) > 0) {
    return;
  }
  // Its own blocks become the cache's; it references them like any later request.
  prefix_cache_.insert(s.prefix, blocks);
  s.shared_blocks = blocks;
  if (config_.kv_policy == KvPolicy::GuaranteedNoEvict) s.blocks -= blocks;
}

void ReplicaEngine::admit_decoding(long long budget) {
  while (!waiting_.empty() && running_ < config_.max_batch_size && budget > decoding_) {
    const int request = waiting_.front();
    RequestState& s = requests_[static_cast<std::size_t>(request)];
    if (!s.kv_ready) break;
    const long long need = admission_blocks(s);
    if (need > free_blocks_) break;
    waiting_.pop_front();
    free_blocks_ -= need;
    s.blocks = need;
    s.kv_ready = false;
    s.prompt = s.prefilled = s.input;
    s.generated = 1;
    s.admitted = admissions_++;
    ++running_;
    // As if iteration k_ - 1 had sampled its first token: it decodes in iteration k_.
    start_decode(request, k_ - 1);
  }
}

void ReplicaEngine::stop_decode(int request) {
  RequestState& s = requests_[static_cast<std::size_t>(request)];
  --decoding_;
  base_sum_ -= s.base;
  --crossing_[static_cast<std::size_t>(block_key(s.base))];
  decode_order_.erase({s.admitted, request});
}

void ReplicaEngine::preempt(int request) {
  RequestState& s = requests_[static_cast<std::size_t>(request)];
  stop_decode(request);
  // Planned iteration k has not run: the cache holds the context of iteration k - 1.
  free_blocks_ += blocks_for(s.base + k_ - 1) - s.shared_blocks;
  release_prefix(s);
  s.generated += static_cast<int>(k_ - 1 - s.decode_from);
  s.prompt = s.input + s.generated;  // recomputed: prompt and generated tokens prefilled again
  s.prefilled = 0;
  ++s.epoch;
  ++s.preemptions;
  ++preemptions;
  --running_;
  waiting_.push_front(request);
}

void ReplicaEngine::finish(int request, double now_s, long long blocks) {
  RequestState& s = requests_[static_cast<std::size_t>(request)];
  free_blocks_ += blocks;
  release_prefix(s);
  --running_;
  s.finish_s = now_s;
  ++finished;
  if (finished_log) finished_log->push_back(request);
}

void ReplicaEngine::schedule_prefill(int request, long long& budget) {
  const RequestState& s = requests_[static_cast<std::size_t>(request)];
  const long long left = s.prompt - s.prefilled;
  const long long tokens = std::min(left, budget);
  batch_.prefill.push_back(
      {static_cast<double>(tokens), static_cast<double>(s.prefilled), tokens == left});
  chunks_.emplace_back(request, static_cast<int>(tokens));
  budget -= tokens;
}

double ReplicaEngine::begin_iteration(double now_s) {
  batch_.prefill.clear();
  batch_.decode_sequences = 0;
  batch_.decode_context_tokens = 0;
  chunks_.clear();
  long long budget = config_.max_num_tokens;
  const bool evicting = config_.kv_policy == KvPolicy::MaxUtilization;
  bool preempted = false;
  if (evicting && decoding_ > 0) {
    while (growing(k_) > free_blocks_) {
      preempt(std::prev(decode_order_.end())->second);
      preempted = true;
    }
    free_blocks_ -= growing(k_);
    prefix_cache_.fit(free_blocks_);
  }
  if (!preempted) admit_decoding(budget);
  if (decoding_ > 0) {
    batch_.decode_sequences = static_cast<double>(decoding_);
    batch_.decode_context_tokens = static_cast<double>(base_sum_ + decoding_ * k_);
    budget -= decoding_;
  }
  for (const int request : prefilling_) {
    if (budget <= 0) break;
    const RequestState& s = requests_[static_cast<std::size_t>(request)];
    if (!config_.chunked_prefill && s.prompt - s.prefilled > budget) break;
    schedule_prefill(request, budget);
  }
  while (!preempted && !waiting_.empty() && running_ < config_.max_batch_size && budget > 0) {
    const int request = waiting_.front();
    RequestState& s = requests_[static_cast<std::size_t>(request)];
    if (s.kv_ready) break;  // decodes from the next iteration's admit_decoding()
    if (s.prompt == 0) s.prompt = s.input;
    const auto [need, hit] = admission_need(s, s.prompt);
    if (!config_.chunked_prefill && s.prompt - hit * block_ > budget) break;
    if (need > free_blocks_) break;
    waiting_.pop_front();
    free_blocks_ -= need;
    s.blocks = admission_blocks(s) - hit;  // its own
    s.prefilled = 0;
    if (hit > 0) {
      prefix_cache_.acquire(s.prefix);
      s.shared_blocks = hit;
      s.prefilled = static_cast<int>(hit * block_);
    }
    prefix_cache_.fit(free_blocks_);
    prompt_tokens += s.prompt;
    reused_tokens += static_cast<double>(s.prefilled);
    s.admitted = admissions_++;
    if (s.first_scheduled_s < 0) s.first_scheduled_s = now_s;
    ++running_;
    prefilling_.push_back(request);
    schedule_prefill(request, budget);
  }
  if (batch_.prefill.empty() && decoding_ == 0) return step_s_ = 0;
  if (!batch_.prefill.empty() && decoding_ > 0) ++mixed_iterations;
  step_s_ = steps_.step_s(batch_);
  busy_s += step_s_;
  kv_block_s += static_cast<double>(used_blocks()) * step_s_;
  waiting_s += static_cast<double>(waiting_.size()) * step_s_;
  outstanding_s += static_cast<double>(outstanding()) * step_s_;
  return step_s_;
}

void ReplicaEngine::end_iteration(double now_s) {
  const bool evicting = config_.kv_policy == KvPolicy::MaxUtilization;
  output_tokens += static_cast<double>(decoding_);
  while (!finishes_.empty() && finishes_.top().iteration <= k_) {
    const Finish f = finishes_.top();
    finishes_.pop();
    RequestState& s = requests_[static_cast<std::size_t>(f.request)];
    if (f.epoch != s.epoch || s.finish_s >= 0) continue;  // preempted since: void
    const long long blocks = evicting ? blocks_for(s.base + k_) - s.shared_blocks : s.blocks;
    stop_decode(f.request);
    s.generated = s.output;
    finish(f.request, now_s, blocks);
  }
  // Completed prompts are a prefix of prefilling_: only the last chunk scheduled can be partial.
  for (const auto& [request, tokens] : chunks_) {
    RequestState& s = requests_[static_cast<std::size_t>(request)];
    s.prefilled += tokens;
    cache_prefix(s);
    if (s.prefilled < s.prompt) continue;
    prefilling_.pop_front();
    s.generated += 1;
    output_tokens += 1;
    if (s.first_token_s < 0) s.first_token_s = now_s;
    if (s.generated >= s.output) {
      finish(request, now_s, evicting ? blocks_for(s.prompt) - s.shared_blocks : s.blocks);
    } else {
      start_decode(request, k_);
    }
  }
  ++k_;
  ++iterations;
}

int ReplicaEngine::plan_followers(double end_s, double horizon_s, int most) {
  run_ends_s_.assign(1, end_s);
  follower_steps_s_.clear();
  if (!batch_.prefill.empty() || !prefilling_.empty() || decoding_ == 0) return 0;
  const bool evicting = config_.kv_policy == KvPolicy::MaxUtilization;
  // Sequences finish at the end of iteration `last` at the earliest (a void entry only makes the
  // run shorter).
  const long long last =
      finishes_.empty() ? std::numeric_limits<long long>::max() : finishes_.top().iteration;
  // Admission as begin_iteration() would try it: the head of the queue, whose prompt and need do
  // not change while it waits; the budget and the running count do not change during a run.
  const long long budget = config_.max_num_tokens - decoding_;
  bool may_admit = !waiting_.empty() && running_ < config_.max_batch_size && budget > 0;
  long long need = 0;
  if (may_admit) {
    const RequestState& head = requests_[static_cast<std::size_t>(waiting_.front())];
    const long long prompt = head.prompt == 0 ? head.input : head.prompt;
    // A hit on a cached prefix nobody references needs fewer blocks once the prefix is evicted,
    // which the run's growth may do: plan no run then. A referenced prefix stays cached.
    if (!head.kv_ready && head.prefix >= 0 && prefix_cache_.cached_blocks(head.prefix) > 0 &&
        !prefix_cache_.referenced(head.prefix)) {
      return 0;
    }
    const auto [head_need, hit] = admission_need(head, static_cast<int>(prompt));
    if (!head.kv_ready && !config_.chunked_prefill && prompt - hit * block_ > budget) {
      may_admit = false;
    }
    // A kv_ready head needs budget for its decode token (admit_decoding's budget > decoding).
    need = head_need;
  }
  long long free_blocks = free_blocks_;
  StepBatch batch;
  batch.decode_sequences = static_cast<double>(decoding_);
  double end = end_s;
  for (long long k = k_ + 1; k <= last && static_cast<int>(follower_steps_s_.size()) < most; ++k) {
    if (evicting) {
      if (growing(k) > free_blocks) break;  // it would preempt
      free_blocks -= growing(k);
    }
    if (may_admit && need <= free_blocks) break;  // it would admit the head of the queue
    batch.decode_context_tokens = static_cast<double>(base_sum_ + decoding_ * k);
    const double step_s = steps_.step_s(batch);
    if (!(end + step_s < horizon_s)) break;
    end += step_s;
    follower_steps_s_.push_back(step_s);
    run_ends_s_.push_back(end);
  }
  return static_cast<int>(follower_steps_s_.size());
}

// begin_iteration() for a follower: growth without preemption, no prefill, no admission.
void ReplicaEngine::begin_follower(double step_s) {
  if (config_.kv_policy == KvPolicy::MaxUtilization) {
    free_blocks_ -= growing(k_);
    prefix_cache_.fit(free_blocks_);
  }
  batch_.decode_context_tokens = static_cast<double>(base_sum_ + decoding_ * k_);
  step_s_ = step_s;
  busy_s += step_s_;
  kv_block_s += static_cast<double>(used_blocks()) * step_s_;
  waiting_s += static_cast<double>(waiting_.size()) * step_s_;
  outstanding_s += static_cast<double>(outstanding()) * step_s_;
}

void ReplicaEngine::end_run(int followers) {
  end_iteration(run_ends_s_.at(0));
  for (int i = 1; i <= followers; ++i) {
    begin_follower(follower_steps_s_.at(static_cast<std::size_t>(i - 1)));
    end_iteration(run_ends_s_.at(static_cast<std::size_t>(i)));
  }
}

}  // namespace capsim::sim_detail
