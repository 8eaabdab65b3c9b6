// service_headline() and format_latency(): what the terminal and summary.md show of a service.
#include <cmath>
#include <cstdio>

#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {
namespace {

std::string number(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string percentiles(const LatencyStats& s) {
  if (s.count == 0) return "none";
  return format_latency(s.p50_s) + " / " + format_latency(s.p90_s) + " / " +
         format_latency(s.p99_s) + " (mean " + format_latency(s.mean_s) + ")";
}

std::string money(double usd) { return format_quantity(usd, Quantity::Money); }

}  // namespace

std::string format_latency(double seconds) {
  if (seconds < 1) return number(seconds * 1e3, "%.4g ms");
  if (seconds < 60) return number(seconds, "%.3g s");
  return format_duration(seconds);
}

std::vector<HeadlineRow> service_headline(const Result& result, std::size_t index) {
  const InferenceService& service = result.services.at(index);
  const ServicePlan& plan = result.service_plans.at(index);
  std::string cluster;
  for (const auto& config : result.cluster_configs) {
    if (config.name == service.cluster) {
      cluster = std::to_string(plan.servers) + " x " + config.server.id + " = " +
                std::to_string(plan.gpus) + " x " + config.gpu.id;
    }
  }
  std::string replicas = std::to_string(service.replicas) + " x TP" + std::to_string(service.tp);
  if (service.pp > 1) {
    replicas +=
        " PP" + std::to_string(service.pp) + " (" + std::to_string(service.pp) + " streams each)";
  }
  if (service.autoscaler.enabled) {
    replicas += ", autoscaled " + std::to_string(service.autoscaler.min_replicas) + ".." +
                std::to_string(service.autoscaler.max_replicas) + " on " +
                scaling_metric_name(service.autoscaler.metric);
  }
  const Disaggregation& d = service.disaggregation;
  if (d.enabled) {
    replicas = "prefill " + std::to_string(d.prefill.replicas) + " x TP" +
               std::to_string(d.prefill.tp) + " on " + std::to_string(d.prefill.servers) +
               " server(s), decode " + std::to_string(d.decode.replicas) + " x TP" +
               std::to_string(d.decode.tp) + " on " + std::to_string(d.decode.servers) +
               " (KV over the fabric)";
  }
  std::vector<HeadlineRow> rows = {
      {"service", service.name + " (inference of " + service.model.id + ", " +
                      inference_precision_name(service.precision) + ")"},
      {"cluster", cluster},
      {"replicas", replicas + ", router " + router_policy_name(service.router)},
      {"traffic", std::string(arrival_pattern_name(service.traffic.pattern)) + ", peak " +
                      number(plan.peak_rate_per_s, "%.4g") + " req/s, mean " +
                      number(plan.mean_rate_per_s, "%.4g") + " req/s over " +
                      format_duration(service.duration_s) + "; " +
                      number(plan.mean_input_tokens, "%.0f") + " in / " +
                      number(plan.mean_output_tokens, "%.0f") + " out tokens (mean)"},
      {"capacity (estimate)", number(plan.replica_requests_per_s, "%.4g") + " req/s per replica (" +
                                  number(plan.replica_output_tokens_per_s, "%.0f") +
                                  " output tok/s at max throughput); the peak needs >= " +
                                  std::to_string(plan.replicas_for_peak) + " replicas"},
      {"KV cache", number(static_cast<double>(plan.kv.kv_tokens), "%.0f") +
                       " tokens per replica (" +
                       format_quantity(plan.kv.kv_bytes, Quantity::Bytes) + " per GPU)"}};
  if (d.enabled) {
    rows[4].value = "decode " + number(plan.replica_requests_per_s, "%.4g") +
                    " req/s per replica (max throughput, prefill counted: a lower bound), " +
                    ">= " + std::to_string(plan.replicas_for_peak) + " replicas; prefill " +
                    number(plan.prefill_replica_requests_per_s, "%.4g") +
                    " req/s per replica, >= " + std::to_string(plan.prefill_replicas_for_peak) +
                    " replicas for the peak";
    rows[5].value += "; prefill " + number(static_cast<double>(plan.prefill_kv.kv_tokens), "%.0f") +
                     " tokens per replica";
  }
  if (index >= result.service_outcomes.size()) return rows;
  const ServiceOutcome& outcome = result.service_outcomes[index];
  if (!outcome.simulated) {
    rows.push_back({"simulation", "not simulated: " + outcome.reason});
    return rows;
  }
  const ServiceStats& s = outcome.stats;
  rows.push_back({"requests", std::to_string(s.requests) + " arrived, " +
                                  std::to_string(s.completed) + " completed, " +
                                  std::to_string(s.unfinished) + " unfinished"});
  rows.push_back({"throughput", number(s.requests_per_s, "%.4g") + " req/s, " +
                                    number(s.output_tokens_per_s, "%.0f") + " output tok/s"});
  rows.push_back({"TTFT p50/p90/p99", percentiles(s.ttft)});
  rows.push_back({"TPOT p50/p90/p99", percentiles(s.tpot)});
  rows.push_back({"end-to-end p50/p90/p99", percentiles(s.e2e)});
  rows.push_back({"goodput", format_quantity(s.goodput_fraction, Quantity::Fraction) +
                                 " of requests within every latency limit"});
  rows.push_back({"utilisation", "GPU " + format_quantity(s.gpu_utilization, Quantity::Fraction) +
                                     ", KV cache " +
                                     format_quantity(s.kv_utilization, Quantity::Fraction) + ", " +
                                     std::to_string(s.preemptions) + " preemptions"});
  rows.push_back({"replicas", "peak " + std::to_string(s.peak_replicas) + ", " +
                                  number(s.replica_seconds / 3600, "%.4g") + " replica-hours"});
  rows.push_back({"prefill interference",
                  std::to_string(s.mixed_iterations) + " of " + std::to_string(s.iterations) +
                      " iterations ran prompt chunks beside decode tokens"});
  if (service.engine.prefix_cache.enabled) {
    rows.push_back({"prefix cache", format_quantity(s.prefix_hit_rate, Quantity::Fraction) +
                                        " of prompt tokens reused, " +
                                        number(s.prefill_tokens_saved, "%.0f") +
                                        " prefill tokens saved, " +
                                        std::to_string(s.prefix_evictions) + " prefixes evicted"});
  }
  if (d.enabled) {
    rows.push_back({"KV transfers", format_quantity(s.kv_transfer_bytes, Quantity::Bytes) +
                                        " from prefill to decode replicas"});
  }
  rows.push_back({"cost if owned", money(outcome.owned_usd) + " (" +
                                       money(outcome.owned_usd / outcome.hours) + "/h, " +
                                       money(outcome.owned_usd_per_million_output_tokens) +
                                       " per million output tokens)"});
  rows.push_back({"cost if rented", outcome.rented_usd
                                        ? money(*outcome.rented_usd) + " (" +
                                              money(*outcome.rented_usd / outcome.hours) + "/h, " +
                                              money(*outcome.rented_usd_per_million_output_tokens) +
                                              " per million output tokens)"
                                        : std::string("no rental rate known for this GPU")});
  return rows;
}

}  // namespace capsim
