// The seeded slowness model and the iteration-time summary, by hand and for determinism.
#include "capsim/sim/Variability.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>
#include <vector>

#include "capsim/models/Errors.hpp"

namespace capsim::test {
namespace {

VariabilityConfig config(double jitter, int slow_servers, double slowdown) {
  VariabilityConfig c;
  c.gpu_jitter = jitter;
  c.slow_servers = slow_servers;
  c.slowdown = slowdown;
  return c;
}

TEST(Variability, SameSeedSameNumbersBitForBit) {
  const SlowdownDraw a = draw_slowdowns(config(0.05, 3, 0.2), 42, 0, 64, 8, 5);
  const SlowdownDraw b = draw_slowdowns(config(0.05, 3, 0.2), 42, 0, 64, 8, 5);
  EXPECT_EQ(a.slow_servers, b.slow_servers);
  EXPECT_EQ(a.gpu_factor, b.gpu_factor);  // exact double equality
  const SlowdownDraw other = draw_slowdowns(config(0.05, 3, 0.2), 43, 0, 64, 8, 5);
  EXPECT_NE(a.gpu_factor, other.gpu_factor);
  const SlowdownDraw next_cluster = draw_slowdowns(config(0.05, 3, 0.2), 42, 1, 64, 8, 5);
  EXPECT_NE(a.gpu_factor, next_cluster.gpu_factor);
}

// Without jitter a factor is exactly 1, or 1.2 on the GPUs of the slow servers.
TEST(Variability, SlowServersWithoutJitterByHand) {
  const SlowdownDraw draw = draw_slowdowns(config(0, 2, 0.2), 7, 0, 16, 4, 3);
  ASSERT_EQ(draw.slow_servers.size(), 2u);
  EXPECT_LT(draw.slow_servers[0], draw.slow_servers[1]);  // distinct, ascending
  EXPECT_LT(draw.slow_servers[1], 16);
  ASSERT_EQ(draw.gpu_factor.size(), 3u);
  for (const auto& iteration : draw.gpu_factor) {
    ASSERT_EQ(iteration.size(), 64u);
    for (int g = 0; g < 64; ++g) {
      const bool slow = g / 4 == draw.slow_servers[0] || g / 4 == draw.slow_servers[1];
      EXPECT_EQ(iteration[g], slow ? 1.2 : 1.0) << "GPU " << g;
    }
  }
}

// Half-normal jitter: factors >= 1 and, over 64k draws, the mean of |z| is sqrt(2 / pi) and the
// mean of z^2 is 1 (within 1%: the standard errors are 0.2% and 0.6%).
TEST(Variability, JitterIsHalfNormal) {
  const double sigma = 0.1;
  const SlowdownDraw draw = draw_slowdowns(config(sigma, 0, 0.2), 1, 0, 1024, 8, 8);
  double sum = 0, squares = 0;
  int n = 0;
  for (const auto& iteration : draw.gpu_factor) {
    for (const double factor : iteration) {
      ASSERT_GE(factor, 1.0);
      const double z = (factor - 1) / sigma;
      sum += z;
      squares += z * z;
      ++n;
    }
  }
  EXPECT_NEAR(sum / n, std::sqrt(2 / std::numbers::pi), 0.01 * std::sqrt(2 / std::numbers::pi));
  EXPECT_NEAR(squares / n, 1.0, 0.01);
}

TEST(Variability, TooManySlowServersIsRejected) {
  try {
    draw_slowdowns(config(0, 5, 0.2), 1, 0, 4, 8, 1);
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_STREQ(error.what(),
                 "run.variability: slow_servers is 5 but the cluster has 4 servers; expected 0 .. "
                 "4");
  }
}

// Nearest rank: of 1..10 s the p50 is the 5th, p90 the 9th, p99 the 10th.
TEST(Variability, IterationStatsByHand) {
  const IterationStats stats = iteration_stats({7, 3, 10, 1, 5, 2, 9, 4, 8, 6});
  EXPECT_EQ(stats.count, 10);
  EXPECT_DOUBLE_EQ(stats.mean_s, 5.5);
  EXPECT_EQ(stats.p50_s, 5);
  EXPECT_EQ(stats.p90_s, 9);
  EXPECT_EQ(stats.p99_s, 10);
  EXPECT_EQ(stats.min_s, 1);
  EXPECT_EQ(stats.max_s, 10);
  EXPECT_EQ(iteration_stats({}).count, 0);
}

}  // namespace
}  // namespace capsim::test
