// The replica engine (sim/src/ServingReplica.hpp) iteration by iteration against hand
// calculations: paged KV growth, preemption of the newest sequence when the cache is full and its
// recompute, and guaranteed-no-evict admission; runs of iterations played at once against the
// same requests played iteration by iteration.
#include "ServingReplica.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

using sim_detail::ReplicaEngine;
using sim_detail::RequestState;

InferenceInstance tiny_instance() {
  InferenceInstance in;
  in.model = {2, 1024, 8, 2, 4096, 32768, true, false};
  in.gpu.id = "hand-gpu";
  in.gpu.kernels = hand_kernels();
  in.gpu.memory_bytes = 4e9;
  in.gpu.decode_attention_Bps = 2e12;
  in.gpu.tp_link = {100e9, 1e-6};
  return in;
}

std::vector<RequestState> two_requests(int input, int output) {
  std::vector<RequestState> requests(2);
  for (auto& r : requests) {
    r.input = input;
    r.output = output;
  }
  return requests;
}

// Runs one iteration at `now` and returns the time after it.
double step(ReplicaEngine& engine, double now) {
  const double s = engine.begin_iteration(now);
  EXPECT_GT(s, 0);
  engine.end_iteration(now + s);
  return now + s;
}

TEST(ServingReplica, PreemptsTheNewestSequenceWhenGrowthExceedsTheFreeBlocksByHand) {
  // Blocks of 4 tokens, 5 blocks. Two requests of 6 prompt and 10 output tokens.
  // Iteration 0: both admitted (ceil(6 / 4) = 2 blocks each, 1 left) and prefilled together; each
  //   samples its first token. The cache holds 6 tokens of each.
  // Iteration k >= 1 writes token 6 + k of each: a new block when 6 + k - 1 is a multiple of 4,
  //   first at k = 3 (token 9): two blocks wanted, one free, so the newer request (1) is
  //   preempted: it frees ceil(8 / 4) = 2 blocks (8 tokens cached after iteration 2) and has
  //   1 + 2 = 3 tokens sampled; request 0 takes one block (2 left).
  // Request 1 comes back as a prompt of 6 + 3 = 9 tokens, 3 blocks: not before request 0 ends.
  //   Request 0 samples its 10th token in iteration 9 and frees ceil(15 / 4) = 4 blocks (15
  //   tokens cached); iteration 10 admits and prefills request 1 (its 4th token), which then
  //   decodes its remaining 6 in iterations 11..16.
  ServingEngineConfig config;
  config.max_batch_size = 8;
  config.max_num_tokens = 64;
  config.tokens_per_block = 4;
  config.kv_policy = KvPolicy::MaxUtilization;
  StepTimeTable steps(tiny_instance());
  auto requests = two_requests(6, 10);
  ReplicaEngine engine(steps, config, 5, requests);
  engine.enqueue(0);
  engine.enqueue(1);
  double now = 0;
  now = step(engine, now);
  EXPECT_EQ(engine.used_blocks(), 4);
  const double first_token_s = now;
  EXPECT_EQ(requests[1].first_token_s, first_token_s);
  now = step(engine, now);
  now = step(engine, now);
  EXPECT_EQ(engine.preemptions, 0);
  now = step(engine, now);  // iteration 3
  EXPECT_EQ(engine.preemptions, 1);
  EXPECT_EQ(requests[1].preemptions, 1);
  EXPECT_EQ(requests[0].preemptions, 0);
  EXPECT_EQ(requests[1].generated, 3);
  EXPECT_EQ(requests[1].prompt, 9);
  EXPECT_EQ(engine.used_blocks(), 3);
  EXPECT_EQ(engine.waiting(), 1);
  for (int k = 4; k <= 9; ++k) now = step(engine, now);
  EXPECT_GE(requests[0].finish_s, 0);
  EXPECT_EQ(requests[0].finish_s, now);
  EXPECT_LT(requests[1].finish_s, 0);
  EXPECT_EQ(engine.used_blocks(), 0);
  now = step(engine, now);  // iteration 10: request 1 prefills its 9 tokens
  EXPECT_EQ(engine.used_blocks(), 3);
  EXPECT_EQ(requests[1].first_token_s, first_token_s) << "the first token is not sampled twice";
  for (int k = 11; k <= 16; ++k) now = step(engine, now);
  EXPECT_EQ(requests[1].finish_s, now);
  EXPECT_TRUE(engine.idle());
  EXPECT_EQ(engine.iterations, 17);
  EXPECT_EQ(engine.output_tokens, 20);
  EXPECT_EQ(engine.begin_iteration(now), 0);
}

TEST(ServingReplica, GuaranteedNoEvictReservesTheWholeRequestAndNeverPreempts) {
  // Same cache and requests: each reserves ceil((6 + 10) / 4) = 4 blocks of 5, so the second
  // waits until the first ends (iteration 9: prefill in 0, 9 decode tokens); it is then
  // admitted in iteration 10 and ends in iteration 19.
  ServingEngineConfig config;
  config.max_batch_size = 8;
  config.max_num_tokens = 64;
  config.tokens_per_block = 4;
  config.kv_policy = KvPolicy::GuaranteedNoEvict;
  StepTimeTable steps(tiny_instance());
  auto requests = two_requests(6, 10);
  ReplicaEngine engine(steps, config, 5, requests);
  engine.enqueue(0);
  engine.enqueue(1);
  double now = 0;
  now = step(engine, now);
  EXPECT_EQ(engine.used_blocks(), 4);
  EXPECT_EQ(engine.waiting(), 1);
  for (int k = 1; k <= 9; ++k) now = step(engine, now);
  EXPECT_EQ(requests[0].finish_s, now);
  EXPECT_LT(requests[1].first_scheduled_s, 0);
  for (int k = 10; k <= 19; ++k) now = step(engine, now);
  EXPECT_EQ(requests[1].finish_s, now);
  EXPECT_EQ(engine.preemptions, 0);
  EXPECT_EQ(engine.iterations, 20);
}

TEST(ServingReplica, ChunkedPrefillSplitsAPromptOverTheTokenBudget) {
  // A 100-token prompt with a budget of 32: chunks of 32, 32, 32, 4; the first token is sampled
  // at the end of the fourth iteration, and each iteration's time is the step of its chunk.
  ServingEngineConfig config;
  config.max_batch_size = 4;
  config.max_num_tokens = 32;
  config.tokens_per_block = 16;
  StepTimeTable steps(tiny_instance());
  std::vector<RequestState> requests(1);
  requests[0].input = 100;
  requests[0].output = 1;
  ReplicaEngine engine(steps, config, 100, requests);
  engine.enqueue(0);
  double now = 0;
  double expected = 0;
  for (int chunk = 0; chunk < 4; ++chunk) {
    StepBatch batch;
    const double tokens = chunk < 3 ? 32 : 4;
    batch.prefill.push_back({tokens, 32.0 * chunk, chunk == 3});
    expected += inference_step_times(tiny_instance(), batch).total_s;
    now = step(engine, now);
    EXPECT_EQ(now, expected) << "chunk " << chunk;
  }
  EXPECT_EQ(requests[0].first_token_s, now);
  EXPECT_EQ(requests[0].finish_s, now);
}

TEST(ServingReplica, ARunStopsBeforeTheIterationThatWouldPreemptByHand) {
  // The requests of the preemption test: after iteration 0 both decode; iteration 1 is decode
  // only. Iteration 2 repeats it (tokens 8 of both: no new block); iteration 3 needs two blocks
  // with one free and would preempt, so the run of iteration 1 has exactly one follower, and
  // its ends are the step sums of the two decode batches (context 7 + 7, then 8 + 8).
  ServingEngineConfig config;
  config.max_batch_size = 8;
  config.max_num_tokens = 64;
  config.tokens_per_block = 4;
  StepTimeTable steps(tiny_instance());
  auto requests = two_requests(6, 10);
  ReplicaEngine engine(steps, config, 5, requests);
  engine.enqueue(0);
  engine.enqueue(1);
  const double after_0 = step(engine, 0);
  const double step_1 = engine.begin_iteration(after_0);
  const double inf = std::numeric_limits<double>::infinity();
  ASSERT_EQ(engine.plan_followers(after_0 + step_1, inf, 100), 1);
  StepBatch batch;
  batch.decode_sequences = 2;
  batch.decode_context_tokens = 14;
  const double end_1 = after_0 + inference_step_times(tiny_instance(), batch).total_s;
  batch.decode_context_tokens = 16;
  const double end_2 = end_1 + inference_step_times(tiny_instance(), batch).total_s;
  ASSERT_EQ(engine.run_ends_s().size(), 2u);
  EXPECT_EQ(engine.run_ends_s()[0], end_1);
  EXPECT_EQ(engine.run_ends_s()[1], end_2);
  // A horizon before the follower's end leaves the iteration alone.
  EXPECT_EQ(engine.plan_followers(after_0 + step_1, end_2, 100), 0);
  ASSERT_EQ(engine.plan_followers(after_0 + step_1, inf, 100), 1);
  engine.end_run(1);
  EXPECT_EQ(engine.iterations, 3);
  EXPECT_EQ(engine.preemptions, 0);
  step(engine, end_2);  // iteration 3 preempts, as the hand calculation above says
  EXPECT_EQ(engine.preemptions, 1);
}

// Plays `requests` (arrival times set) on one engine iteration by iteration, or in runs cut short
// by the next arrival as the replica actor does; returns the engine's figures.
struct Played {
  std::vector<RequestState> requests;
  long long preemptions = 0, iterations = 0, finished = 0;
  long long sleeps = 0;  ///< iterations, or runs, slept through
  double busy_s = 0, kv_block_s = 0, waiting_s = 0, output_tokens = 0;
  double reused_tokens = 0;
  long long prefix_evictions = 0;
};

Played play(std::vector<RequestState> requests, const ServingEngineConfig& config,
            long long kv_blocks, bool runs) {
  StepTimeTable steps(tiny_instance());
  ReplicaEngine engine(steps, config, kv_blocks, requests);
  std::size_t next = 0;
  double now = 0;
  long long sleeps = 0;
  const double inf = std::numeric_limits<double>::infinity();
  while (next < requests.size() || !engine.idle()) {
    while (next < requests.size() && requests[next].arrival_s <= now) {
      engine.enqueue(static_cast<int>(next++));
    }
    const double step_s = engine.begin_iteration(now);
    if (step_s <= 0) {
      now = requests.at(next).arrival_s;
      continue;
    }
    ++sleeps;
    if (!runs) {
      engine.end_iteration(now + step_s);
      now += step_s;
      continue;
    }
    engine.plan_followers(now + step_s, inf, 64);
    const std::vector<double>& ends = engine.run_ends_s();
    const double arrival = next < requests.size() ? requests[next].arrival_s : inf;
    std::size_t last = 0;
    while (last + 1 < ends.size() && ends[last] < arrival) ++last;
    now = ends[last];
    engine.end_run(static_cast<int>(last));
  }
  Played p;
  p.requests = requests;
  p.sleeps = sleeps;
  p.preemptions = engine.preemptions;
  p.iterations = engine.iterations;
  p.finished = engine.finished;
  p.busy_s = engine.busy_s;
  p.kv_block_s = engine.kv_block_s;
  p.waiting_s = engine.waiting_s;
  p.output_tokens = engine.output_tokens;
  p.reused_tokens = engine.reused_tokens;
  p.prefix_evictions = engine.prefix_evictions();
  return p;
}

std::vector<RequestState> mixed_requests(int count) {
  // A fixed linear congruential sequence: lengths 4-67 prompt, 1-40 output tokens, gaps of
  // 0-9 ms (the tiny instance's iterations take about 1 ms, so queues form and drain).
  std::vector<RequestState> requests(static_cast<std::size_t>(count));
  std::uint64_t x = 12345;
  auto next = [&x](int n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((x >> 33) % static_cast<std::uint64_t>(n));
  };
  double t = 0;
  for (auto& r : requests) {
    t += next(10) * 1e-3;
    r.arrival_s = t;
    r.input = 4 + next(64);
    r.output = 1 + next(40);
  }
  return requests;
}

void expect_same(const Played& a, const Played& b) {
  ASSERT_EQ(a.requests.size(), b.requests.size());
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    EXPECT_EQ(a.requests[i].first_scheduled_s, b.requests[i].first_scheduled_s) << i;
    EXPECT_EQ(a.requests[i].first_token_s, b.requests[i].first_token_s) << i;
    EXPECT_EQ(a.requests[i].finish_s, b.requests[i].finish_s) << i;
    EXPECT_EQ(a.requests[i].preemptions, b.requests[i].preemptions) << i;
  }
  EXPECT_EQ(a.preemptions, b.preemptions);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.finished, b.finished);
  EXPECT_EQ(a.busy_s, b.busy_s);
  EXPECT_EQ(a.kv_block_s, b.kv_block_s);
  EXPECT_EQ(a.waiting_s, b.waiting_s);
  EXPECT_EQ(a.output_tokens, b.output_tokens);
  EXPECT_EQ(a.reused_tokens, b.reused_tokens);
  EXPECT_EQ(a.prefix_evictions, b.prefix_evictions);
}

TEST(ServingReplica, RunsGiveTheFiguresOfIterationByIterationBitForBit) {
  // The same 400 requests on a small cache (16 blocks of 8 tokens: preemptions, blocked
  // admissions) and a roomy one,
  // with both KV policies: every time and figure is the same double, since a run adds the same
  // step times in the same order as the iterations one by one.
  for (const KvPolicy policy : {KvPolicy::MaxUtilization, KvPolicy::GuaranteedNoEvict}) {
    for (const long long blocks : {16LL, 2000LL}) {
      ServingEngineConfig config;
      config.max_batch_size = 16;
      config.max_num_tokens = 96;
      config.tokens_per_block = 8;
      config.kv_policy = policy;
      const auto requests = mixed_requests(400);
      const Played one_by_one = play(requests, config, blocks, false);
      const Played in_runs = play(requests, config, blocks, true);
      SCOPED_TRACE(std::string(kv_policy_name(policy)) + ", blocks " + std::to_string(blocks));
      EXPECT_EQ(one_by_one.finished, 400);
      if (policy == KvPolicy::MaxUtilization && blocks == 16) {
        EXPECT_GT(one_by_one.preemptions, 0);
      }
      expect_same(one_by_one, in_runs);
      EXPECT_LT(in_runs.sleeps, one_by_one.sleeps * 3 / 4) << "runs of several iterations";
    }
  }
}

TEST(ServingReplica, RunsWithPrefixCachingGiveTheFiguresOfIterationByIterationBitForBit) {
  // The same check with prefix caching: three 20-token prefixes (2 whole blocks of 8), request i
  // starting with prefix i mod 3 (prompts of 4-67 tokens: the short ones share less or nothing).
  // On the small cache prefixes are evicted and recomputed; runs must still stop wherever an
  // iteration by itself would admit, evict or preempt differently.
  for (const KvPolicy policy : {KvPolicy::MaxUtilization, KvPolicy::GuaranteedNoEvict}) {
    for (const long long blocks : {16LL, 2000LL}) {
      ServingEngineConfig config;
      config.max_batch_size = 16;
      config.max_num_tokens = 96;
      config.tokens_per_block = 8;
      config.kv_policy = policy;
      config.prefix_cache = {true, 20, 3};
      auto requests = mixed_requests(400);
      for (std::size_t i = 0; i < requests.size(); ++i)
        requests[i].prefix = static_cast<int>(i % 3);
      const Played one_by_one = play(requests, config, blocks, false);
      const Played in_runs = play(requests, config, blocks, true);
      SCOPED_TRACE(std::string(kv_policy_name(policy)) + ", blocks " + std::to_string(blocks));
      EXPECT_EQ(one_by_one.finished, 400);
      EXPECT_GT(one_by_one.reused_tokens, 0);
      if (blocks == 16) {
        EXPECT_GT(one_by_one.prefix_evictions, 0);
      }
      expect_same(one_by_one, in_runs);
    }
  }
}

}  // namespace
}  // namespace capsim::test
