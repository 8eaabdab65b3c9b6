// A calibration profile changes predictions the way its measurements say: a GPU measured 20%
// slower at GEMMs gets 25% longer compute-bound GEMMs and a longer (but not 25% longer)
// iteration; the scenario key and the device rule pick which GPU type a profile applies to.
#include <gtest/gtest.h>

#include <cmath>

#include "ShippedCatalog.hpp"
#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

const std::string kId = "h100-sxm-80gb";

// The H100's measurements with every bf16 and tf32 GEMM as a GPU with 80% of the fitted GEMM
// rate would run it (times from the kernel model itself, so the fit can recover them exactly).
CalibrationProfile slower_gemm_profile() {
  const std::string dir = std::string(CAPSIM_SHARED_DIR) + "/calibration/";
  CalibrationProfile profile;
  profile.file = "slow.json";
  profile.device = "NVIDIA H100 80GB HBM3";
  profile.date = "2026-11-27";
  profile.tool = "test";
  profile.measurements = read_kernel_measurements(dir + kId + ".cublas-sweep.csv",
                                                  dir + kId + ".torch-attention-power.csv");
  KernelParameters slow = kernel_parameters(test::shipped_catalog().gpus.at(kId));
  slow.gemm_efficiency_bf16 *= 0.8;
  slow.gemm_efficiency_tf32 *= 0.8;
  const KernelModel model(slow);
  for (auto& g : profile.measurements.cublas.gemms) {
    g.seconds = model.gemm_isolated_s(g.m, g.n, g.k, g.precision);
  }
  return profile;
}

TEST(CalibratedPrediction, TwentyPercentSlowerGemmsLengthenTheIteration) {
  const GpuSpec& catalog_gpu = test::shipped_catalog().gpus.at(kId);
  const GpuSpec slow_gpu = calibrated_gpu(catalog_gpu, slower_gemm_profile());
  // The fit reads 80% of the catalog's GEMM efficiency back out of the measurements.
  EXPECT_NEAR(slow_gpu.matmul_efficiency_bf16 / catalog_gpu.matmul_efficiency_bf16, 0.8, 0.002);
  EXPECT_NEAR(slow_gpu.matmul_efficiency_tf32 / catalog_gpu.matmul_efficiency_tf32, 0.8, 0.002);
  EXPECT_EQ(slow_gpu.gemm_tile_m, catalog_gpu.gemm_tile_m);
  EXPECT_NEAR(slow_gpu.memory_efficiency, catalog_gpu.memory_efficiency, 1e-4);

  // By hand, 8192^3 bf16 (compute-bound: 2 x 8192^3 FLOPs, 3 x 128 MiB of operands): the compute
  // term is 2 m n k / (P e) over the wave efficiency, so at 0.8 e it takes 1 / 0.8 = 1.25 times as
  // long, launch aside. In a training step the catalog GPU runs it at the power floor
  // (sustained 681 TFLOP/s, slower than its 772 TFLOP/s burst rate); at 0.8 e the burst rate
  // (about 620 TFLOP/s) is below the floor, so the step takes the 1.25x burst time.
  const KernelModel before(kernel_parameters(catalog_gpu)), after(kernel_parameters(slow_gpu));
  const double launch = catalog_gpu.launch_overhead_s;
  const double iso_before = before.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::BF16);
  const double iso_after = after.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::BF16);
  EXPECT_NEAR((iso_after - slow_gpu.launch_overhead_s) / (iso_before - launch), 1.25, 0.005);
  const double floor_s = 2 * std::pow(8192.0, 3) / catalog_gpu.sustained_matmul_bf16_flop_per_s;
  EXPECT_NEAR(before.gemm_s(8192, 8192, 8192, MatmulPrecision::BF16), launch + floor_s, 1e-9);
  EXPECT_DOUBLE_EQ(after.gemm_s(8192, 8192, 8192, MatmulPrecision::BF16), iso_after);

  // The quickstart's iteration: GEMMs are most but not all of it (attention, memory-bound
  // kernels and exposed communication do not change), and large ones were floor-bound before,
  // so it grows by more than nothing and less than 25%.
  Scenario scenario = load_scenario(std::string(CAPSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml",
                                    test::shipped_catalog());
  ClusterConfig cluster = scenario.clusters.front();
  const ClusterPlan cluster_plan = plan_cluster(cluster, scenario.economics);
  const double t_before =
      plan_training(scenario.training.front(), cluster, cluster_plan).estimate.iteration_s;
  cluster.gpu = slow_gpu;
  const double t_after =
      plan_training(scenario.training.front(), cluster, cluster_plan).estimate.iteration_s;
  std::printf("[ quickstart iteration ] catalog %.4f s, 20%% slower GEMM profile %.4f s (x%.3f)\n",
              t_before, t_after, t_after / t_before);
  EXPECT_GT(t_after / t_before, 1.02);
  EXPECT_LT(t_after / t_before, 1.25);
}

// run.calibration in a scenario (here through --set): a profile of another GPU is refused
// unless the GPU type is named.
TEST(CalibratedPrediction, ScenarioKeyAppliesProfilesByDeviceOrByName) {
  const std::string quickstart = std::string(CAPSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml";
  const std::string profiles = std::string(CAPSIM_SOURCE_DIR) + "/models/catalog/calibration/";
  const Scenario own = load_scenario(quickstart, test::shipped_catalog(),
                                     {{"run.calibration", profiles + "h100-sxm-80gb.json"}});
  EXPECT_EQ(own.run.calibration.size(), 1u);
  EXPECT_TRUE(from_calibration_profile(own.clusters.front().gpu));
  EXPECT_EQ(own.clusters.front().gpu.kernel_source.find("applied to"), std::string::npos);
  try {
    load_scenario(quickstart, test::shipped_catalog(),
                  {{"run.calibration", profiles + "h200-sxm-141gb.json"}});
    FAIL() << "an H200 profile was applied to an H100 cluster";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("run.calibration[0]: profile " + profiles +
                           "h200-sxm-141gb.json was measured on 'NVIDIA H200', which matches "
                           "none of the GPU types of this scenario's clusters (h100-sxm-80gb)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("h100-sxm-80gb=" + profiles + "h200-sxm-141gb.json"), std::string::npos);
  }
  const Scenario named =
      load_scenario(quickstart, test::shipped_catalog(),
                    {{"run.calibration", "[h100-sxm-80gb=" + profiles + "h200-sxm-141gb.json]"}});
  EXPECT_NE(named.clusters.front().gpu.kernel_source.find("NVIDIA H200"), std::string::npos);
  EXPECT_NE(named.clusters.front().gpu.kernel_source.find("applied to h100-sxm-80gb by name"),
            std::string::npos);
}

}  // namespace
}  // namespace capsim
