// Prefix caching in the replica engine (sim/src/ServingReplica.hpp, models PrefixCache.hpp)
// against hand calculations: a cached prefix's whole blocks are skipped by the prefill (past =
// the cached tokens, the prefill attention of KernelModel::attention_prefill_s worked out by
// hand), shared blocks count once, an unreferenced prefix is evicted least recently released
// first when the cache runs short and is then recomputed, and a burst of requests with a long
// system prompt gets its first tokens sooner and finishes sooner through the whole simulation.
#include <gtest/gtest.h>

#include <algorithm>

#include "ServingReplica.hpp"
#include "ShippedCatalog.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/ServingSimulation.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

using sim_detail::ReplicaEngine;
using sim_detail::RequestState;

// Two layers, h 1024, 8 heads (d = 128), 2 KV heads, the hand-checkable kernels.
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

ServingEngineConfig cached_engine(int block, int prefix_tokens, int prefixes, KvPolicy policy) {
  ServingEngineConfig config;
  config.max_batch_size = 8;
  config.max_num_tokens = 256;
  config.tokens_per_block = block;
  config.kv_policy = policy;
  config.prefix_cache = {true, prefix_tokens, prefixes};
  return config;
}

RequestState request(int input, int output, int prefix) {
  RequestState r;
  r.input = input;
  r.output = output;
  r.prefix = prefix;
  return r;
}

double step(ReplicaEngine& engine, double now) {
  const double s = engine.begin_iteration(now);
  EXPECT_GT(s, 0);
  engine.end_iteration(now + s);
  return now + s;
}

// Runs one iteration from `now` (advanced to its end) and returns its duration.
double timed_step(ReplicaEngine& engine, double& now) {
  const double s = engine.begin_iteration(now);
  EXPECT_GT(s, 0);
  now += s;
  engine.end_iteration(now);
  return s;
}

double step_of(double tokens, double past) {
  StepBatch batch;
  batch.prefill.push_back({tokens, past, true});
  return inference_step_times(tiny_instance(), batch).total_s;
}

TEST(ServingPrefixCache, ACachedPrefixIsSkippedByThePrefillByHand) {
  // Blocks of 16, a shared prefix of 70 tokens: floor(70 / 16) = 4 whole blocks = 64 tokens are
  // reusable (the 6 tokens of the partial block are not). Request 0 (100 prompt tokens, 1 output)
  // misses and computes all 100; request 1, admitted after it, finds 64 cached and prefills the
  // other 36 after them: one chunk of 36 with past 64.
  // Its prefill attention by hand (KernelModel::attention_prefill_s, hand kernels: no launch, no
  // per-row cost, 1e15 x 0.4 FLOP/s): per layer 2 x heads x c x (2 p + c) x d
  //   = 2 x 8 x 36 x (128 + 36) x 128 = 12,091,392 FLOPs; two layers 24,182,784 FLOPs
  //   / 4e14 FLOP/s = 6.045696e-8 s.
  StepBatch batch;
  batch.prefill.push_back({36, 64, true});
  EXPECT_NEAR(inference_step_times(tiny_instance(), batch).prefill_attention_s, 6.045696e-8,
              1e-12 * 6.045696e-8);

  StepTimeTable steps(tiny_instance());
  std::vector<RequestState> requests = {request(100, 1, 0), request(100, 1, 0)};
  ReplicaEngine engine(steps, cached_engine(16, 70, 1, KvPolicy::MaxUtilization), 100, requests);
  engine.enqueue(0);
  double now = 0;
  const double miss_s = timed_step(engine, now);
  EXPECT_EQ(miss_s, step_of(100, 0)) << "a miss computes the whole prompt";
  engine.enqueue(1);
  const double hit_s = timed_step(engine, now);
  EXPECT_EQ(hit_s, step_of(36, 64)) << "a hit computes 36 tokens after 64 cached ones";
  EXPECT_LT(hit_s, miss_s) << "the hit prefills less";
  EXPECT_EQ(requests[1].first_token_s, now);
  // Hit rate: 64 of the 200 prompt tokens admitted.
  EXPECT_EQ(engine.prompt_tokens, 200);
  EXPECT_EQ(engine.reused_tokens, 64);
}

TEST(ServingPrefixCache, RequestsSharingAPrefixHoldItsBlocksOnceByHand) {
  // guaranteed-no-evict, blocks of 4, prefix 8 tokens (B = 2 blocks), requests of 10 prompt +
  // 5 output tokens: ceil(15 / 4) = 4 blocks each, 2 of them the prefix's. Request 0 misses and,
  // once it has computed its prefix, hands those 2 blocks to the cache; requests 1 and 2 hit.
  // Blocks in use: B + sum of their own = 2 + 3 x 2 = 8 (without sharing 3 x 4 = 12, which a
  // 10-block cache cannot hold: the third would wait).
  StepTimeTable steps(tiny_instance());
  std::vector<RequestState> requests = {request(10, 5, 0), request(10, 5, 0), request(10, 5, 0)};
  ReplicaEngine engine(steps, cached_engine(4, 8, 1, KvPolicy::GuaranteedNoEvict), 10, requests);
  engine.enqueue(0);
  double now = step(engine, 0);
  EXPECT_EQ(engine.used_blocks(), 4);
  engine.enqueue(1);
  engine.enqueue(2);
  now = step(engine, now);
  EXPECT_EQ(engine.running(), 3);
  EXPECT_EQ(engine.used_blocks(), 2 + 3 * 2);
  while (!engine.idle()) now = step(engine, now);
  EXPECT_EQ(engine.used_blocks(), 0) << "the cached prefix is evictable: its blocks are free";

  // The same requests without prefix caching: only two fit at once.
  std::vector<RequestState> plain = {request(10, 5, -1), request(10, 5, -1), request(10, 5, -1)};
  ServingEngineConfig off = cached_engine(4, 8, 1, KvPolicy::GuaranteedNoEvict);
  off.prefix_cache.enabled = false;
  ReplicaEngine without(steps, off, 10, plain);
  for (int r = 0; r < 3; ++r) without.enqueue(r);
  step(without, 0);
  EXPECT_EQ(without.running(), 2);
  EXPECT_EQ(without.used_blocks(), 8);
}

TEST(ServingPrefixCache, AnUnreferencedPrefixIsEvictedLeastRecentlyReleasedFirstAndRecomputed) {
  // Blocks of 4, 6 blocks, prefix 8 tokens (2 blocks), two prefixes; every request has one
  // output token, so it finishes in the iteration that prefills it. One request per iteration:
  //   R0 (10 tokens, prefix 0): miss, 3 blocks; caches prefix 0 (2 blocks), frees its own 1:
  //      prefix 0 is evictable, 6 blocks free.
  //   R1 (10, prefix 0): hit, prefills 2 tokens after 8 cached.
  //   R2 (22, prefix 1): miss, needs ceil(22 / 4) = 6 blocks: all, so prefix 0 is evicted;
  //      it caches prefix 1.
  //   R3 (10, prefix 0): miss (evicted): computes all 10 and caches prefix 0 again.
  //   R4 (12, no prefix): 3 blocks of the 6 free, 4 of them cached (prefix 1 released by R2,
  //      then prefix 0 by R3): prefix 1, the least recently released, is evicted; prefix 0 stays.
  //   R5 (10, prefix 0): hit; R6 (10, prefix 1): miss.
  StepTimeTable steps(tiny_instance());
  std::vector<RequestState> requests = {request(10, 1, 0), request(10, 1, 0),  request(22, 1, 1),
                                        request(10, 1, 0), request(12, 1, -1), request(10, 1, 0),
                                        request(10, 1, 1)};
  ReplicaEngine engine(steps, cached_engine(4, 8, 2, KvPolicy::MaxUtilization), 6, requests);
  double now = 0;
  std::vector<double> durations;
  for (int r = 0; r < 7; ++r) {
    engine.enqueue(r);
    durations.push_back(timed_step(engine, now));
    EXPECT_EQ(engine.used_blocks(), 0) << "request " << r;
  }
  EXPECT_EQ(durations[0], step_of(10, 0));
  EXPECT_EQ(durations[1], step_of(2, 8));
  EXPECT_EQ(durations[2], step_of(22, 0));
  EXPECT_EQ(durations[3], step_of(10, 0)) << "prefix 0 was evicted: recomputed";
  EXPECT_EQ(durations[4], step_of(12, 0));
  EXPECT_EQ(durations[5], step_of(2, 8)) << "prefix 0 was released last: kept";
  EXPECT_EQ(durations[6], step_of(10, 0)) << "prefix 1 was released first: evicted";
  EXPECT_EQ(engine.prefix_evictions(), 2);
  EXPECT_EQ(engine.reused_tokens, 16);
  EXPECT_EQ(engine.prompt_tokens, 10 + 10 + 22 + 10 + 12 + 10 + 10);
}

TEST(ServingPrefixCache, APreemptedRequestHitsTheCachedPrefixWhenReadmittedByHand) {
  // The preemption case of ServingReplica_test (blocks of 4, 5 blocks, two requests of 6 prompt
  // and 10 output tokens; iteration k >= 1 writes token 6 + k of each) with a shared prefix of 4
  // tokens (1 block). Iteration 0 admits both (2 blocks each, nothing cached yet: both miss);
  // request 0 caches its first block. Iteration 3 needs two new blocks with one free and preempts
  // request 1, which frees its 2 blocks (8 tokens) and returns as a 9-token prompt; request 0
  // then holds 1 shared + 2 own blocks, 2 free.
  // Iteration 4: request 1 hits the prefix request 0 still references: it needs
  // ceil(9 / 4) - 1 = 2 blocks (without caching 3, so it would wait until request 0 ends, as in
  // ServingReplica_test) and prefills 5 tokens after the 4 cached, beside request 0's decode
  // token at context 10. Blocks in use: 1 + 2 + 2 = 5.
  StepTimeTable steps(tiny_instance());
  std::vector<RequestState> requests = {request(6, 10, 0), request(6, 10, 0)};
  ReplicaEngine engine(steps, cached_engine(4, 4, 1, KvPolicy::MaxUtilization), 5, requests);
  engine.enqueue(0);
  engine.enqueue(1);
  double now = 0;
  for (int k = 0; k <= 3; ++k) now = step(engine, now);
  EXPECT_EQ(engine.preemptions, 1);
  EXPECT_EQ(engine.used_blocks(), 3);
  EXPECT_EQ(engine.reused_tokens, 0);
  const double iteration_4_s = timed_step(engine, now);
  StepBatch batch;
  batch.decode_sequences = 1;
  batch.decode_context_tokens = 10;
  batch.prefill.push_back({5, 4, true});
  EXPECT_EQ(iteration_4_s, inference_step_times(tiny_instance(), batch).total_s);
  EXPECT_EQ(engine.used_blocks(), 5);
  EXPECT_EQ(engine.running(), 2);
  EXPECT_EQ(engine.prompt_tokens, 6 + 6 + 9);
  EXPECT_EQ(engine.reused_tokens, 4);
  while (!engine.idle()) now = step(engine, now);
  EXPECT_EQ(engine.finished, 2);
  EXPECT_EQ(engine.used_blocks(), 0);
}

// Llama 3.1 8B on an H100, one replica serving one request at a time (max_batch_size 1, one
// output token): each request is one prefill iteration. N = 40 requests of 2048 prompt tokens
// all arrive at t = 0; with prefix caching they share a 1536-token system prompt (96 blocks of
// 16). Without caching every request takes D0 = step(2048 tokens, past 0); with it the first
// (the only miss) takes D0 and the other 39 D1 = step(512 tokens, past 1536).
// Request k finishes at (k + 1) D0 without caching, at D0 + k D1 with it, so
//   mean TTFT: D0 (N + 1) / 2 against D0 + D1 (N - 1) / 2, makespan N D0 against D0 + (N - 1) D1;
//   hit rate (N - 1) x 1536 / (N x 2048) = 39 x 1536 / 81920 = 0.73125.
// D1 < D0 / 2 by hand: at 2048 and at 512 tokens the GEMMs (2 x 8e9 x tokens FLOPs against a
// 16 GB weight read) are compute-bound, so they scale with tokens (1/4), and the attention
// FLOPs scale as 512 x (2 x 1536 + 512) / 2048^2 = 0.4375.
// SimGrid allows one engine per process: the two runs are two test cases.
constexpr int kBurst = 40;

InferenceInstance llama8b_h100() {
  InferenceInstance in;
  in.model = model_shape(shipped_catalog().models.at("llama-3.1-8b"));
  in.gpu = inference_gpu(shipped_catalog().gpus.at("h100-sxm-80gb"));
  return in;
}

double prefill_s(double tokens, double past) {
  StepBatch batch;
  batch.prefill.push_back({tokens, past, true});
  return inference_step_times(llama8b_h100(), batch).total_s;
}

ServiceStats burst(bool cached) {
  ServiceSetup setup;
  setup.name = cached ? "cached" : "plain";
  setup.instance = llama8b_h100();
  setup.engine.max_batch_size = 1;
  setup.engine.max_num_tokens = 2048;
  setup.engine.tokens_per_block = 16;
  setup.engine.prefix_cache = {cached, 1536, 1};
  setup.kv_blocks = 1000;
  setup.replicas = 1;
  setup.duration_s = 60;
  for (int r = 0; r < kBurst; ++r) setup.requests.push_back({0.0, 2048, 1, cached ? 0 : -1});
  ServingSettings settings;
  settings.keep_requests = true;
  return simulate_services({setup}, settings).services.at(0);
}

double makespan_s(const ServiceStats& st) {
  double end = 0;
  for (const RequestRecord& r : st.records) end = std::max(end, r.finish_s);
  return end;
}

TEST(ServingPrefixCache, ABurstWithoutPrefixCachingPrefillsEveryPromptWhole) {
  const double d0 = prefill_s(2048, 0);
  const ServiceStats st = burst(false);
  ASSERT_EQ(st.completed, kBurst);
  EXPECT_NEAR(st.ttft.mean_s, d0 * (kBurst + 1) / 2, 1e-9 * d0 * kBurst);
  EXPECT_NEAR(makespan_s(st), kBurst * d0, 1e-9 * kBurst * d0);
  EXPECT_EQ(st.prefix_hit_rate, 0);
  EXPECT_EQ(st.prefill_tokens_saved, 0);
}

TEST(ServingPrefixCache, ALongSystemPromptCutsTtftAndRaisesThroughputInTheSimulation) {
  const double d0 = prefill_s(2048, 0);
  const double d1 = prefill_s(512, 1536);
  ASSERT_LT(d1, d0 / 2);
  const ServiceStats st = burst(true);
  ASSERT_EQ(st.completed, kBurst);
  const double ttft_s = d0 + d1 * (kBurst - 1) / 2;
  EXPECT_NEAR(st.ttft.mean_s, ttft_s, 1e-9 * d0 * kBurst);
  const double makespan = d0 + (kBurst - 1) * d1;
  EXPECT_NEAR(makespan_s(st), makespan, 1e-9 * kBurst * d0);
  // Against the run without caching (the test above: D0 (N + 1) / 2 and N D0): the mean TTFT
  // falls and the throughput over the makespan rises, each by more than 1.9 x (D1 < D0 / 2).
  EXPECT_GT(d0 * (kBurst + 1) / 2 / st.ttft.mean_s, 1.9);
  EXPECT_GT(kBurst * d0 / makespan_s(st), 1.9);
  EXPECT_NEAR(st.prefix_hit_rate, 39.0 * 1536 / (40.0 * 2048), 1e-15);
  EXPECT_EQ(st.prefill_tokens_saved, 39.0 * 1536);
  EXPECT_EQ(st.prefix_evictions, 0);
}

}  // namespace
}  // namespace capsim::test
