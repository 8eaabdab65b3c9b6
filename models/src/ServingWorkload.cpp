#include "capsim/models/ServingWorkload.hpp"

#include <algorithm>
#include <cmath>

namespace capsim {

double TrafficConfig::peak_rate_per_s() const {
  switch (pattern) {
    case ArrivalPattern::Bursty:
      return std::max(rate_per_s, burst_rate_per_s);
    case ArrivalPattern::Daily:
      return hourly_rates_per_s.empty()
                 ? 0
                 : *std::max_element(hourly_rates_per_s.begin(), hourly_rates_per_s.end());
    case ArrivalPattern::Trace:
      return trace.empty() || !(trace.back().arrival_s > 0)
                 ? 0
                 : static_cast<double>(trace.size()) / trace.back().arrival_s;
    default:
      return rate_per_s;
  }
}

double TrafficConfig::mean_rate_per_s(double duration_s) const {
  switch (pattern) {
    case ArrivalPattern::Bursty: {
      // Long-run share of time in bursts: duration / (interval + duration).
      const double burst_share = burst_duration_s / (burst_interval_s + burst_duration_s);
      return rate_per_s * (1 - burst_share) + burst_rate_per_s * burst_share;
    }
    case ArrivalPattern::Daily: {
      if (hourly_rates_per_s.empty() || !(duration_s > 0)) return 0;
      // The profile's rates integrated over [0, duration), hour by hour.
      double requests = 0, t = 0;
      while (t < duration_s) {
        const double hours = start_hour + t / 3600.0;
        const double hour = std::floor(hours);
        const double until = std::min(duration_s, (hour + 1 - start_hour) * 3600.0);
        requests +=
            hourly_rates_per_s[static_cast<std::size_t>(std::fmod(hour, 24.0))] * (until - t);
        t = until;
      }
      return requests / duration_s;
    }
    case ArrivalPattern::Trace:
      return peak_rate_per_s();
    default:
      return rate_per_s;
  }
}

const char* arrival_pattern_name(ArrivalPattern pattern) {
  switch (pattern) {
    case ArrivalPattern::Poisson:
      return "poisson";
    case ArrivalPattern::Bursty:
      return "bursty";
    case ArrivalPattern::Daily:
      return "daily";
    case ArrivalPattern::Trace:
      return "trace";
  }
  return "unknown";
}

const char* router_policy_name(RouterPolicy policy) {
  return policy == RouterPolicy::RoundRobin ? "round-robin" : "least-outstanding";
}

const char* kv_policy_name(KvPolicy policy) {
  return policy == KvPolicy::MaxUtilization ? "max-utilization" : "guaranteed-no-evict";
}

const char* scaling_metric_name(ScalingMetric metric) {
  switch (metric) {
    case ScalingMetric::Queue:
      return "queue";
    case ScalingMetric::Utilization:
      return "utilization";
    case ScalingMetric::Concurrency:
      break;
  }
  return "concurrency";
}

}  // namespace capsim
