// The inference services in the reports: JSON (services[]), the Markdown section and the CSV
// tables serving.csv and replicas.csv.
#include "ServiceReports.hpp"

#include "ServiceJson.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim::sim_detail {
namespace {

using Json = nlohmann::json;

Json optional_json(const std::optional<double>& value) { return value ? Json(*value) : Json(); }

Json disaggregation_json(const InferenceService& s, const ServicePlan& p) {
  const Disaggregation& d = s.disaggregation;
  if (!d.enabled) return Json();
  return {{"prefill",
           {{"tp", d.prefill.tp},
            {"replicas", d.prefill.replicas},
            {"servers", d.prefill.servers},
            {"kv_tokens_per_replica", p.prefill_kv.kv_tokens},
            {"replica_requests_per_s", p.prefill_replica_requests_per_s},
            {"replicas_for_peak", p.prefill_replicas_for_peak}}},
          {"decode",
           {{"tp", d.decode.tp},
            {"replicas", d.decode.replicas},
            {"servers", d.decode.servers},
            {"kv_tokens_per_replica", p.kv.kv_tokens},
            {"replica_requests_per_s", p.replica_requests_per_s},
            {"replicas_for_peak", p.replicas_for_peak}}}};
}

Json service_json(const Result& result, std::size_t i) {
  const InferenceService& s = result.services[i];
  const ServicePlan& p = result.service_plans[i];
  Json slo = Json::object();
  for (const LatencySlo& limit : s.slo.latency) {
    slo[limit.measure + "_p" + std::to_string(limit.percentile) + "_s"] = limit.limit_s;
  }
  slo["goodput"] = optional_json(s.slo.goodput);
  Json json = {{"name", s.name},
               {"cluster", s.cluster},
               {"model", s.model.id},
               {"precision", inference_precision_name(s.precision)},
               {"tp", s.tp},
               {"pp", s.pp},
               {"servers", p.servers},
               {"gpus", p.gpus},
               {"replicas", s.replicas},
               {"router", router_policy_name(s.router)},
               {"duration_s", s.duration_s},
               {"engine",
                {{"max_batch_size", s.engine.max_batch_size},
                 {"max_num_tokens", s.engine.max_num_tokens},
                 {"kv_memory_fraction", s.engine.kv_memory_fraction},
                 {"tokens_per_block", s.engine.tokens_per_block},
                 {"chunked_prefill", s.engine.chunked_prefill},
                 {"kv_policy", kv_policy_name(s.engine.kv_policy)}}},
               {"traffic",
                {{"pattern", arrival_pattern_name(s.traffic.pattern)},
                 {"peak_rate_per_s", p.peak_rate_per_s},
                 {"mean_rate_per_s", p.mean_rate_per_s},
                 {"mean_input_tokens", p.mean_input_tokens},
                 {"mean_output_tokens", p.mean_output_tokens}}},
               {"autoscaler", s.autoscaler.enabled
                                  ? Json{{"metric", scaling_metric_name(s.autoscaler.metric)},
                                         {"target", s.autoscaler.target},
                                         {"min_replicas", s.autoscaler.min_replicas},
                                         {"max_replicas", s.autoscaler.max_replicas},
                                         {"startup_s", s.autoscaler.startup_s},
                                         {"interval_s", s.autoscaler.interval_s},
                                         {"scale_down_window_s", s.autoscaler.scale_down_window_s},
                                         {"tolerance", s.autoscaler.tolerance}}
                                  : Json()},
               {"slo", slo},
               {"disaggregation", disaggregation_json(s, p)},
               {"estimate",
                {{"weights_bytes_per_gpu", p.kv.weights_bytes},
                 {"kv_bytes_per_gpu", p.kv.kv_bytes},
                 {"kv_tokens_per_replica", p.kv.kv_tokens},
                 {"replica_output_tokens_per_s", p.replica_output_tokens_per_s},
                 {"replica_requests_per_s", p.replica_requests_per_s},
                 {"replicas_for_peak", p.replicas_for_peak},
                 {"owned_usd_per_gpu_hour", p.owned_usd_per_gpu_hour},
                 {"rented_usd_per_gpu_hour", optional_json(p.rented_usd_per_gpu_hour)}}},
               {"simulation", Json()}};
  if (i < result.service_outcomes.size()) {
    const ServiceOutcome& o = result.service_outcomes[i];
    if (!o.simulated) {
      json["simulation"] = {{"simulated", false}, {"reason", o.reason}};
    } else {
      Json sim = stats_json(o.stats);
      sim["simulated"] = true;
      sim["events"] = o.events;
      sim["hours"] = o.hours;
      sim["owned_usd"] = o.owned_usd;
      sim["rented_usd"] = optional_json(o.rented_usd);
      sim["owned_usd_per_hour"] = o.hours > 0 ? Json(o.owned_usd / o.hours) : Json();
      sim["rented_usd_per_hour"] =
          o.rented_usd && o.hours > 0 ? Json(*o.rented_usd / o.hours) : Json();
      sim["owned_usd_per_million_output_tokens"] = o.owned_usd_per_million_output_tokens;
      sim["rented_usd_per_million_output_tokens"] =
          optional_json(o.rented_usd_per_million_output_tokens);
      json["simulation"] = sim;
    }
  }
  return json;
}

}  // namespace

nlohmann::json services_json(const Result& result) {
  Json services = Json::array();
  for (std::size_t i = 0; i < result.services.size(); ++i)
    services.push_back(service_json(result, i));
  return services;
}

void write_services_markdown(const Result& result, std::ostream& out) {
  for (std::size_t i = 0; i < result.services.size(); ++i) {
    out << "## Service " << result.services[i].name << "\n\n| figure | value |\n|---|---|\n";
    for (const HeadlineRow& row : service_headline(result, i)) {
      out << "| " << row.label << " | " << row.value << " |\n";
    }
    out << "\nCapacity (estimate): the max-throughput engine at the mean lengths "
           "(docs/inference.md); latencies come from the request-level simulation (fidelity "
           "simulate) and are reported only there.\n\n";
  }
}

void write_serving_csv(const Result& result, std::ostream& out) {
  out << "service,requests,completed,unfinished,requests_per_s,output_tokens_per_s,"
         "ttft_p50_s,ttft_p90_s,ttft_p99_s,tpot_p50_s,tpot_p90_s,tpot_p99_s,e2e_p50_s,e2e_p90_s,"
         "e2e_p99_s,goodput_fraction,gpu_utilization,kv_utilization,preemptions,peak_replicas,"
         "replica_hours,owned_usd,owned_usd_per_hour,owned_usd_per_million_output_tokens,"
         "rented_usd,rented_usd_per_hour,rented_usd_per_million_output_tokens,"
         "replica_requests_per_s_estimate,prefix_hit_rate,prefill_tokens_saved\n";
  for (std::size_t i = 0; i < result.services.size(); ++i) {
    out << result.services[i].name;
    if (i >= result.service_outcomes.size() || !result.service_outcomes[i].simulated) {
      out << std::string(26, ',') << result.service_plans[i].replica_requests_per_s << ",,\n";
      continue;
    }
    const ServiceOutcome& o = result.service_outcomes[i];
    const ServiceStats& s = o.stats;
    out << "," << s.requests << "," << s.completed << "," << s.unfinished << "," << s.requests_per_s
        << "," << s.output_tokens_per_s;
    for (const LatencyStats* l : {&s.ttft, &s.tpot, &s.e2e})
      out << "," << l->p50_s << "," << l->p90_s << "," << l->p99_s;
    out << "," << s.goodput_fraction << "," << s.gpu_utilization << "," << s.kv_utilization << ","
        << s.preemptions << "," << s.peak_replicas << "," << s.replica_seconds / 3600 << ","
        << o.owned_usd << "," << o.owned_usd / o.hours << ","
        << o.owned_usd_per_million_output_tokens << ",";
    if (o.rented_usd)
      out << *o.rented_usd << "," << *o.rented_usd / o.hours << ","
          << *o.rented_usd_per_million_output_tokens;
    else
      out << ",,";
    out << "," << result.service_plans[i].replica_requests_per_s << "," << s.prefix_hit_rate << ","
        << s.prefill_tokens_saved << "\n";
  }
}

void write_replicas_csv(const Result& result, std::ostream& out) {
  out << "service,time_s,active,starting,draining\n";
  for (std::size_t i = 0; i < result.service_outcomes.size(); ++i) {
    for (const ReplicaSample& r : result.service_outcomes[i].stats.replicas_over_time) {
      out << result.services[i].name << "," << r.time_s << "," << r.active << "," << r.starting
          << "," << r.draining << "\n";
    }
  }
}

}  // namespace capsim::sim_detail
