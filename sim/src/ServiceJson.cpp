#include "ServiceJson.hpp"

namespace capsim::sim_detail {
namespace {

LatencyStats latency_from_json(const nlohmann::json& j) {
  LatencyStats s;
  s.count = j.at("count").get<long long>();
  s.mean_s = j.at("mean_s").get<double>();
  s.p50_s = j.at("p50_s").get<double>();
  s.p90_s = j.at("p90_s").get<double>();
  s.p99_s = j.at("p99_s").get<double>();
  s.max_s = j.at("max_s").get<double>();
  return s;
}

}  // namespace

nlohmann::json latency_json(const LatencyStats& s) {
  return {{"count", s.count}, {"mean_s", s.mean_s}, {"p50_s", s.p50_s},
          {"p90_s", s.p90_s}, {"p99_s", s.p99_s},   {"max_s", s.max_s}};
}

nlohmann::json stats_json(const ServiceStats& s) {
  nlohmann::json replicas = nlohmann::json::array();
  for (const ReplicaSample& r : s.replicas_over_time) {
    replicas.push_back({{"time_s", r.time_s},
                        {"active", r.active},
                        {"starting", r.starting},
                        {"draining", r.draining}});
  }
  return {{"requests", s.requests},
          {"completed", s.completed},
          {"unfinished", s.unfinished},
          {"duration_s", s.duration_s},
          {"end_s", s.end_s},
          {"ttft", latency_json(s.ttft)},
          {"tpot", latency_json(s.tpot)},
          {"e2e", latency_json(s.e2e)},
          {"queue", latency_json(s.queue)},
          {"good_requests", s.good_requests},
          {"goodput_fraction", s.goodput_fraction},
          {"requests_per_s", s.requests_per_s},
          {"output_tokens_per_s", s.output_tokens_per_s},
          {"input_tokens", s.input_tokens},
          {"output_tokens", s.output_tokens},
          {"gpu_utilization", s.gpu_utilization},
          {"kv_utilization", s.kv_utilization},
          {"preemptions", s.preemptions},
          {"prefix_hit_rate", s.prefix_hit_rate},
          {"prefill_tokens_saved", s.prefill_tokens_saved},
          {"prefix_evictions", s.prefix_evictions},
          {"iterations", s.iterations},
          {"mixed_iterations", s.mixed_iterations},
          {"kv_transfer_bytes", s.kv_transfer_bytes},
          {"replica_seconds", s.replica_seconds},
          {"gpu_seconds", s.gpu_seconds},
          {"peak_replicas", s.peak_replicas},
          {"replicas_over_time", replicas}};
}

ServiceStats stats_from_json(const nlohmann::json& j) {
  ServiceStats s;
  s.requests = j.at("requests").get<long long>();
  s.completed = j.at("completed").get<long long>();
  s.unfinished = j.at("unfinished").get<long long>();
  s.duration_s = j.at("duration_s").get<double>();
  s.end_s = j.at("end_s").get<double>();
  s.ttft = latency_from_json(j.at("ttft"));
  s.tpot = latency_from_json(j.at("tpot"));
  s.e2e = latency_from_json(j.at("e2e"));
  s.queue = latency_from_json(j.at("queue"));
  s.good_requests = j.at("good_requests").get<long long>();
  s.goodput_fraction = j.at("goodput_fraction").get<double>();
  s.requests_per_s = j.at("requests_per_s").get<double>();
  s.output_tokens_per_s = j.at("output_tokens_per_s").get<double>();
  s.input_tokens = j.at("input_tokens").get<double>();
  s.output_tokens = j.at("output_tokens").get<double>();
  s.gpu_utilization = j.at("gpu_utilization").get<double>();
  s.kv_utilization = j.at("kv_utilization").get<double>();
  s.preemptions = j.at("preemptions").get<long long>();
  s.prefix_hit_rate = j.at("prefix_hit_rate").get<double>();
  s.prefill_tokens_saved = j.at("prefill_tokens_saved").get<double>();
  s.prefix_evictions = j.at("prefix_evictions").get<long long>();
  s.iterations = j.at("iterations").get<long long>();
  s.mixed_iterations = j.at("mixed_iterations").get<long long>();
  s.kv_transfer_bytes = j.at("kv_transfer_bytes").get<double>();
  s.replica_seconds = j.at("replica_seconds").get<double>();
  s.gpu_seconds = j.at("gpu_seconds").get<double>();
  s.peak_replicas = j.at("peak_replicas").get<int>();
  for (const auto& r : j.at("replicas_over_time")) {
    s.replicas_over_time.push_back({r.at("time_s").get<double>(), r.at("active").get<int>(),
                                    r.at("starting").get<int>(), r.at("draining").get<int>()});
  }
  return s;
}

}  // namespace capsim::sim_detail
