// ServiceStats of a simulated service: latency percentiles, goodput, utilisation and the
// replica time costs are priced on, from the request states and replica engines the actors left.
#include <algorithm>
#include <cmath>

#include "ServingWorld.hpp"

namespace capsim {
namespace sim_detail {
namespace {

bool within_slo(const RequestRecord& r, const ServiceSlo& slo) {
  for (const LatencySlo& limit : slo.latency) {
    double value = 0;
    if (limit.measure == "ttft") {
      value = r.first_token_s - r.arrival_s;
    } else if (limit.measure == "e2e") {
      value = r.finish_s - r.arrival_s;
    } else {
      if (r.output_tokens < 2) continue;
      value = (r.finish_s - r.first_token_s) / (r.output_tokens - 1);
    }
    if (value > limit.limit_s) return false;
  }
  return true;
}

}  // namespace

ServiceStats statistics(const ServiceRun& s, double end_s, bool keep) {
  const ServiceSetup& setup = *s.setup;
  ServiceStats st;
  st.name = setup.name;
  st.duration_s = setup.duration_s;
  st.end_s = end_s;
  st.requests = static_cast<long long>(s.requests.size());
  std::vector<double> ttft, tpot, e2e, queue;
  long long in_window = 0;
  for (std::size_t i = 0; i < s.requests.size(); ++i) {
    const RequestState& q = s.requests[i];
    RequestRecord r;
    r.arrival_s = q.arrival_s;
    r.first_scheduled_s = q.first_scheduled_s;
    r.first_token_s = q.first_token_s;
    r.finish_s = q.finish_s;
    r.input_tokens = q.input;
    r.output_tokens = q.output;
    r.preemptions = q.preemptions;
    r.replica = s.replica_of[i];
    if (keep) st.records.push_back(r);
    if (r.finish_s < 0) continue;
    ++st.completed;
    if (r.finish_s <= setup.duration_s) ++in_window;
    ttft.push_back(r.first_token_s - r.arrival_s);
    e2e.push_back(r.finish_s - r.arrival_s);
    queue.push_back(r.first_scheduled_s - r.arrival_s);
    if (r.output_tokens >= 2)
      tpot.push_back((r.finish_s - r.first_token_s) / (r.output_tokens - 1));
    st.input_tokens += r.input_tokens;
    st.output_tokens += r.output_tokens;
    if (within_slo(r, setup.slo)) ++st.good_requests;
  }
  st.unfinished = st.requests - st.completed;
  st.ttft = latency_stats(ttft);
  st.tpot = latency_stats(tpot);
  st.e2e = latency_stats(e2e);
  st.queue = latency_stats(queue);
  st.goodput_fraction =
      st.requests > 0 ? static_cast<double>(st.good_requests) / static_cast<double>(st.requests)
                      : 1;
  st.requests_per_s = static_cast<double>(in_window) / setup.duration_s;
  st.output_tokens_per_s = s.output_tokens_in_window / setup.duration_s;
  double busy = 0, alive = 0, kv = 0, kv_capacity = 0, prompt_tokens = 0;
  for (const auto& r : s.replicas) {
    const double until = r->stopped_s >= 0 ? r->stopped_s : end_s;
    const double lived = std::max(0.0, until - r->born_s);
    alive += lived;
    st.gpu_seconds += lived * r->gpus;
    st.mixed_iterations += r->sum(&ReplicaEngine::mixed_iterations);
    // A replica of pp streams is busy when its streams are, each for 1/pp of its time.
    busy += r->sum(&ReplicaEngine::busy_s) / static_cast<double>(r->streams.size());
    kv += r->sum(&ReplicaEngine::kv_block_s);
    kv_capacity += lived * static_cast<double>(r->kv_blocks());
    st.preemptions += r->sum(&ReplicaEngine::preemptions);
    prompt_tokens += r->sum(&ReplicaEngine::prompt_tokens);
    st.prefill_tokens_saved += r->sum(&ReplicaEngine::reused_tokens);
    for (const auto& stream : r->streams) st.prefix_evictions += stream.engine->prefix_evictions();
    st.iterations += r->sum(&ReplicaEngine::iterations);
  }
  st.replica_seconds = alive;
  st.prefix_hit_rate = prompt_tokens > 0 ? st.prefill_tokens_saved / prompt_tokens : 0;
  st.kv_transfer_bytes = s.kv_transfer_bytes;
  st.gpu_utilization = alive > 0 ? busy / alive : 0;
  st.kv_utilization = kv_capacity > 0 ? kv / kv_capacity : 0;
  st.peak_replicas = s.peak_alive;
  st.replicas_over_time = s.samples;
  return st;
}

}  // namespace sim_detail

LatencyStats latency_stats(std::vector<double>& values) {
  LatencyStats st;
  st.count = static_cast<long long>(values.size());
  if (values.empty()) return st;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (const double v : values) sum += v;
  st.mean_s = sum / static_cast<double>(values.size());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  auto rank = [&](double p) {
    const auto n = static_cast<double>(values.size());
    const auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(p / 100 * n))) - 1;
    return values[std::min(index, values.size() - 1)];
  };
  st.p50_s = rank(50);
  st.p90_s = rank(90);
  st.p99_s = rank(99);
  st.max_s = values.back();
  return st;
}

}  // namespace capsim
