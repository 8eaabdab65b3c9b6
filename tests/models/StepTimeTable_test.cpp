// StepTimeTable (InferenceStep.hpp) keeps parts of earlier iterations: the simulation relies on
// it giving inference_step_times' figure bit for bit, for any batch.
#include <gtest/gtest.h>

#include <random>

#include "ShippedCatalog.hpp"
#include "capsim/models/InferenceStep.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim::test {
namespace {

TEST(StepTimeTable, EqualsTheStepModelBitForBitOnRandomBatches) {
  for (const auto& [gpu, tp, precision] :
       {std::tuple{"h100-sxm-80gb", 2, InferencePrecision::FP8},
        std::tuple{"h200-sxm-141gb", 1, InferencePrecision::BF16}}) {
    InferenceInstance in;
    in.model = model_shape(shipped_catalog().models.at("llama-3.1-70b"));
    in.tp = tp * 2;
    in.precision = precision;
    in.gpu = inference_gpu(shipped_catalog().gpus.at(gpu));
    StepTimeTable table(in);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2000; ++i) {
      StepBatch batch;
      const int chunks = static_cast<int>(rng() % 3);
      for (int c = 0; c < chunks; ++c) {
        batch.prefill.push_back({static_cast<double>(1 + rng() % 2048),
                                 static_cast<double>(rng() % 4096), rng() % 2 == 0});
      }
      batch.decode_sequences = static_cast<double>(rng() % 200);
      batch.decode_context_tokens = batch.decode_sequences * static_cast<double>(rng() % 3000);
      if (batch.prefill.empty() && batch.decode_sequences == 0) continue;
      ASSERT_EQ(table.step_s(batch), inference_step_times(in, batch).total_s) << gpu << " " << i;
    }
  }
}

}  // namespace
}  // namespace capsim::test
