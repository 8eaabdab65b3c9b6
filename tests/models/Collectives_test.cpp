// Alpha-beta collective costs against hand calculations.
#include "capsim/models/Collectives.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

constexpr double kGiB = 1073741824.0;  // 2^30 bytes

// 8 GPUs on NVLink4: 450e9 B/s per direction, 3 us per step.
const CommLink kNvlink{450e9, 3e-6};

double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

TEST(Collectives, RingAllReduceOfOneGiBOverEightGpus) {
  // S / (n B) = 2^30 / (8 x 450e9) = 1073741824 / 3.6e12 = 2.98261617777778e-4 s
  // one step = 3e-6 + 2.98261617777778e-4 = 3.01261617777778e-4 s
  // all-reduce = 2 (n-1) steps = 14 x 3.01261617777778e-4 = 4.21766264888889e-3 s
  EXPECT_LT(relative_error(ring_all_reduce_s(kGiB, 8, kNvlink), 4.21766264888889e-3), 1e-12);
}

TEST(Collectives, ReduceScatterAndAllGatherAreHalfAnAllReduce) {
  // (n-1) steps = 7 x 3.01261617777778e-4 = 2.10883132444444e-3 s each.
  EXPECT_LT(relative_error(reduce_scatter_s(kGiB, 8, kNvlink), 2.10883132444444e-3), 1e-12);
  EXPECT_LT(relative_error(all_gather_s(kGiB, 8, kNvlink), 2.10883132444444e-3), 1e-12);
}

TEST(Collectives, TwoRanksMoveHalfTheBufferPerStep) {
  // n = 2, S = 1e9 bytes, B = 1e9 B/s, alpha = 1e-3:
  // reduce-scatter = 1 x (1e-3 + 1e9 / 2e9) = 0.501 s; all-reduce = 2 x 0.501 = 1.002 s.
  const CommLink link{1e9, 1e-3};
  EXPECT_DOUBLE_EQ(reduce_scatter_s(1e9, 2, link), 0.501);
  EXPECT_DOUBLE_EQ(ring_all_reduce_s(1e9, 2, link), 1.002);
}

TEST(Collectives, PointToPointIsLatencyPlusSizeOverBandwidth) {
  // 5e-6 + 2^30 / 50e9 = 5e-6 + 0.02147483648 = 0.02147983648 s
  EXPECT_LT(relative_error(point_to_point_s(kGiB, CommLink{50e9, 5e-6}), 0.02147983648), 1e-12);
}

TEST(Collectives, AllToAllIsPairwiseStepsOfAnNthOfWhatEachRankSends) {
  // Each rank sends S in total, S / n to every rank; its own share stays local, so n - 1 steps
  // each send S / n to one peer. n = 4, S = 1e9 bytes, B = 1e9 B/s, alpha = 1e-3:
  //   3 x (1e-3 + 1e9 / (4 x 1e9)) = 3 x 0.251 = 0.753 s.
  EXPECT_DOUBLE_EQ(all_to_all_s(1e9, 4, CommLink{1e9, 1e-3}), 0.753);
  // n = 2 moves half: 1 x (1e-3 + 0.5) = 0.501 s.
  EXPECT_DOUBLE_EQ(all_to_all_s(1e9, 2, CommLink{1e9, 1e-3}), 0.501);
  // 8 GPUs on NVLink4, 1 GiB per rank: 7 x (3e-6 + 2^30 / 3.6e12) = 2.10883132444444e-3 s.
  EXPECT_LT(relative_error(all_to_all_s(kGiB, 8, kNvlink), 2.10883132444444e-3), 1e-12);
}

TEST(Collectives, OneRankCostsNothingEvenWithoutALink) {
  const CommLink none{0.0, 0.0};
  EXPECT_EQ(ring_all_reduce_s(kGiB, 1, none), 0.0);
  EXPECT_EQ(reduce_scatter_s(kGiB, 1, none), 0.0);
  EXPECT_EQ(all_gather_s(kGiB, 1, none), 0.0);
  EXPECT_EQ(all_to_all_s(kGiB, 1, none), 0.0);
}

TEST(Collectives, BadArgumentsAreConfigurationErrors) {
  EXPECT_THROW(ring_all_reduce_s(kGiB, 0, kNvlink), ConfigurationError);
  EXPECT_THROW(all_gather_s(-1.0, 4, kNvlink), ConfigurationError);
  EXPECT_THROW(reduce_scatter_s(kGiB, 4, CommLink{0.0, 1e-6}), ConfigurationError);
  EXPECT_THROW(ring_all_reduce_s(kGiB, 4, CommLink{1e9, -1.0}), ConfigurationError);
  EXPECT_THROW(point_to_point_s(kGiB, CommLink{0.0, 0.0}), ConfigurationError);
  EXPECT_THROW(all_to_all_s(kGiB, 0, kNvlink), ConfigurationError);
  EXPECT_THROW(all_to_all_s(kGiB, 4, CommLink{0.0, 1e-6}), ConfigurationError);
  try {
    ring_all_reduce_s(kGiB, 0, kNvlink);
  } catch (const ConfigurationError& error) {
    EXPECT_NE(std::string(error.what()).find("expected a group of at least 1 GPU"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace capsim
