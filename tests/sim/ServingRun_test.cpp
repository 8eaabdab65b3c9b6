// Inference services through run(): the same scenario and seed give the same report bit for bit,
// another seed other requests; SLOs decide the targets; the estimate's capacity without a
// simulation. Simulations run in child processes, so one test process may run several.
#include <gtest/gtest.h>

#include <sstream>

#include "ShippedCatalog.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/sim/Report.hpp"
#include "capsim/sim/Run.hpp"

namespace capsim::test {
namespace {

const char* kScenario = R"(
name: serving-test
infrastructure:
  clusters:
    - name: c
      server: dgx-h100
      count: 1
      fabric: {template: single-switch, switch: quantum-2-qm9700}
workloads:
  - name: chat
    kind: inference
    model: llama-3.1-8b
    precision: fp8
    replicas: 2
    traffic:
      pattern: bursty
      rate: 10
      burst_rate: 40
      burst_interval: 60s
      burst_duration: 20s
      input_tokens: {distribution: lognormal, mean: 800, stddev: 400, max: 4000}
      output_tokens: {distribution: uniform, min: 50, max: 300}
    slo: {ttft_p99: 2s, tpot_p50: 1ms, goodput: 50%}
    duration: 2min
run: {fidelity: simulate}
)";

std::string json_of(const Result& result) {
  std::ostringstream out;
  write_json_report(result, out);
  return out.str();
}

TEST(ServingRun, SameSeedSameReportBitForBitAnotherSeedOtherRequests) {
  const Scenario scenario = parse_scenario(kScenario, "<text>", shipped_catalog());
  const Result a = run(scenario);
  const Result b = run(scenario);
  ASSERT_EQ(a.service_outcomes.size(), 1u);
  ASSERT_TRUE(a.service_outcomes[0].simulated) << a.service_outcomes[0].reason;
  EXPECT_GT(a.service_outcomes[0].stats.completed, 1000);
  EXPECT_EQ(json_of(a), json_of(b));
  RunOptions other;
  other.seed = 2;
  const Result c = run(scenario, other);
  EXPECT_NE(c.service_outcomes[0].stats.requests, a.service_outcomes[0].stats.requests);
}

TEST(ServingRun, TheSloDecidesTheTargets) {
  // tpot_p50 of 1 ms cannot be met (an 8B decode step on an H100 takes several ms); TTFT p99
  // 2 s at this load can; goodput counts requests within both limits: none.
  const Result r = run(parse_scenario(kScenario, "<text>", shipped_catalog()));
  ASSERT_EQ(r.targets.size(), 3u);
  EXPECT_EQ(r.targets[0].name, "ttft_p99");
  EXPECT_TRUE(r.targets[0].met) << r.targets[0].value;
  EXPECT_EQ(r.targets[1].name, "tpot_p50");
  EXPECT_FALSE(r.targets[1].met);
  EXPECT_EQ(r.targets[2].name, "goodput");
  EXPECT_EQ(r.targets[2].value, 0);
  EXPECT_FALSE(r.targets_met());
  const ServiceStats& s = r.service_outcomes[0].stats;
  EXPECT_EQ(r.targets[0].value, s.ttft.p99_s);
  EXPECT_LE(s.ttft.p50_s, s.ttft.p90_s);
  EXPECT_LE(s.ttft.p90_s, s.ttft.p99_s);
  EXPECT_EQ(s.completed + s.unfinished, s.requests);
  // Rented at the newest on-demand H100 rate: replica-hours x tp x rate.
  ASSERT_TRUE(r.service_outcomes[0].rented_usd);
  const double rate = r.clusters[0].cost.rental_usd_per_h.value() / r.clusters[0].gpus;
  EXPECT_NEAR(*r.service_outcomes[0].rented_usd, s.replica_seconds / 3600 * 1 * rate, 1e-9);
  EXPECT_NEAR(s.replica_seconds, 2 * s.end_s, 1e-9) << "two replicas alive throughout";
}

TEST(ServingRun, TheEstimateGivesCapacityAndNoLatencies) {
  const Scenario scenario = parse_scenario(kScenario, "<text>", shipped_catalog());
  RunOptions options;
  options.fidelity = "estimate";
  const Result r = run(scenario, options);
  EXPECT_TRUE(r.service_outcomes.empty());
  EXPECT_TRUE(r.targets.empty()) << "latency targets need the simulation";
  ASSERT_EQ(r.service_plans.size(), 1u);
  const ServicePlan& p = r.service_plans[0];
  EXPECT_GT(p.replica_requests_per_s, 0);
  EXPECT_EQ(p.peak_rate_per_s, 40);
  // Mean rate of the two-state process: 10 x 60 / 80 + 40 x 20 / 80 = 17.5 req/s.
  EXPECT_DOUBLE_EQ(p.mean_rate_per_s, 17.5);
  EXPECT_EQ(p.replicas_for_peak, static_cast<int>(std::ceil(40 / p.replica_requests_per_s)));
}

TEST(ServingRun, PrefixCachingReusesPromptsOfTheSameTrafficAndIsReported) {
  // The scenario above with a 512-token system prompt, one of 4, on every request. The arrivals
  // and lengths stay those of the run without caching (prefixes come from a stream of their
  // own); each admission reuses at most 512 tokens (32 whole blocks), so the tokens saved are at
  // most 512 x (requests + preemptions), and the prefill saved shortens the mean TTFT. The
  // estimate's capacity counts the prefill saved too.
  const Scenario plain = parse_scenario(kScenario, "<text>", shipped_catalog());
  std::string text = kScenario;
  const std::string at = "    duration: 2min\n";
  text.replace(text.find(at), at.size(),
               at + "    prefix_cache: {enabled: true, shared_prefix_tokens: 512, prefixes: 4}\n");
  const Scenario cached = parse_scenario(text, "<text>", shipped_catalog());
  const Result a = run(plain);
  const Result b = run(cached);
  ASSERT_TRUE(b.service_outcomes.at(0).simulated) << b.service_outcomes[0].reason;
  const ServiceStats& sa = a.service_outcomes[0].stats;
  const ServiceStats& sb = b.service_outcomes[0].stats;
  EXPECT_EQ(sb.requests, sa.requests);
  EXPECT_EQ(sa.prefix_hit_rate, 0);
  EXPECT_GT(sb.prefix_hit_rate, 0);
  EXPECT_GT(sb.prefill_tokens_saved, 0);
  EXPECT_LE(sb.prefill_tokens_saved, 512.0 * static_cast<double>(sb.requests + sb.preemptions));
  EXPECT_LT(sb.ttft.mean_s, sa.ttft.mean_s);
  EXPECT_GT(b.service_plans[0].replica_requests_per_s, a.service_plans[0].replica_requests_per_s);
  std::ostringstream summary, csv;
  write_markdown_report(b, summary);
  write_csv_table(b, "serving.csv", csv);
  EXPECT_NE(summary.str().find("prefix cache"), std::string::npos);
  EXPECT_NE(csv.str().find("prefix_hit_rate,prefill_tokens_saved"), std::string::npos);
  EXPECT_NE(json_of(b).find("\"prefix_hit_rate\""), std::string::npos);
}

}  // namespace
}  // namespace capsim::test
