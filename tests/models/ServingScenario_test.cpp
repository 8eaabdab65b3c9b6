// Inference services in scenario files (ServingWorkload.hpp): what a valid service parses to,
// and every bad input with its file, line, column or key path and what is expected.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "ShippedCatalog.hpp"
#include "TestTempPath.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/ServicePlan.hpp"
#include "capsim/models/ServingTraffic.hpp"

namespace capsim {
namespace {

const std::string kBase = R"(name: serving
infrastructure:
  clusters:
    - name: lab
      server: dgx-h100
      count: 2
      fabric: {template: single-switch, switch: quantum-2-qm9700}
workloads:
  - name: chat
    kind: inference
    model: llama-3.1-70b
    precision: fp8
    parallelism: {tp: 2}
    traffic:
      pattern: poisson
      rate: 5
      input_tokens: 1000
      output_tokens: {distribution: normal, mean: 200, stddev: 50, min: 10, max: 400}
    autoscaler: {metric: utilization, target: 60%, min_replicas: 2, startup: 2min}
    slo: {ttft_p99: 500ms, tpot_p90: 40ms, goodput: 99%}
    duration: 30min
)";

Scenario parse(const std::string& text, const std::vector<KeyOverride>& overrides = {}) {
  return parse_scenario(text, "s.yaml", test::shipped_catalog(), overrides);
}

std::string error_of(const std::string& text, const std::vector<KeyOverride>& overrides = {}) {
  try {
    parse(text, overrides);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(ServingScenario, AValidServiceParsesWithItsDefaults) {
  const Scenario s = parse(kBase);
  ASSERT_EQ(s.services.size(), 1u);
  EXPECT_TRUE(s.training.empty());
  const InferenceService& v = s.services[0];
  EXPECT_EQ(v.tp, 2);
  EXPECT_EQ(v.precision, InferencePrecision::FP8);
  EXPECT_EQ(v.traffic.input_tokens.min, 1000);
  EXPECT_EQ(v.traffic.input_tokens.max, 1000);
  EXPECT_EQ(v.traffic.output_tokens.kind, "normal");
  EXPECT_TRUE(v.autoscaler.enabled);
  EXPECT_EQ(v.autoscaler.max_replicas, 8) << "16 GPUs / tp 2";
  EXPECT_EQ(v.replicas, 2) << "the autoscaler's minimum";
  EXPECT_DOUBLE_EQ(v.autoscaler.target, 0.6);
  EXPECT_DOUBLE_EQ(v.autoscaler.startup_s, 120);
  EXPECT_EQ(v.router, RouterPolicy::LeastOutstanding);
  EXPECT_EQ(v.engine.max_batch_size, 256);
  EXPECT_EQ(v.engine.tokens_per_block, 16);
  ASSERT_EQ(v.slo.latency.size(), 2u);
  EXPECT_EQ(v.slo.latency[0].measure, "ttft");
  EXPECT_DOUBLE_EQ(v.slo.latency[0].limit_s, 0.5);
  EXPECT_EQ(v.slo.latency[1].percentile, 90);
  EXPECT_DOUBLE_EQ(*v.slo.goodput, 0.99);
  EXPECT_DOUBLE_EQ(v.duration_s, 1800);
}

std::string replaced(const std::string& from, const std::string& to) {
  std::string text = kBase;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

void expect_error(const std::string& message, const std::vector<std::string>& parts) {
  ASSERT_FALSE(message.empty()) << "no error";
  for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(ServingScenario, BadValuesNameTheirPlaceAndWhatIsExpected) {
  expect_error(error_of(replaced("precision: fp8", "precision: fp4")),
               {"s.yaml:12:16", "workloads[0].precision", "FP4", "bf16 or fp8"});
  expect_error(error_of(replaced("{tp: 2}", "{tp: 2, pp: 0}")), {"workloads[0].parallelism.pp"});
  expect_error(
      error_of(replaced("{tp: 2}", "{tp: 2, pp: 81}")),
      {"workloads[0].parallelism.pp", "81 pipeline stages for the 80 layers", "at most 80"});
  expect_error(error_of(replaced("{tp: 2}", "{tp: 2, pp: 3}")),
               {"workloads[0].parallelism.pp", "6 GPUs neither fits evenly into nor spans whole",
                "tp x pp dividing 8 or a multiple of it"});
  expect_error(
      error_of(replaced("{tp: 2}", "{tp: 8, pp: 4}")),
      {"workloads[0].parallelism", "needs 32 GPUs, more than the service's 16", "tp x pp at most"});
  expect_error(error_of(replaced("{tp: 2}", "{tp: 2, pp: 2}"),
                        {{"workloads[0].autoscaler.max_replicas", "5"}}),
               {"workloads[0].autoscaler.max_replicas", "x pp 2 need more than the service's 16",
                "at most 4"});
  expect_error(error_of(replaced("{tp: 2}", "{tp: 3}")),
               {"workloads[0].parallelism.tp", "does not divide the 8 GPUs", "tp dividing 8"});
  expect_error(error_of(replaced("pattern: poisson", "pattern: steady")),
               {"s.yaml:15:16", "workloads[0].traffic.pattern", "poisson, bursty, daily, trace"});
  expect_error(error_of(replaced("      rate: 5\n", "      rate: 0\n")),
               {"workloads[0].traffic.rate", "is zero", "requests per second"});
  expect_error(error_of(replaced("      rate: 5\n", "")), {"workloads[0].traffic.rate", "missing"});
  expect_error(error_of(replaced("pattern: poisson\n      rate: 5",
                                 "pattern: daily\n      hourly_rates: [1, 2, 3]")),
               {"workloads[0].traffic.hourly_rates", "has 3 entries", "24 rates"});
  expect_error(error_of(replaced("input_tokens: 1000", "input_tokens: 200000")),
               {"workloads[0].traffic.input_tokens", "longer than the model's context of 131072"});
  expect_error(error_of(replaced("{distribution: normal, mean: 200, stddev: 50, min: 10, max: 400}",
                                 "{distribution: uniform, mean: 200}")),
               {"workloads[0].traffic.output_tokens", "needs min and max"});
  expect_error(error_of(replaced("min_replicas: 2,", "min_replicas: 2, max_replicas: 9,")),
               {"workloads[0].autoscaler.max_replicas", "need more than the service's 16 GPUs",
                "at most 8"});
  expect_error(error_of(replaced("metric: utilization", "metric: cpu")),
               {"workloads[0].autoscaler.metric", "queue, concurrency, utilization"});
  expect_error(error_of(replaced("goodput: 99%", "goodput: 99")),
               {"workloads[0].slo.goodput", "fraction"});
  expect_error(error_of(replaced("ttft_p99: 500ms, tpot_p90: 40ms, ", "")),
               {"workloads[0].slo.goodput", "without a latency limit"});
  expect_error(error_of(replaced("ttft_p99", "ttft_p95")),
               {"workloads[0].slo.ttft_p95", "ttft_p99"});
  expect_error(error_of(replaced("kind: inference", "kind: serving")),
               {"workloads[0].kind", "training, inference"});
  expect_error(error_of(kBase, {{"workloads[0].replicas", "9"}}),
               {"workloads[0].replicas", "at most 8"});
}

// kBase with `parallelism` and `autoscaler` replaced by disaggregated pools.
std::string disaggregated(const std::string& pools) {
  std::string text = kBase;
  for (const std::string line : {"    parallelism: {tp: 2}\n",
                                 "    autoscaler: {metric: utilization, target: 60%, "
                                 "min_replicas: 2, startup: 2min}\n"}) {
    const auto at = text.find(line);
    EXPECT_NE(at, std::string::npos) << line;
    text.erase(at, line.size());
  }
  return text + "    disaggregation: " + pools + "\n";
}

TEST(ServingScenario, PrefixCachingParsesOffByDefaultAndDrawsPrefixesFromItsOwnStream) {
  EXPECT_FALSE(parse(kBase).services[0].engine.prefix_cache.enabled);
  const Scenario s = parse(replaced("    duration: 30min\n",
                                    "    duration: 30min\n"
                                    "    prefix_cache: {enabled: true, shared_prefix_tokens: 512, "
                                    "prefixes: 4}\n"));
  const PrefixCacheConfig& c = s.services[0].engine.prefix_cache;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.shared_prefix_tokens, 512);
  EXPECT_EQ(c.prefixes, 4);
  // Drawing prefixes leaves arrivals and lengths as they are; each of the 4 prefixes is drawn
  // about a quarter of the time (9,000 requests: a share's standard deviation is
  // sqrt(0.25 x 0.75 / 9000) = 0.0046; 5 of them = 0.023).
  const TrafficConfig& traffic = s.services[0].traffic;
  const std::vector<ServingRequest> plain = generate_requests(traffic, 1800, 7);
  std::vector<ServingRequest> drawn = plain;
  assign_prefixes(drawn, c, 7);
  ASSERT_EQ(drawn.size(), plain.size());
  std::vector<double> share(4, 0);
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    ASSERT_EQ(drawn[i].arrival_s, plain[i].arrival_s);
    ASSERT_EQ(drawn[i].output_tokens, plain[i].output_tokens);
    ASSERT_GE(drawn[i].prefix, 0);
    ASSERT_LT(drawn[i].prefix, 4);
    share[static_cast<std::size_t>(drawn[i].prefix)] += 1.0 / static_cast<double>(drawn.size());
  }
  for (const double x : share) EXPECT_NEAR(x, 0.25, 0.023);
}

TEST(ServingScenario, BadPrefixCachingIsRefusedWithItsKeyPath) {
  const auto with = [](const std::string& value) {
    return replaced("    duration: 30min\n",
                    "    duration: 30min\n    prefix_cache: " + value + "\n");
  };
  expect_error(error_of(with("{enabled: true}")),
               {"workloads[0].prefix_cache.shared_prefix_tokens", "missing"});
  expect_error(error_of(with("{enabled: true, shared_prefix_tokens: 0}")),
               {"workloads[0].prefix_cache.shared_prefix_tokens"});
  expect_error(error_of(with("{enabled: true, shared_prefix_tokens: 200000}")),
               {"workloads[0].prefix_cache.shared_prefix_tokens", "longer than the model's"});
  expect_error(error_of(with("{enabled: true, shared_prefix_tokens: 64, prefixes: 0}")),
               {"workloads[0].prefix_cache.prefixes"});
  expect_error(error_of(with("{enabled: yes please, shared_prefix_tokens: 64}")),
               {"workloads[0].prefix_cache.enabled"});
  expect_error(error_of(with("{enabled: false, shared_prefix: 64}")),
               {"workloads[0].prefix_cache.shared_prefix"});
}

TEST(ServingScenario, DisaggregatedPoolsParseWithTheirServers) {
  // dgx-h100: 8 GPUs per server. 2 prefill replicas of tp 2 take 4 GPUs: one server by default.
  const Scenario s = parse(
      disaggregated("{prefill: {tp: 2, replicas: 2}, decode: {tp: 4, replicas: 2, servers: 1}}"));
  const InferenceService& v = s.services.at(0);
  ASSERT_TRUE(v.disaggregation.enabled);
  EXPECT_EQ(v.disaggregation.prefill.tp, 2);
  EXPECT_EQ(v.disaggregation.prefill.replicas, 2);
  EXPECT_EQ(v.disaggregation.prefill.servers, 1);
  EXPECT_EQ(v.disaggregation.decode.servers, 1);
  EXPECT_EQ(v.tp, 4) << "the decode pool's";
  EXPECT_EQ(v.replicas, 2) << "the decode pool's";
  EXPECT_FALSE(v.autoscaler.enabled);
  // Planned: each pool gets its own replica and cache; tp 2 leaves fewer tokens per replica
  // (two GPUs of 80 GB minus the fp8 weights) than tp 4.
  const ClusterPlan cluster = plan_cluster(s.clusters[0], s.economics);
  const ServicePlan plan = plan_service(v, s.clusters[0], cluster);
  EXPECT_TRUE(plan.disaggregated);
  EXPECT_EQ(plan.prefill_instance.tp, 2);
  EXPECT_EQ(plan.instance.tp, 4);
  EXPECT_LT(plan.prefill_kv.kv_tokens, plan.kv.kv_tokens);
  EXPECT_GT(plan.prefill_replica_requests_per_s, 0);
  EXPECT_EQ(plan.prefill_replicas_for_peak,
            static_cast<int>(std::ceil(5 / plan.prefill_replica_requests_per_s)));
}

TEST(ServingScenario, BadDisaggregationIsRefusedWithItsKeyPath) {
  const std::string pools = "{prefill: {tp: 2, replicas: 2}, decode: {tp: 4, replicas: 2}}";
  expect_error(error_of(disaggregated(pools) + "    replicas: 3\n"),
               {"workloads[0].replicas", "together with disaggregation", "per pool"});
  expect_error(error_of(disaggregated(pools) + "    parallelism: {tp: 2}\n"),
               {"workloads[0].parallelism", "together with disaggregation"});
  expect_error(error_of(disaggregated("{prefill: {tp: 3}, decode: {tp: 4}}")),
               {"workloads[0].disaggregation.prefill.tp", "does not divide the 8 GPUs"});
  expect_error(error_of(disaggregated("{prefill: {tp: 8, replicas: 2, servers: 1}, decode: {}}")),
               {"workloads[0].disaggregation.prefill.servers", "do not hold 2 replicas of tp 8",
                "at least 2"});
  expect_error(
      error_of(disaggregated("{prefill: {tp: 8, replicas: 2}, decode: {tp: 8}}")),
      {"workloads[0].disaggregation.decode", "need 2 + 1 servers", "more than the service's 2"});
  expect_error(error_of(disaggregated("{prefill: {tp: 2}}")),
               {"workloads[0].disaggregation.decode", "missing"});
  expect_error(error_of(disaggregated("{prefill: {tp: 2, batch: 4}, decode: {}}")),
               {"workloads[0].disaggregation.prefill.batch"});
}

TEST(ServingScenario, ATraceFileIsReadWithItsErrorsAtFileLineAndColumn) {
  const std::string trace = test_temp_path("trace.csv");
  {
    std::ofstream out(trace);
    out << "arrival_s,input_tokens,output_tokens\n0.5,100,20\n1.25,300,40\n";
  }
  const std::string with_trace = replaced(
      "pattern: poisson\n      rate: 5\n      input_tokens: 1000\n      output_tokens: "
      "{distribution: normal, mean: 200, stddev: 50, min: 10, max: 400}",
      "pattern: trace\n      file: " + trace);
  const Scenario s = parse(with_trace);
  ASSERT_EQ(s.services[0].traffic.trace.size(), 2u);
  EXPECT_DOUBLE_EQ(s.services[0].traffic.trace[1].arrival_s, 1.25);
  EXPECT_EQ(s.services[0].traffic.trace[1].input_tokens, 300);
  const auto requests = generate_requests(s.services[0].traffic, 1.0, 1);
  ASSERT_EQ(requests.size(), 1u) << "only arrivals before the duration";
  {
    std::ofstream out(trace);
    out << "arrival_s,input_tokens,output_tokens\n0.5,100,20\n0.25,300,x\n";
  }
  expect_error(error_of(with_trace), {trace + ":3:1", "arrival_s", "earlier than the row before"});
  {
    std::ofstream out(trace);
    out << "arrival_s,input_tokens,output_tokens\n0.5,100,20\n1,300,0\n";
  }
  expect_error(error_of(with_trace), {trace + ":3:3", "output_tokens", "whole number >= 1"});
  std::filesystem::remove(trace);
  expect_error(error_of(with_trace), {trace, "cannot open"});
}

TEST(ServingScenario, PipelineStagesSendOverNvlinkInsideAServerAndTheFabricAcross) {
  // tp 4 x pp 2 = 8 GPUs: both stages in one DGX H100, the send over NVLink at the catalog's
  // scale-up bandwidth x its NCCL efficiency. Replicas count tp x pp GPUs: 16 / 8 = 2.
  Scenario s = parse(replaced("{tp: 2}", "{tp: 4, pp: 2}"));
  const InferenceService& v = s.services[0];
  EXPECT_EQ(v.pp, 2);
  EXPECT_EQ(v.autoscaler.max_replicas, 2) << "16 GPUs / (tp 4 x pp 2)";
  const ClusterConfig& c = s.clusters[0];
  ClusterPlan cluster = plan_cluster(c, s.economics);
  const ServicePlan inside = plan_service(v, c, cluster);
  ASSERT_EQ(inside.instance.pp_links.size(), 1u);
  EXPECT_DOUBLE_EQ(inside.instance.pp_links[0].bandwidth_Bps,
                   c.gpu.scaleup_bandwidth_Bps * c.gpu.scaleup_collective_efficiency);
  // The cache: every stage holds 40 layers, so each GPU stores half the KV bytes per token of
  // pp 1 and about half the weights: more than twice pp 1's tokens per replica.
  Scenario flat = parse(replaced("{tp: 2}", "{tp: 4}"));
  const ServicePlan one = plan_service(flat.services[0], c, cluster);
  EXPECT_DOUBLE_EQ(inside.kv.kv_bytes_per_token, one.kv.kv_bytes_per_token / 2);
  EXPECT_GT(inside.kv.kv_tokens, 2 * one.kv.kv_tokens);
  EXPECT_EQ(stream_kv_blocks(inside), inside.kv.kv_blocks / 2);

  // tp 8 x pp 2: stage 1 on the second server, the send through each GPU's NIC (ConnectX-7,
  // 400 Gb/s = 50 GB/s x its NCCL efficiency) and the switch.
  Scenario across =
      parse(replaced("{tp: 2}", "{tp: 8, pp: 2}"), {{"workloads[0].autoscaler.min_replicas", "1"}});
  const ServicePlan spread = plan_service(across.services[0], c, cluster);
  ASSERT_EQ(spread.instance.pp_links.size(), 1u);
  EXPECT_DOUBLE_EQ(spread.instance.pp_links[0].bandwidth_Bps,
                   c.nic.bandwidth_Bps * c.nic.collective_efficiency);
  EXPECT_GT(spread.instance.pp_links[0].latency_s, inside.instance.pp_links[0].latency_s);
}

TEST(ServingScenario, ARequestLongerThanTheCacheIsRefusedWhenPlanned) {
  // Llama 3.1 70B bf16 on TP2 H100: 70.6 GB of weights and ~2.2 GB of workspace per 80 GB GPU
  // leave 0.9 x ~7 GB of cache at 2 x 80 layers x 4 KV heads x 128 x 2 bytes = 160 KiB per token:
  // about 40,000 tokens, short of a 120,000 + 10,000 token request.
  Scenario s = parse(replaced("precision: fp8", "precision: bf16"),
                     {{"workloads[0].traffic.input_tokens", "120000"},
                      {"workloads[0].traffic.output_tokens", "10000"}});
  ClusterPlan cluster = plan_cluster(s.clusters[0], s.economics);
  try {
    plan_service(s.services[0], s.clusters[0], cluster);
    FAIL() << "no error";
  } catch (const ConfigurationError& error) {
    expect_error(error.what(), {"service 'chat'", "KV blocks but a replica's cache holds"});
  }
}

}  // namespace
}  // namespace capsim
