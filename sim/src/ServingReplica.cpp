// ReplicaEngine: see ServingReplica.hpp for the scheduling rules.
#include "ServingReplica.hpp"

#include <algorithm>
#include <iterator>

namespace capsim::sim_detail {

ReplicaEngine::ReplicaEngine(StepTimeTable& steps, const ServingEngineConfig& config,
                             long long kv_blocks, std::vector<RequestState>& requests)
    : steps_(steps),
      config_(config),
      requests_(requests),
      kv_blocks_(kv_blocks),
      block_(config.tokens_per_block),
      free_blocks_(kv_blocks),
      crossing_(static_cast<std::size_t>(config.tokens_per_block), 0) {}

// A sequence whose context in iteration k is base + k needs a new block in iteration k when
// (base + k - 1) is a multiple of the block size: sequences are counted by (base - 1) mod B.
long long ReplicaEngine::block_key(long long base) const {
  return ((base - 1) % block_ + block_) % block_;
}

void ReplicaEngine::start_decode(int request) {
  RequestState& s = requests_[static_cast<std::size_t>(request)];
  s.decode_from = k_;
  // The cache holds the input and every sampled token but the last: input + generated - 1.
  s.base = s.input + s.generated - 1 - k_;
  ++decoding_;
  base_sum_ += s.base;
  ++crossing_[static_cast<std::size_t>(block_key(s.base))];
  decode_order_.insert({s.admitted, request});
  finishes_.push({k_ + (s.output - s.generated), s.admitted, request, s.epoch});
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
  free_blocks_ += blocks_for(s.base + k_ - 1);
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
  --running_;
  s.finish_s = now_s;
  ++finished;
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
    long long& growing = crossing_[static_cast<std::size_t>((block_ - k_ % block_) % block_)];
    while (growing > free_blocks_) {
      preempt(std::prev(decode_order_.end())->second);
      preempted = true;
    }
    free_blocks_ -= growing;
  }
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
    if (s.prompt == 0) s.prompt = s.input;
    if (!config_.chunked_prefill && s.prompt > budget) break;
    const long long need = evicting ? blocks_for(s.prompt) : blocks_for(s.input + s.output);
    if (need > free_blocks_) break;
    waiting_.pop_front();
    free_blocks_ -= need;
    s.blocks = need;
    s.prefilled = 0;
    s.admitted = admissions_++;
    if (s.first_scheduled_s < 0) s.first_scheduled_s = now_s;
    ++running_;
    prefilling_.push_back(request);
    schedule_prefill(request, budget);
  }
  if (batch_.prefill.empty() && decoding_ == 0) return step_s_ = 0;
  step_s_ = steps_.step_s(batch_);
  busy_s += step_s_;
  kv_block_s += static_cast<double>(used_blocks()) * step_s_;
  waiting_s += static_cast<double>(waiting_.size()) * step_s_;
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
    const long long blocks = evicting ? blocks_for(s.base + k_) : s.blocks;
    stop_decode(f.request);
    s.generated = s.output;
    finish(f.request, now_s, blocks);
  }
  // Completed prompts are a prefix of prefilling_: only the last chunk scheduled can be partial.
  for (const auto& [request, tokens] : chunks_) {
    RequestState& s = requests_[static_cast<std::size_t>(request)];
    s.prefilled += tokens;
    if (s.prefilled < s.prompt) continue;
    prefilling_.pop_front();
    s.generated += 1;
    output_tokens += 1;
    if (s.first_token_s < 0) s.first_token_s = now_s;
    if (s.generated >= s.output) {
      finish(request, now_s, evicting ? blocks_for(s.prompt) : s.blocks);
    } else {
      start_decode(request);
    }
  }
  ++k_;
  ++iterations;
}

}  // namespace capsim::sim_detail
