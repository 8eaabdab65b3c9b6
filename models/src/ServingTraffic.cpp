#include "capsim/models/ServingTraffic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// A uniform double in [0, 1) from the top 53 bits of one draw.
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double exponential(std::mt19937_64& rng, double rate_per_s) {
  return -std::log(1.0 - uniform(rng)) / rate_per_s;
}

// The rate at time t and when it next changes.
struct RateSpell {
  double rate_per_s = 0;
  double until_s = 0;
};

class RateSchedule {
 public:
  RateSchedule(const TrafficConfig& traffic, std::mt19937_64& rng) : traffic_(traffic), rng_(rng) {
    if (traffic.pattern == ArrivalPattern::Bursty) {
      bursting_ = false;
      switch_s_ = exponential(rng_, 1.0 / traffic.burst_interval_s);
    }
  }

  RateSpell at(double t) {
    switch (traffic_.pattern) {
      case ArrivalPattern::Daily: {
        const double hours = traffic_.start_hour + t / 3600.0;
        const double hour = std::floor(hours);
        const int index = static_cast<int>(std::fmod(hour, 24.0));
        const double until = (hour + 1 - traffic_.start_hour) * 3600.0;
        return {traffic_.hourly_rates_per_s[static_cast<std::size_t>(index)],
                std::max(until, std::nextafter(t, INFINITY))};
      }
      case ArrivalPattern::Bursty:
        while (t >= switch_s_) {
          bursting_ = !bursting_;
          const double mean_s = bursting_ ? traffic_.burst_duration_s : traffic_.burst_interval_s;
          switch_s_ += exponential(rng_, 1.0 / mean_s);
        }
        return {bursting_ ? traffic_.burst_rate_per_s : traffic_.rate_per_s, switch_s_};
      default:
        return {traffic_.rate_per_s, INFINITY};
    }
  }

 private:
  const TrafficConfig& traffic_;
  std::mt19937_64& rng_;
  bool bursting_ = false;
  double switch_s_ = 0;
};

[[noreturn]] void fail(const std::string& message) {
  throw ConfigurationError(std::string("traffic: ").append(message));
}

double standard_normal(double u1, double u2) {
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace

int draw_length(const LengthDistribution& d, double u1, double u2) {
  double value = d.mean;
  if (d.kind == "uniform") {
    value = d.min + std::floor(u1 * (d.max - d.min + 1));
  } else if (d.kind == "normal") {
    value = d.mean + d.stddev * standard_normal(u1, u2);
  } else if (d.kind == "lognormal") {
    // Parameters of the underlying normal from the lognormal's mean m and deviation s.
    const double sigma2 = std::log(1.0 + d.stddev * d.stddev / (d.mean * d.mean));
    const double mu = std::log(d.mean) - sigma2 / 2;
    value = std::exp(mu + std::sqrt(sigma2) * standard_normal(u1, u2));
  }
  const double rounded = std::round(value);
  return static_cast<int>(
      std::clamp(rounded, static_cast<double>(d.min), static_cast<double>(d.max)));
}

double mean_length(const LengthDistribution& d) {
  if (d.kind == "fixed") return draw_length(d, 0, 0);
  if (d.kind == "uniform") return (d.min + d.max) / 2.0;
  // Midpoint rule over a grid of both uniforms: the clamped, rounded draw's mean to ~1e-4.
  constexpr int kGrid = 400;
  double sum = 0;
  for (int i = 0; i < kGrid; ++i) {
    for (int j = 0; j < kGrid / 4; ++j) {
      sum += draw_length(d, (i + 0.5) / kGrid, (j + 0.5) / (kGrid / 4));
    }
  }
  return sum / (kGrid * (kGrid / 4));
}

std::vector<ServingRequest> generate_requests(const TrafficConfig& traffic, double duration_s,
                                              std::uint64_t seed) {
  std::vector<ServingRequest> requests;
  if (traffic.pattern == ArrivalPattern::Trace) {
    for (const TraceRequest& row : traffic.trace) {
      if (row.arrival_s >= duration_s) break;
      requests.push_back({row.arrival_s, row.input_tokens, row.output_tokens});
    }
    return requests;
  }
  if (!(duration_s > 0)) fail("the duration must be positive");
  for (const LengthDistribution* d : {&traffic.input_tokens, &traffic.output_tokens}) {
    if (d->max < d->min || d->min < 1) fail("a length distribution needs 1 <= min <= max");
  }
  std::mt19937_64 rng(seed);
  RateSchedule schedule(traffic, rng);
  double t = 0;
  requests.reserve(
      static_cast<std::size_t>(traffic.mean_rate_per_s(duration_s) * duration_s * 1.05) + 16);
  while (t < duration_s) {
    const RateSpell spell = schedule.at(t);
    if (!(spell.rate_per_s >= 0) || !std::isfinite(spell.rate_per_s)) fail("a rate is not >= 0");
    if (spell.rate_per_s == 0) {
      t = spell.until_s;
      continue;
    }
    const double next = t + exponential(rng, spell.rate_per_s);
    if (next >= spell.until_s) {  // the rate changes first: draw again from there
      t = spell.until_s;
      continue;
    }
    t = next;
    if (t >= duration_s) break;
    ServingRequest request;
    request.arrival_s = t;
    const double a = uniform(rng), b = uniform(rng), c = uniform(rng), d = uniform(rng);
    request.input_tokens = draw_length(traffic.input_tokens, a, b);
    request.output_tokens = draw_length(traffic.output_tokens, c, d);
    requests.push_back(request);
  }
  return requests;
}

void assign_prefixes(std::vector<ServingRequest>& requests, const PrefixCacheConfig& config,
                     std::uint64_t seed) {
  if (!config.enabled) return;
  // A stream of its own (seed mixed with a fixed odd constant), so that switching prefix caching
  // on changes no arrival or length.
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  for (ServingRequest& r : requests) {
    const auto drawn = static_cast<int>(uniform(rng) * config.prefixes);
    r.prefix = std::min(drawn, config.prefixes - 1);
  }
}

}  // namespace capsim
