// The replica engine (sim/src/ServingReplica.hpp) iteration by iteration against hand
// calculations: paged KV growth, preemption of the newest sequence when the cache is full and its
// recompute, and guaranteed-no-evict admission.
#include "ServingReplica.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace capsim::test
