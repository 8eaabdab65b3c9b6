// One replica's engine: continuous batching with a token budget, chunked prefill and a paged KV
// cache with admission and preemption (private to sim/; no SimGrid: the actors in
// ServingSimulation.cpp drive it, and it is tested alone).
//
// Each iteration (vLLM's scheduler, V1 with chunked prefill):
//   1. growth     every decoding sequence writes one more token's KV; a sequence whose last block
//                 is full needs a new one. kv_policy max-utilization: while the free blocks cannot
//                 cover them, the newest admitted decoding sequence is preempted (recompute: its
//                 blocks are freed and it goes back to the head of the queue, to prefill its
//                 prompt and the tokens it had generated again); no admission in an iteration
//                 that preempted. guaranteed-no-evict reserves a request's whole input + output
//                 at admission and never preempts.
//   2. decode     one token for every decoding sequence;
//   3. prefill    prompts being prefilled, in admission order, as chunks that fit the rest of
//                 the token budget (whole prompts only, without chunked prefill);
//   4. admission  queued requests, in order, while fewer than max_batch_size sequences run, the
//                 free blocks hold the prompt (max-utilization) or prompt + output (guaranteed),
//                 and budget is left; their first chunk runs in this iteration.
// Prefix caching (config.prefix_cache, PrefixCache.hpp): a request whose prefix's whole blocks are
// cached is admitted with them referenced, not allocated, and its prefill starts after them
// (past = the cached tokens); a request that has computed its prefix's blocks hands them to the
// cache. A finishing or preempted request frees its own blocks and drops its reference; the
// cached prefixes nobody references count as free and are evicted (LRU) when growth or
// admission needs their blocks. Decode-pool admissions (kv_ready) do not use it.
// On the decode pool of a disaggregated service, requests arrive with their prompt's KV and
// first token (kv_ready): those at the head of the queue are admitted before step 2, with the
// blocks of prompt + first token (max-utilization) or prompt + output, and decode in it.
// The iteration lasts StepTimeTable::step_s of that batch. At its end every sequence whose
// prompt is complete samples a token (its first: the time to first token), decoding sequences
// one more; a sequence with all its output tokens finishes and frees its blocks.
//
// Per iteration the work is O(sequences that start, finish or are preempted), not O(batch): a
// decoding sequence's context grows by one per iteration, so the batch's context is kept as a
// sum of bases plus sequences x iteration, its finish as an iteration in a heap, and the
// sequences needing a new block as counts by (length mod block size).
//
// Runs: between arrivals, finishes and admissions the batch of a decode-only iteration repeats
// (the same sequences, one token each, the context one token longer per sequence). After
// begin_iteration() has planned such an iteration, plan_followers() lists the iterations that
// would follow it unchanged if nothing arrived: up to and including the first in which a sequence
// finishes, stopping before one that would admit a queued request or preempt. The actor sleeps
// through the run once and end_run() plays its iterations with the same arithmetic as
// begin_iteration() / end_iteration() (same figures, bit for bit); an arrival cuts it short after
// the iteration in progress.
#pragma once

#include <deque>
#include <queue>
#include <set>
#include <vector>

#include "capsim/models/InferenceStep.hpp"
#include "capsim/models/PrefixCache.hpp"
#include "capsim/models/ServingWorkload.hpp"

namespace capsim::sim_detail {

/// One request as the engines see it.
struct RequestState {
  double arrival_s = 0;
  int input = 0, output = 0;
  double first_scheduled_s = -1;  ///< start of the first iteration that ran it
  double first_token_s = -1;
  double finish_s = -1;
  int preemptions = 0;
  // While admitted:
  int prompt = 0;      ///< tokens this admission prefills (input, + generated after a preemption)
  int prefilled = 0;   ///< of them, in the cache
  int generated = 0;   ///< output tokens sampled, as of the decode start (g0) while decoding
  long long base = 0;  ///< decoding: context in iteration k is base + k
  long long decode_from = 0;  ///< decoding: the iteration that sampled `generated`
  long long blocks = 0;       ///< blocks held at admission (and, decoding, at its start)
  long long admitted = 0;     ///< admission order on its replica
  unsigned epoch = 0;         ///< bumped when preempted: older heap entries are void
  /// Disaggregated decode pool: the prompt's KV and first token came from a prefill replica, so
  /// admission starts it decoding in the same iteration (cleared at admission; a preempted
  /// sequence is recomputed as a prompt like any other).
  bool kv_ready = false;
  int prefix = -1;              ///< the shared prefix its prompt starts with; -1: none
  long long shared_blocks = 0;  ///< while admitted: the cached prefix blocks it uses (0: none)
};

class ReplicaEngine {
 public:
  ReplicaEngine(StepTimeTable& steps, const ServingEngineConfig& config, long long kv_blocks,
                std::vector<RequestState>& requests);

  /// A routed request joins the queue.
  void enqueue(int request) { waiting_.push_back(request); }
  /// Plans the next iteration at `now_s`; returns its duration, 0 when there is nothing to run.
  double begin_iteration(double now_s);
  /// Ends the iteration begin_iteration() planned, at `now_s`.
  void end_iteration(double now_s);

  /// After begin_iteration() planned an iteration ending at `end_s`: when it is decode only, the
  /// iterations that can follow it unchanged while nothing arrives (see the top of this file),
  /// at most `most`, each ending before `horizon_s`. Returns how many; run_ends_s() holds the end
  /// of the planned iteration and of each follower. Changes nothing else.
  int plan_followers(double end_s, double horizon_s, int most);
  /// Seconds from the start: the ends of the planned iteration and its followers.
  const std::vector<double>& run_ends_s() const { return run_ends_s_; }
  /// Ends the planned iteration and plays the first `followers` of its followers, each ending
  /// at its run_ends_s().
  void end_run(int followers);
  /// Sequences decoding: the tokens each iteration of a run samples.
  long long decoding() const { return decoding_; }

  bool idle() const { return waiting_.empty() && running_ == 0; }
  int waiting() const { return static_cast<int>(waiting_.size()); }
  int running() const { return running_; }
  int outstanding() const { return waiting() + running_; }
  long long used_blocks() const { return kv_blocks_ - free_blocks_; }
  long long kv_blocks() const { return kv_blocks_; }

  long long preemptions = 0;
  long long iterations = 0;
  long long mixed_iterations = 0;  ///< iterations with prefill chunks and decode tokens
  /// When set, every finished request is appended (the prefill pool hands them on).
  std::vector<int>* finished_log = nullptr;
  double busy_s = 0;         ///< time spent in iterations
  double kv_block_s = 0;     ///< blocks in use x iteration time, summed
  double waiting_s = 0;      ///< queued requests x iteration time, summed
  double outstanding_s = 0;  ///< queued + running requests x iteration time, summed
  double output_tokens = 0;  ///< sampled tokens
  long long finished = 0;
  double prompt_tokens = 0;  ///< tokens of the prompts admitted for prefill (recomputes included)
  double reused_tokens = 0;  ///< of them, found in the prefix cache (not computed)
  long long prefix_evictions() const { return prefix_cache_.evictions; }

 private:
  struct Finish {
    long long iteration;
    long long admitted;
    int request;
    unsigned epoch;
    bool operator>(const Finish& o) const {
      return iteration != o.iteration ? iteration > o.iteration : admitted > o.admitted;
    }
  };
  long long block_key(long long base) const;
  long long blocks_for(long long tokens) const { return (tokens + block_ - 1) / block_; }
  /// Starts decoding after iteration `from`, which sampled the sequence's `generated` tokens.
  void start_decode(int request, long long from);
  /// Blocks admission takes for the request (kv_policy, kv_ready).
  long long admission_blocks(const RequestState& s) const;
  /// Blocks admission takes from the free ones with prefix caching (a hit references the cached
  /// prefix instead of allocating it), and the cached blocks the prompt reuses.
  std::pair<long long, long long> admission_need(const RequestState& s, int prompt) const;
  /// Drops the request's reference to its cached prefix, if any.
  void release_prefix(RequestState& s);
  /// After a prefill chunk: a request that has computed its prefix's blocks caches them.
  void cache_prefix(RequestState& s);
  /// Admits kv_ready requests at the head of the queue into this iteration's decode batch.
  void admit_decoding(long long budget);
  void stop_decode(int request);
  void preempt(int request);
  void finish(int request, double now_s, long long blocks);
  void schedule_prefill(int request, long long& budget);
  void begin_follower(double step_s);
  long long growing(long long iteration) const {
    return crossing_[static_cast<std::size_t>((block_ - iteration % block_) % block_)];
  }

  StepTimeTable& steps_;
  ServingEngineConfig config_;
  std::vector<RequestState>& requests_;
  const long long kv_blocks_;
  const long long block_;
  long long free_blocks_;
  long long k_ = 0;  ///< the iteration being planned or run
  long long admissions_ = 0;
  int running_ = 0;  ///< admitted, not finished (prefilling or decoding)
  std::deque<int> waiting_;
  std::deque<int> prefilling_;
  PrefixCache prefix_cache_;  ///< this stream's own
  // Decoding sequences.
  long long decoding_ = 0;
  long long base_sum_ = 0;
  std::vector<long long> crossing_;  ///< decoding sequences by block_key
  std::priority_queue<Finish, std::vector<Finish>, std::greater<>> finishes_;
  std::set<std::pair<long long, int>> decode_order_;  ///< (admitted, request)
  // The planned iteration.
  StepBatch batch_;
  std::vector<std::pair<int, int>> chunks_;  ///< (request, prompt tokens run now)
  double step_s_ = 0;
  // The planned run: its iterations' ends and the followers' step times.
  std::vector<double> run_ends_s_;
  std::vector<double> follower_steps_s_;
};

}  // namespace capsim::sim_detail
