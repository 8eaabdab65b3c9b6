// The serving step model (InferenceStep.hpp) against hand derivations on a tiny model with the
// hand-checkable kernels of TrainingTestFixtures.hpp, the KV-cache capacity by hand, the
// prefill attention against the training kernel, and the decode-attention rate against the fit
// of shared/calibration.
#include "capsim/models/InferenceStep.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "ShippedCatalog.hpp"
#include "TrainingTestFixtures.hpp"
#include "capsim/models/Calibration.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::test {
namespace {

// 2 layers, h 1024, 8 heads of 128, 2 KV heads, SwiGLU ffn 4096, vocab 32768.
ModelShape tiny_llama() { return {2, 1024, 8, 2, 4096, 32768, true, false}; }

InferenceInstance tiny_instance(InferencePrecision precision, int tp = 1) {
  InferenceInstance in;
  in.model = tiny_llama();
  in.tp = tp;
  in.precision = precision;
  in.gpu.id = "hand-gpu";
  in.gpu.kernels = hand_kernels();  // no launch cost, no power floor, 1 SM of 1 x 1 tiles
  in.gpu.memory_bytes = 4e9;
  in.gpu.decode_attention_Bps = 2e12;
  in.gpu.tp_link = {100e9, 1e-6};
  return in;
}

// The hand kernels' GEMM: 1 x 1 tiles on one SM never split k, so a GEMM is the larger of its
// FLOPs at peak x 0.5 and its operand bytes at 1e13 B/s.
double hand_gemm_s(double m, double n, double k, double peak, double bytes_per_element) {
  return std::max(2 * m * n * k / (peak * 0.5), (m * k + k * n + m * n) * bytes_per_element / 1e13);
}

TEST(InferenceStep, DecodeIterationByHand) {
  // 64 sequences decoding with 1000 tokens of context each (64,000 in all), fp8, tp 1.
  StepBatch batch;
  batch.decode_sequences = 64;
  batch.decode_context_tokens = 64000;
  const StepTimes s = inference_step_times(tiny_instance(InferencePrecision::FP8), batch);

  // Per layer: QKV 64 x (8 + 4) 128 = 1536 x 1024, out 64 x 1024 x 1024, gate+up 64 x 8192 x
  // 1024, down 64 x 1024 x 4096, fp8 at 2e15 x 0.5 and 1 byte per element.
  const double gemm = hand_gemm_s(64, 1536, 1024, 2e15, 1) + hand_gemm_s(64, 1024, 1024, 2e15, 1) +
                      hand_gemm_s(64, 8192, 1024, 2e15, 1) + hand_gemm_s(64, 1024, 4096, 2e15, 1);
  EXPECT_NEAR(s.gemm_s / (2 * gemm), 1, 1e-12);

  // Decode attention: 64,000 tokens x K and V x 2 heads x 128 x 1 byte = 32,768,000 bytes per
  // layer at 2e12 B/s = 16.384 us, two layers.
  EXPECT_NEAR(s.decode_attention_s, 2 * 16.384e-6, 1e-15);
  EXPECT_EQ(s.prefill_attention_s, 0);
  // One GPU: no all-reduce, no logits all-gather.
  EXPECT_EQ(s.tp_comm_s, 0);

  // Memory-bound per layer (x = 64 x 1024 x 2 = 131,072 bytes): two add+norms of 4x, RoPE over
  // the QKV output read and written (2 x 64 x 1536 x 2), the SwiGLU reading 8192 and writing
  // 4096 columns (64 x 12288 x 2); plus the embedding (2x) once.
  const double x = 131072;
  const double layer_memory = (2 * 4 * x + 2 * 64 * 1536 * 2 + 64 * 12288 * 2) / 1e13;
  EXPECT_NEAR(s.memory_bound_s, 2 * layer_memory + 2 * x / 1e13, 1e-18);

  // Logits: 64 sampled sequences, final norm (2 x 64 x 1024 x 2 bytes), a bf16 GEMM 64 x 32768
  // x 1024, sampling over 64 x 32768 fp32 logits.
  const double logits =
      2 * x / 1e13 + hand_gemm_s(64, 32768, 1024, 1e15, 2) + 64 * 32768 * 4 / 1e13;
  EXPECT_NEAR(s.logits_s, logits, 1e-18);
  EXPECT_NEAR(s.total_s, s.gemm_s + s.decode_attention_s + s.memory_bound_s + s.logits_s, 1e-18);
}

TEST(InferenceStep, PrefillChunkAttendsToItsPastAndTheGemmsSeeEveryToken) {
  // One chunk of 512 prompt tokens after 1536 already cached, plus 16 decode tokens: T = 528.
  StepBatch batch;
  batch.prefill.push_back({512, 1536, false});
  batch.decode_sequences = 16;
  batch.decode_context_tokens = 16 * 100;
  const StepTimes s = inference_step_times(tiny_instance(InferencePrecision::BF16), batch);
  // Causal attention of the chunk: 2 x 8 heads x 512 x (2 x 1536 + 512) x 128 FLOPs at 1e15 x
  // 0.4 = 9.395240960 us per layer (half-saturation length 0 in the hand kernels).
  EXPECT_NEAR(s.prefill_attention_s, 2 * 2.0 * 8 * 512 * 3584 * 128 / 4e14, 1e-15);
  const double gemm = hand_gemm_s(528, 1536, 1024, 1e15, 2) +
                      hand_gemm_s(528, 1024, 1024, 1e15, 2) +
                      hand_gemm_s(528, 8192, 1024, 1e15, 2) + hand_gemm_s(528, 1024, 4096, 1e15, 2);
  EXPECT_NEAR(s.gemm_s / (2 * gemm), 1, 1e-12);
  // The chunk does not end its prompt: only the 16 decode sequences sample.
  const double logits =
      2 * 16 * 1024 * 2 / 1e13 + hand_gemm_s(16, 32768, 1024, 1e15, 2) + 16 * 32768 * 4 / 1e13;
  EXPECT_NEAR(s.logits_s, logits, 1e-18);
}

TEST(InferenceStep, TensorParallelismAllReducesTwicePerLayerAndGathersTheLogits) {
  StepBatch batch;
  batch.decode_sequences = 32;
  batch.decode_context_tokens = 32 * 500;
  const StepTimes s = inference_step_times(tiny_instance(InferencePrecision::BF16, 2), batch);
  // Ring all-reduce of 32 x 1024 x 2 = 65,536 bytes over 2 GPUs: 2 (alpha + S / (2 B)); the
  // logits all-gather of 32 x 32768 x 4 bytes: alpha + S / (2 B).
  const double all_reduce = 2 * (1e-6 + 65536.0 / 2 / 100e9);
  const double gather = 1e-6 + 32.0 * 32768 * 4 / 2 / 100e9;
  EXPECT_NEAR(s.tp_comm_s, 2 * 2 * all_reduce + gather, 1e-15);
  // Each GPU holds one of the two KV heads: half the decode bytes.
  EXPECT_NEAR(s.decode_attention_s, 2 * (16000.0 * 2 * 128 * 2) / 2e12, 1e-15);
}

TEST(InferenceStep, KvCapacityByHand) {
  const InferenceInstance in = tiny_instance(InferencePrecision::FP8);
  // Weights: per layer QKV 1024 x 1536, out 1024 x 1024, gate+up 1024 x 8192, down 4096 x 1024
  // = 15,204,352 fp8 bytes, two layers; embedding and output layer 2 x 32768 x 1024 x 2 bytes;
  // norms 2 layers x 2 x 1024 x 2 bytes: 30,408,704 + 134,217,728 + 8,192 = 164,634,624.
  EXPECT_DOUBLE_EQ(inference_weight_bytes(in), 164634624.0);
  // KV per token: 2 layers x (K, V) x 2 heads x 128 x 1 byte = 1,024 bytes.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(in), 1024.0);
  const KvCapacity c = kv_capacity(in, 64, 2048, 0.9, 32);
  // Workspace: 2048 tokens x 2 bytes x (2 x 1024 + 8192 + 4096) = 58,720,256; 64 x 32768 x 4
  // fp32 logits = 8,388,608; the 1 GiB runtime reserve.
  EXPECT_DOUBLE_EQ(c.workspace_bytes, 58720256.0 + 8388608.0 + 1073741824.0);
  // KV: 0.9 x (4e9 - 164,634,624 - 1,140,850,688) = 2,425,063,219.2 bytes, in 32-token blocks
  // of 32,768 bytes: 74,007 blocks, 2,368,224 tokens.
  EXPECT_NEAR(c.kv_bytes, 2425063219.2, 1e-3);
  EXPECT_EQ(c.kv_blocks, 74007);
  EXPECT_EQ(c.kv_tokens, 2368224);
  // bf16 doubles the bytes per token (the KV cache is kept in the weights' precision).
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(tiny_instance(InferencePrecision::BF16)), 2048.0);
}

TEST(InferenceStep, Fp4WeightsRunAtTheFp4RateWithAnFp8KvCache) {
  // A GPU with an FP4 rate of 4e15 at 0.5 (the hand kernels have none): NVFP4 weights are 0.5
  // byte plus one 1-byte scale per 16 values = 0.5625 byte; the KV cache stays fp8, as
  // trtllm-bench runs NVFP4 checkpoints.
  InferenceInstance in = tiny_instance(InferencePrecision::FP4);
  in.gpu.kernels.fp4_peak_flop_per_s = 4e15;
  in.gpu.kernels.gemm_efficiency_fp4 = 0.5;
  EXPECT_NO_THROW(validate_inference_instance(in));
  // 30,408,704 layer weights x 0.5625 = 17,104,896; embedding, output layer and norms in bf16 as
  // in KvCapacityByHand: + 134,217,728 + 8,192.
  EXPECT_DOUBLE_EQ(inference_weight_bytes(in), 17104896.0 + 134217728.0 + 8192.0);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(in), 1024.0);

  StepBatch batch;
  batch.decode_sequences = 64;
  batch.decode_context_tokens = 64000;
  const StepTimes s = inference_step_times(in, batch);
  const double b = 0.5625;
  const double gemm = hand_gemm_s(64, 1536, 1024, 4e15, b) + hand_gemm_s(64, 1024, 1024, 4e15, b) +
                      hand_gemm_s(64, 8192, 1024, 4e15, b) + hand_gemm_s(64, 1024, 4096, 4e15, b);
  EXPECT_NEAR(s.gemm_s / (2 * gemm), 1, 1e-12);
  EXPECT_NEAR(s.decode_attention_s, 2 * 16.384e-6, 1e-15);  // fp8 KV, as DecodeIterationByHand
}

TEST(InferenceStep, ChecksWhatItCannotModel) {
  InferenceInstance in = tiny_instance(InferencePrecision::FP4);  // a GPU without an FP4 rate
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in = tiny_instance(InferencePrecision::FP8);
  in.gpu.kernels.gemm_efficiency_fp8 = 0;  // a GPU without an FP8 rate
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in = tiny_instance(InferencePrecision::BF16, 4);  // 2 KV heads over 4 GPUs
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in = tiny_instance(InferencePrecision::BF16);
  in.pp = 2;  // one layer per stage
  EXPECT_NO_THROW(validate_inference_instance(in));
  in.pp = 3;  // more stages than the 2 layers
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in.pp = 0;
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in.pp = 2;
  in.pp_links = {{1e9, 0}, {1e9, 0}};  // 2 links for 1 boundary
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in.pp_links = {{0, 0}};  // a link without bandwidth
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in.pp_links.clear();
  in.gpu.tp_link = {};  // no scale-up link and none given between the stages
  EXPECT_THROW(validate_inference_instance(in), ConfigurationError);
  in = tiny_instance(InferencePrecision::BF16);
  in.gpu.memory_bytes = 1e9;  // weights and the 1 GiB reserve do not fit
  EXPECT_THROW(kv_capacity(in, 64, 2048, 0.9, 32), ConfigurationError);
}

TEST(InferenceStep, PipelineDecodeIterationIsBothStagesAndOneSendByHand) {
  // DecodeIterationByHand's batch (64 sequences, 64,000 context tokens, fp8, tp 1) on pp 2: one
  // layer per stage; the stages' link 50 GB/s at 2 us.
  InferenceInstance in = tiny_instance(InferencePrecision::FP8);
  in.pp = 2;
  in.pp_links = {{50e9, 2e-6}};
  StepBatch batch;
  batch.decode_sequences = 64;
  batch.decode_context_tokens = 64000;
  const double gemm = hand_gemm_s(64, 1536, 1024, 2e15, 1) + hand_gemm_s(64, 1024, 1024, 2e15, 1) +
                      hand_gemm_s(64, 8192, 1024, 2e15, 1) + hand_gemm_s(64, 1024, 4096, 2e15, 1);
  const double x = 131072;  // 64 x 1024 x 2 bytes of activations
  const double layer_memory = (2 * 4 * x + 2 * 64 * 1536 * 2 + 64 * 12288 * 2) / 1e13;
  const double decode_attention = 16.384e-6;  // one layer, as DecodeIterationByHand
  // Stage 0: its layer and the embedding (2x / 1e13); stage 1: its layer, the final norm, the
  // logits GEMM 64 x 32768 x 1024 in bf16 and sampling over the fp32 logits.
  const double stage0 = gemm + decode_attention + layer_memory + 2 * x / 1e13;
  const double logits =
      2 * x / 1e13 + hand_gemm_s(64, 32768, 1024, 1e15, 2) + 64 * 32768 * 4 / 1e13;
  const double stage1 = gemm + decode_attention + layer_memory + logits;
  // One send of the batch's activations, 131,072 bytes: 2 us + 131,072 / 50e9 s = 4.62144 us.
  const double send = 2e-6 + 131072 / 50e9;
  EXPECT_NEAR(inference_stage_times(in, batch, 0).total_s, stage0, 1e-15);
  EXPECT_NEAR(inference_stage_times(in, batch, 1).total_s, stage1, 1e-15);
  const StepTimes s = inference_step_times(in, batch);
  EXPECT_NEAR(s.pp_comm_s, 4.62144e-6, 1e-15);
  EXPECT_NEAR(s.total_s, stage0 + stage1 + send, 1e-15);
  EXPECT_NEAR(s.logits_s, logits, 1e-18);
  // Without links the stages share the NVLink domain: 1 us + 131,072 / 100e9 s.
  in.pp_links.clear();
  EXPECT_NEAR(inference_step_times(in, batch).pp_comm_s, 1e-6 + 131072 / 100e9, 1e-15);
  EXPECT_THROW(inference_stage_times(in, batch, 2), ConfigurationError);
}

TEST(InferenceStep, PipelineStagesSplitLayersAsTrainingDoes) {
  // 3 layers over 2 stages: c = 2, r = 1 short stage, the last (TrainingEstimate.hpp's rule):
  // stage 0 runs 2 layers, stage 1 one. Same batch as above, fp8.
  InferenceInstance in = tiny_instance(InferencePrecision::FP8);
  in.model.layers = 3;
  in.pp = 2;
  StepBatch batch;
  batch.decode_sequences = 64;
  batch.decode_context_tokens = 64000;
  const double gemm = hand_gemm_s(64, 1536, 1024, 2e15, 1) + hand_gemm_s(64, 1024, 1024, 2e15, 1) +
                      hand_gemm_s(64, 8192, 1024, 2e15, 1) + hand_gemm_s(64, 1024, 4096, 2e15, 1);
  EXPECT_NEAR(inference_stage_times(in, batch, 0).gemm_s / gemm, 2, 1e-12);
  EXPECT_NEAR(inference_stage_times(in, batch, 1).gemm_s / gemm, 1, 1e-12);
  EXPECT_NEAR(inference_stage_times(in, batch, 0).decode_attention_s, 2 * 16.384e-6, 1e-15);
  EXPECT_EQ(inference_stage_times(in, batch, 0).logits_s, 0);
  // KV per token: stage 0 holds 2 layers x (K, V) x 2 heads x 128 x 1 byte, stage 1 one.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(in, 0), 1024.0);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(in, 1), 512.0);
}

TEST(InferenceStep, PipelineKvCapacityByHand) {
  // KvCapacityByHand's instance on pp 2: each GPU holds one layer.
  InferenceInstance in = tiny_instance(InferencePrecision::FP8);
  in.pp = 2;
  // Stage 0: one layer's 15,204,352 fp8 bytes, the embedding 32768 x 1024 x 2 = 67,108,864 and
  // the layer's norms 2 x 1024 x 2 = 4,096: 82,317,312. Stage 1: the same with the output
  // layer in place of the embedding.
  EXPECT_DOUBLE_EQ(inference_weight_bytes(in, 0), 82317312.0);
  EXPECT_DOUBLE_EQ(inference_weight_bytes(in, 1), 82317312.0);
  // KV per token per GPU: 1 layer x (K, V) x 2 heads x 128 x 1 byte = 512 bytes.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(in, 1), 512.0);
  const KvCapacity c = kv_capacity(in, 64, 2048, 0.9, 32);
  // Stage 0's workspace has no logits: 58,720,256 + 1 GiB; KV 0.9 x (4e9 - 82,317,312 -
  // 1,132,462,080) = 2,506,698,547.2 bytes = 152,996 blocks of 32 x 512 bytes. Stage 1 adds
  // the 8,388,608 bytes of logits: 0.9 x (4e9 - 82,317,312 - 1,140,850,688) = 2,499,148,800
  // bytes = 152,535 blocks. Stage 1 limits the instance: 152,535 blocks, 4,881,120 tokens, more
  // than twice pp 1's 74,007 blocks (half the KV bytes per token, less weight per GPU).
  EXPECT_EQ(c.limiting_stage, 1);
  EXPECT_DOUBLE_EQ(c.workspace_bytes, 58720256.0 + 8388608.0 + 1073741824.0);
  EXPECT_NEAR(c.kv_bytes, 2499148800.0, 1e-3);
  EXPECT_EQ(c.kv_blocks, 152535);
  EXPECT_EQ(c.kv_tokens, 4881120);
}

TEST(InferenceStep, PrefillChunksShareOneLaunchAndOneLastWave) {
  // Hand parameters: 1e15 x 0.5 FLOP/s, no half-saturation, launch or power floor; a tail of
  // 8000 rows. One chunk of 1000 tokens, 8 heads of 128: F = 2 x 8 x 1000^2 x 128 = 2.048e9
  // FLOPs over 8000 rows, so its tail is 8000 rows x F / 8000 = F: 2F / 5e14 = 8.192 us. Two
  // such chunks in one launch: 2F of work and one tail of 8000 x 2F / 16000 = F: 12.288 us.
  KernelParameters p = hand_kernels();
  p.bf16_peak_flop_per_s = 1e15;
  p.attention_efficiency_fwd = 0.5;
  p.attention_tail_rows_fwd = 8000;
  const KernelModel model(p);
  EXPECT_NEAR(model.attention_prefill_s(8, {{1000, 0}}, 128), 8.192e-6, 1e-15);
  EXPECT_NEAR(model.attention_prefill_s(8, {{1000, 0}, {1000, 0}}, 128), 12.288e-6, 1e-15);
  // A chunk with 1000 tokens of past: F = 2 x 8 x 1000 x 3000 x 128, 8000 rows, tail F.
  EXPECT_NEAR(model.attention_prefill_s(8, {{1000, 1000}}, 128), 2 * 6.144e9 / 5e14, 1e-15);
  EXPECT_EQ(model.attention_prefill_s(8, {}, 128), 0.0);
}

TEST(InferenceStep, PrefillOfAWholePromptIsTheTrainingForwardKernel) {
  // With past 0 the chunk is the causal square; on the H100's fitted parameters (launch cost,
  // half-saturation length, power floor) both functions must agree.
  const KernelModel h100(kernel_parameters(shipped_catalog().gpus.at("h100-sxm-80gb")));
  for (double s : {128.0, 1000.0, 8192.0}) {
    EXPECT_NEAR(
        h100.attention_prefill_s(64, {{s, 0}}, 128) / h100.attention_forward_s(1, 64, s, 128), 1,
        1e-12)
        << s;
  }
}

TEST(InferenceStep, DecodeAttentionRateIsTheFitOfTheMeasurements) {
  for (const std::string id : {"h100-sxm-80gb", "h200-sxm-141gb"}) {
    const GpuSpec& gpu = shipped_catalog().gpus.at(id);
    const AttentionPowerSweep sweep = read_attention_power(
        std::string(CAPSIM_SHARED_DIR) + "/calibration/" + id + ".torch-attention-power.csv");
    const double fitted = fit_decode_attention_Bps(sweep, gpu.launch_overhead_s);
    EXPECT_NEAR(gpu.decode_attention_Bps / fitted, 1, 0.001) << id;
    // A physical rate: below the HBM peak, above the copy kernel's read + write rate's half.
    EXPECT_LT(fitted, gpu.memory_bandwidth_Bps) << id;
    // The largest rows (batch 128, 4096 keys) are within 3% of the fitted line.
    for (const DecodeMeasurement& d : sweep.decode) {
      if (d.batch == 128 && d.key_len == 4096) {
        const double bytes = d.read_Bps * d.seconds;
        EXPECT_NEAR((gpu.launch_overhead_s + bytes / fitted) / d.seconds, 1, 0.03) << id;
      }
    }
  }
}

}  // namespace
}  // namespace capsim::test
