// draw_slowdowns() and iteration_stats(): the seeded slowness model and its summary.
#include "capsim/sim/Variability.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// A uniform double in [0, 1) from the top 53 bits of one draw.
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// One standard normal from two uniforms (Box-Muller, cosine branch); 1 - u keeps the log finite.
double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform(rng), u2 = uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

[[noreturn]] void fail(const std::string& message) {
  throw ConfigurationError(std::string("run.variability: ").append(message));
}

}  // namespace

SlowdownDraw draw_slowdowns(const VariabilityConfig& config, std::uint64_t seed, int cluster_index,
                            int servers, int gpus_per_server, int iterations) {
  if (config.slow_servers < 0 || config.slow_servers > servers)
    fail("slow_servers is " + std::to_string(config.slow_servers) + " but the cluster has " +
         std::to_string(servers) + " servers; expected 0 .. " + std::to_string(servers));
  if (!(config.gpu_jitter >= 0) || !std::isfinite(config.gpu_jitter))
    fail("gpu_jitter is " + std::to_string(config.gpu_jitter) + "; expected a fraction >= 0");
  if (!(config.slowdown >= 0) || !std::isfinite(config.slowdown))
    fail("slowdown is " + std::to_string(config.slowdown) + "; expected a fraction >= 0");
  if (iterations < 1) fail("iterations is " + std::to_string(iterations) + "; expected 1 or more");
  std::mt19937_64 rng(seed + static_cast<std::uint64_t>(cluster_index));
  SlowdownDraw draw;
  std::vector<int> order(servers);
  std::iota(order.begin(), order.end(), 0);
  for (int i = 0; i < config.slow_servers; ++i) {
    const int pick = i + static_cast<int>(uniform(rng) * (servers - i));
    std::swap(order[i], order[pick]);
    draw.slow_servers.push_back(order[i]);
  }
  std::sort(draw.slow_servers.begin(), draw.slow_servers.end());
  std::vector<bool> slow(servers, false);
  for (const int s : draw.slow_servers) slow[s] = true;
  const int gpus = servers * gpus_per_server;
  for (int it = 0; it < iterations; ++it) {
    std::vector<double> factors(gpus, 1.0);
    for (int g = 0; g < gpus; ++g) {
      const double jitter = config.gpu_jitter > 0 ? std::abs(standard_normal(rng)) : 0.0;
      factors[g] = (1.0 + jitter * config.gpu_jitter) *
                   (slow[g / gpus_per_server] ? 1.0 + config.slowdown : 1.0);
    }
    draw.gpu_factor.push_back(std::move(factors));
  }
  return draw;
}

IterationStats iteration_stats(std::vector<double> times_s) {
  IterationStats stats;
  if (times_s.empty()) return stats;
  std::sort(times_s.begin(), times_s.end());
  const std::size_t n = times_s.size();
  auto rank = [&](double p) {
    const auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return times_s[std::max<std::size_t>(k, 1) - 1];
  };
  stats.count = static_cast<int>(n);
  double sum = 0;
  for (const double t : times_s) sum += t;
  stats.mean_s = sum / static_cast<double>(n);
  stats.p50_s = rank(50);
  stats.p90_s = rank(90);
  stats.p99_s = rank(99);
  stats.min_s = times_s.front();
  stats.max_s = times_s.back();
  return stats;
}

}  // namespace capsim
