// What the training estimate refuses, and the message it gives: GPU counts, batches, pipeline
// and tensor splits, out-of-range sizes, kernel parameters, missing links and interleaving.
#include <gtest/gtest.h>

#include <string>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

// The ConfigurationError message estimate_training throws, or "no error".
std::string error_of(const ModelShape& model, const TrainingLayout& layout, int total_gpus,
                     const CommPaths& paths = tiny_paths(),
                     const GpuPerformance& gpu = hand_gpu()) {
  try {
    estimate_training(model, layout, gpu, paths, total_gpus);
  } catch (const ConfigurationError& error) {
    return error.what();
  }
  return "no error";
}

TEST(TrainingEstimate, RejectsAProductThatIsNotTheGpuCount) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 8;
  layout.pp = 4;
  layout.dp = 4;
  EXPECT_EQ(error_of(llama_3_1_70b(), layout, 64),
            "parallelism: tp 8 x pp 4 x dp 4 x cp 1 = 128 GPUs but the cluster has 64; expected "
            "the product to equal the GPU count");
}

TEST(TrainingEstimate, RejectsABatchThatDoesNotSplit) {
  TrainingLayout layout = tiny_layout();
  layout.micro_batch = 3;  // dp 2 x 3 = 6 does not divide 8
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "batch: global_batch 8 sequences is not divisible by dp 2 x micro_batch 3 = 6; "
            "expected a multiple of 6");
}

// "Uneven pipeline stages" are tested in TrainingParameters_test.cpp (the split) and
// TrainingPipeline_test.cpp (the estimate).
TEST(TrainingEstimate, RejectsMorePipelineStagesThanLayers) {
  // Uneven splits are estimated now (see "Uneven pipeline stages" above); only pp > layers, which
  // would leave a stage without a layer, is refused: tiny_gpt has 4 layers, pp 8.
  TrainingLayout layout = tiny_layout();
  layout.tp = 1;
  layout.pp = 8;
  layout.dp = 1;
  layout.global_batch = 4;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "parallelism: pp 8 is more than the 4 layers; expected at most one pipeline stage "
            "per layer");
  // pp = layers is the limit: one layer per stage.
  layout.pp = 4;
  layout.dp = 2;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8), "no error");
}

TEST(TrainingEstimate, RejectsHeadsNotDivisibleByTp) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 16;
  layout.dp = 1;
  layout.pp = 1;
  layout.global_batch = 4;
  // 8 heads cannot be split 16 ways.
  EXPECT_NE(error_of(tiny_gpt(), layout, 16).find("heads 8 is not divisible by tp 16"),
            std::string::npos);
}

TEST(TrainingEstimate, RejectsZeroAndOutOfRangeSizes) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 0;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8), "parallelism: tp is 0; expected a positive integer");

  layout = tiny_layout();
  layout.micro_batch = 0;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "batch: micro_batch is 0; expected a positive integer");

  ModelShape model = tiny_gpt();
  model.hidden = 0;
  EXPECT_EQ(error_of(model, tiny_layout(), 8), "model: hidden is 0; expected a positive integer");

  layout = tiny_layout();
  layout.zero_stage = 4;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "parallelism: zero_stage 4 is not a ZeRO stage; expected 0, 1, 2 or 3");

  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 0),
            "cluster: total_gpus is 0; expected a positive integer");
}

TEST(TrainingEstimate, RejectsKernelParametersThatCannotTimeAKernel) {
  // The GEMM efficiency of the layout's precision must be a fraction of peak.
  GpuPerformance gpu = hand_gpu();
  gpu.kernels.gemm_efficiency_bf16 = 1.5;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: the GEMM efficiency for this precision is 1.5; expected a fraction of peak in "
            "(0, 1]");
  // An FP8 layout reads the FP8 efficiency, not the BF16 one.
  gpu = hand_gpu();
  gpu.kernels.gemm_efficiency_fp8 = 0.0;
  TrainingLayout fp8 = tiny_layout();
  fp8.precision = Precision::FP8;
  EXPECT_EQ(error_of(tiny_gpt(), fp8, 8, tiny_paths(), gpu),
            "gpu: the GEMM efficiency for this precision is 0; expected a fraction of peak in "
            "(0, 1]");
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu), "no error");

  gpu = hand_gpu();
  gpu.peak_flop_per_s = 0.0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: peak_flop_per_s is 0 FLOP/s; expected a finite, positive value");

  gpu = hand_gpu();
  gpu.kernels.memory_bandwidth_Bps = 0.0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: kernel memory_bandwidth_Bps is 0 B/s; expected a finite, positive value");

  gpu = hand_gpu();
  gpu.kernels.attention_efficiency_bwd = 0.0;
  EXPECT_NE(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu)
                .find("gpu: kernel attention_efficiency_bwd is 0"),
            std::string::npos);

  gpu = hand_gpu();
  gpu.kernels.sm_count = 0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: the kernel model needs sm_count and GEMM tile sizes >= 1");

  // A negative launch cost passes validate_training_inputs; the KernelModel refuses it.
  gpu = hand_gpu();
  gpu.kernels.launch_s = -1e-6;
  EXPECT_NE(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu).find("kernel model:"),
            std::string::npos);
}

TEST(TrainingEstimate, RejectsAMissingLinkOnlyWhereAGroupNeedsIt) {
  CommPaths paths = tiny_paths();
  paths.tp.bandwidth_Bps = 0.0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, paths),
            "network: the tp link has bandwidth 0 B/s; expected a finite, positive bandwidth for "
            "a tp group of 2 GPUs");
  // cp = 1 never uses its link.
  paths = tiny_paths();
  paths.cp = {0.0, 0.0};
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, paths), "no error");
}

TEST(TrainingEstimate, InterleavingNeedsALayerPerVirtualStageAndWholeRounds) {
  TrainingLayout layout = tiny_layout();
  layout.vpp = 3;  // 4 layers over 2 x 3 virtual stages
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "parallelism: pp 2 x vpp 3 = 6 virtual stages for 4 layers; expected at most one "
            "virtual stage per layer");
  layout.vpp = 2;
  layout.global_batch = 6;  // m = 3 micro-batches, not whole rounds of pp 2
  EXPECT_NE(error_of(tiny_gpt(), layout, 8)
                .find("micro-batches per iteration 3 is not "
                      "divisible by pp 2"),
            std::string::npos);
  layout = tiny_layout();
  layout.pp = 1;
  layout.dp = 4;
  layout.vpp = 2;
  EXPECT_NE(error_of(tiny_gpt(), layout, 8).find("needs pipeline parallelism"), std::string::npos);
}

}  // namespace
}  // namespace capsim::test
