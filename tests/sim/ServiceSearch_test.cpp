// search_service() (sim/ServiceSearch.hpp) on a service whose answer follows from the closed-form
// capacity: with a loose latency limit every stable replica count meets the SLO, so the cheapest
// is the smallest stable one, ceil(rate / one replica's capacity); a limit no hardware can meet;
// and bad input. Each simulation runs in a child process.
#include "capsim/sim/ServiceSearch.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/ServicePlan.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim::test {
namespace {

// `rate` requests/s of 8B FP8 on H100; `extra` is appended to the service (search, slo).
std::string scenario_text(double rate, const std::string& slo, const std::string& search) {
  return R"(
name: search-test
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
    traffic:
      pattern: poisson
      rate: )" +
         std::to_string(rate) +
         R"(
      input_tokens: {distribution: uniform, min: 200, max: 600}
      output_tokens: {distribution: uniform, min: 50, max: 150}
    slo: )" +
         slo +
         R"(
    search: )" +
         search +
         R"(
    duration: 1min
economics: {ownership: rent}
run: {seed: 3}
)";
}

// One replica's requests per second by the closed form (ServicePlan.hpp), tp 1.
double replica_capacity() {
  const Scenario s =
      parse_scenario(scenario_text(1, "{ttft_p99: 10min}", "{tp: [1]}"), "<t>", shipped_catalog());
  const ClusterPlan cluster = plan_cluster(s.clusters[0], s.economics);
  return plan_service(s.services[0], s.clusters[0], cluster).replica_requests_per_s;
}

TEST(ServiceSearch, TheCheapestIsTheSmallestStableReplicaCountUnderALooseLimit) {
  // Rate 2.5 x capacity: 1 and 2 replicas cannot keep up (the estimate prunes them: they are
  // never simulated); 3 run at 83% of capacity and finish every request well inside a 10-minute
  // TTFT limit. Rented at the catalog's H100 rate, tp 1: 3 GPU-hours per hour, the cheapest;
  // tp 2 needs ceil(2.5 c / c2) replicas of 2 GPUs: 4 GPUs or more unless one tp-2 replica
  // served 2.5 x what a tp-1 one does, which its closed-form capacity c2 rules out.
  const double c = replica_capacity();
  ASSERT_GT(c, 1);
  const Scenario s = parse_scenario(scenario_text(2.5 * c, "{ttft_p99: 10min}", "{tp: [1, 2]}"),
                                    "<t>", shipped_catalog());
  const ServingSearchResult r = search_service(s, s.services[0]);
  ASSERT_EQ(r.ranked.size(), 2u);
  const ServingCandidate& best = r.ranked[0];
  EXPECT_TRUE(r.rented);
  EXPECT_EQ(best.server, "dgx-h100");
  EXPECT_EQ(best.tp, 1);
  EXPECT_EQ(best.replicas_for_peak, 3);
  EXPECT_EQ(best.replicas, 3);
  EXPECT_TRUE(best.meets_slo);
  EXPECT_EQ(best.simulations, 1) << "the first stable count already meets the limit";
  EXPECT_EQ(best.stats.unfinished, 0);
  ASSERT_TRUE(best.rented_usd_per_h.has_value());
  const ServingCandidate& tp2 = r.ranked[1];
  EXPECT_EQ(tp2.tp, 2);
  EXPECT_LT(tp2.replica_requests_per_s, 2.5 * c);
  EXPECT_TRUE(tp2.meets_slo);
  EXPECT_EQ(tp2.replicas, static_cast<int>(std::ceil(2.5 * c / tp2.replica_requests_per_s)));
  // Rental per hour is GPU-hours x the rate: 3 GPUs for the best.
  EXPECT_DOUBLE_EQ(*best.rented_usd_per_h / 3, *tp2.rented_usd_per_h / (tp2.replicas * 2));
  EXPECT_LT(*best.usd_per_h, *tp2.usd_per_h);
  EXPECT_EQ(r.simulations, best.simulations + tp2.simulations);
}

TEST(ServiceSearch, ALimitBelowAnyDecodeStepIsMetByNoReplicaCount) {
  // TPOT p99 of 0.1 ms is below one decode iteration of an 8B model on any GPU (its weights
  // alone take ~2.5 ms to read at 3.35 TB/s): the search grows to max_replicas (4: counts
  // 1, 2, 4 at rate 0.5 c) and reports the largest tried as not meeting it.
  const double c = replica_capacity();
  const Scenario s =
      parse_scenario(scenario_text(0.5 * c, "{tpot_p99: 0.1ms}", "{tp: [1], max_replicas: 4}"),
                     "<t>", shipped_catalog());
  const ServingSearchResult r = search_service(s, s.services[0]);
  ASSERT_EQ(r.ranked.size(), 1u);
  EXPECT_FALSE(r.ranked[0].meets_slo);
  EXPECT_EQ(r.ranked[0].replicas, 4);
  EXPECT_EQ(r.simulations, 3);
  EXPECT_GT(r.ranked[0].stats.tpot.p99_s, 0.1e-3);
}

TEST(ServiceSearch, AModelNoServerHoldsGetsPipelineStagesAcrossServers) {
  // Llama 3.1 405B in bf16: 810 GB of weights, over 80 GB per GPU at tp 8 (101 GB), so tp 8 x
  // pp 1 is refused and, by default, the search tries pp 2 at the domain's tp 8: 16 GPUs, two
  // DGX H100s per replica, the stages' sends over the fabric. Rented: replicas x 16 GPU-hours.
  std::string text = scenario_text(0.2, "{ttft_p99: 10min}", "{tp: [8], max_replicas: 2}");
  const auto at = text.find("model: llama-3.1-8b\n    precision: fp8");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 38, "model: llama-3.1-405b\n    precision: bf16");
  const Scenario s = parse_scenario(text, "<t>", shipped_catalog());
  const ServingSearchResult r = search_service(s, s.services[0]);
  ASSERT_EQ(r.ranked.size(), 1u);
  const ServingCandidate& c = r.ranked[0];
  EXPECT_EQ(c.tp, 8);
  EXPECT_EQ(c.pp, 2);
  EXPECT_TRUE(c.meets_slo);
  EXPECT_EQ(c.servers, 2 * c.replicas);
  const double rate = s.services[0].search.hardware.at(0).rental_usd_per_gpu_hour;
  ASSERT_GT(rate, 0);
  EXPECT_DOUBLE_EQ(*c.rented_usd_per_h, c.replicas * 16 * rate);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].pp, 1);
  EXPECT_NE(r.skipped[0].reason.find("weights and workspace need"), std::string::npos)
      << r.skipped[0].reason;
}

TEST(ServiceSearch, BadSearchKeysAndAMissingSloAreRefused) {
  EXPECT_THROW(parse_scenario(scenario_text(1, "{ttft_p99: 1s}", "{servers: [no-such-server]}"),
                              "<t>", shipped_catalog()),
               InputError);
  EXPECT_THROW(
      parse_scenario(scenario_text(1, "{ttft_p99: 1s}", "{tp: [two]}"), "<t>", shipped_catalog()),
      InputError);
  EXPECT_THROW(
      parse_scenario(scenario_text(1, "{ttft_p99: 1s}", "{pp: [0]}"), "<t>", shipped_catalog()),
      InputError);
  EXPECT_THROW(parse_scenario(scenario_text(1, "{ttft_p99: 1s}", "{max_replicas: 0}"), "<t>",
                              shipped_catalog()),
               InputError);
  EXPECT_THROW(
      parse_scenario(scenario_text(1, "{ttft_p99: 1s}", "{replicas: 3}"), "<t>", shipped_catalog()),
      InputError);
  const Scenario no_slo =
      parse_scenario(scenario_text(1, "{}", "{tp: [1]}"), "<t>", shipped_catalog());
  EXPECT_THROW(search_service(no_slo, no_slo.services[0]), ConfigurationError);
}

}  // namespace
}  // namespace capsim::test
