// One engine iteration of an LLM serving instance, kernel by kernel, and the instance's memory:
// weights, activation workspace and the KV cache that is left.
//
// An instance is one copy of the model over tp x pp GPUs: tp GPUs of one NVLink domain per
// pipeline stage, pp stages. An iteration runs the tokens of its batch together, as
// in-flight batching does: prefill chunks (new prompt tokens of a sequence, attending to what the
// sequence already has in its KV cache) and decode tokens (one per generating sequence). With T
// tokens in the iteration, every layer runs on each GPU (widths split by tp, Megatron-style):
//   add + RMSNorm (fused, 2 per layer)     memory-bound: reads x and the residual, writes both
//   QKV GEMM  T x (a + 2 g) d / tp x h     in the instance's precision (FP8 at the FP8 rate)
//   RoPE + KV-cache write                  memory-bound over the QKV output
//   prefill attention                      fused causal attention of each chunk against its
//                                          past (KernelModel::attention_prefill_s), bf16 rate
//   decode attention                       memory-bound read of every sequence's KV cache:
//                                          context x 2 x g / tp x d x KV bytes, at the GPU's
//                                          fitted decode-attention rate (one launch)
//   output projection GEMM  T x h x a d / tp
//   all-reduce of T x h x 2 bytes          ring over the tp link (Collectives.hpp)
//   gate+up GEMM  T x 2 f / tp x h (SwiGLU; up only for GELU), activation (memory-bound),
//   down GEMM  T x h x f / tp, all-reduce
// (a heads, g KV heads, d head dim, h hidden, f ffn). Then, for the S sequences that produce a
// token (every decode sequence and every prefill chunk that ends its prompt): the final norm,
// the logits GEMM S x V / tp x h in bf16 (quantized checkpoints keep the output layer in bf16),
// an all-gather of the fp32 logits over tp, and sampling, a memory-bound pass over them.
// Every kernel is timed by the GPU's KernelModel, whose times include one launch each (so the
// launch cost of the iteration is kernels x launch and is part of the kernel times; the host's
// scheduling runs ahead of the GPU, TensorRT-LLM's overlap scheduler, and adds nothing). GEMM
// times include the weight read (KernelModel's memory term), so a small decode batch is
// memory-bound without a separate weight-read term.
//
// Pipeline parallelism (pp > 1), as vLLM and TensorRT-LLM serve it: stage k holds
// stage_layer_count(model, pp, k) layers (TrainingEstimate.hpp's rule, the one training uses:
// 80 over 2 give 40 + 40, 126 over 16 give 7, 8 x 14, 7), the embedding lookup runs on stage 0,
// the final norm, output layer and sampling on stage pp - 1. One iteration of one batch passes
// through the stages one after another: its time is the sum over the stages of the stage's
// kernels above on its own layers, plus pp - 1 sends of the batch's activations (T x h x 2
// bytes, Collectives.hpp's point_to_point_s) over the link between adjacent stages
// (InferenceInstance::pp_links: NVLink inside a server, the NIC and fabric across servers, as
// the placement gives). pp batches are in flight at once, so every stage stays busy: vLLM's
// "virtual engines" (vllm/engine/llm_engine.py: one Scheduler per pipeline stage, each with
// 1/pp of the KV-cache blocks, vllm/core/scheduler.py `num_gpu_blocks //= pipeline_parallel_size`,
// and its own max_num_seqs; docs "Distributed Inference and Serving"), and TensorRT-LLM's
// PyTorch executor, which keeps pp micro-batches in flight (`_executor_loop_pp`,
// num_micro_batches = pp_size). The simulation and the max-throughput engine therefore run a
// replica as pp independent streams, each stepping at this time (ServicePlan.hpp,
// sim/ServingSimulation.hpp). Left out: (1) with unequal stages (an uneven layer split, the
// logits on the last stage) the slowest stage serializes the streams' micro-batches, so a
// replica's throughput is really bounded by one micro-batch per pp x the slowest stage time; the
// sum over stages assumes the stages overlap perfectly (Llama 70B over 2 stages: the last
// stage's output layer is 2.1 GB of bf16 against 34 GB of fp8 layer weights, so about 3% too
// fast in a weight-bound decode iteration, 1.5% with bf16 weights); (2) vLLM ships the
// residual stream beside the hidden states (twice the bytes) split over the tp ranks and
// all-gathered on arrival, TensorRT-LLM sends the hidden states: the send here is one T x h x 2
// byte tensor per boundary, at most tens of microseconds; (3) TensorRT-LLM's executor shares one
// KV pool between its micro-batches where vLLM's virtual engines split it (a shared pool
// balances long and short requests better).
//
// Precision: weights and GEMM inputs in bf16 (2 bytes), fp8 (1 byte, per-tensor scaled, FP8
// tensor-core rate) or fp4 (NVFP4: 0.5 byte plus one FP8 scale per 16 values, FP4 tensor-core
// rate, on GPUs whose catalog entry has one); activations between kernels in bf16. The KV cache
// is fp8 for fp8 and fp4 checkpoints, as trtllm-bench runs them (kv_cache_quant_algo FP8 in
// NVIDIA's ModelOpt checkpoints), bf16 otherwise.
//
// Memory per GPU of stage k: weights (its layers' matrices / tp at the precision's bytes, the
// embedding on stage 0 and the output layer on the last stage / tp in bf16), an activation
// workspace (max_num_tokens x the widest live activations, plus on the last stage the fp32
// logits of max_batch_size sequences), and a fixed runtime reserve (CUDA context, cuBLAS and
// NCCL workspaces); the KV cache gets kv_memory_fraction of what is left, as TensorRT-LLM's
// free_gpu_memory_fraction does, in blocks of tokens_per_block tokens of its layers. Every
// stage keeps the same tokens, so the stage holding the fewest blocks limits the instance.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capsim/models/Collectives.hpp"
#include "capsim/models/KernelModel.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// Number format of an instance's weights (and of its KV cache).
enum class InferencePrecision { BF16, FP8, FP4 };

/// "bf16", "fp8" or "fp4".
const char* inference_precision_name(InferencePrecision precision);

/// One GPU of a serving instance.
struct InferenceGpu {
  std::string id;
  KernelParameters kernels;
  double memory_bytes = 0;          ///< HBM capacity
  double decode_attention_Bps = 0;  ///< KV bytes/s one decode-attention kernel reads
  CommLink tp_link;                 ///< per-GPU all-reduce path inside the NVLink domain
};

/// One serving instance: a dense model over tp x pp GPUs.
struct InferenceInstance {
  ModelShape model;
  int tp = 1;
  int pp = 1;  ///< pipeline stages
  InferencePrecision precision = InferencePrecision::BF16;
  InferenceGpu gpu;
  /// The link between stage k and k + 1 (pp - 1 entries, per GPU per direction); empty: every
  /// stage in one NVLink domain, sends over gpu.tp_link.
  std::vector<CommLink> pp_links;
};

/// Checks an instance can be modelled: dense model, 1 <= pp <= layers with a link between
/// stages, tp dividing heads, KV heads and the MLP, a GPU with a rate for the precision. Throws
/// ConfigurationError saying what is expected.
void validate_inference_instance(const InferenceInstance& instance);

/// New prompt tokens of one sequence in one iteration.
struct PrefillChunk {
  double tokens = 0;       ///< prompt tokens processed now
  double past_tokens = 0;  ///< tokens of the sequence already in its KV cache
  bool last = true;        ///< the chunk ends the prompt: the sequence samples its first token
};

/// The work of one iteration.
struct StepBatch {
  std::vector<PrefillChunk> prefill;
  double decode_sequences = 0;       ///< sequences generating one token each
  double decode_context_tokens = 0;  ///< their KV-cache lengths summed (new token included)
};

/// Where one iteration's time goes, seconds (the parts sum to total_s): on one GPU, or with
/// pp > 1 summed over the stages one batch passes through.
struct StepTimes {
  double gemm_s = 0;  ///< the layers' linear layers
  double prefill_attention_s = 0;
  double decode_attention_s = 0;
  double memory_bound_s = 0;  ///< norms, RoPE, activation, embedding
  double tp_comm_s = 0;       ///< all-reduces (and the logits all-gather)
  double logits_s = 0;        ///< final norm, output layer, sampling
  double pp_comm_s = 0;       ///< activations sent between pipeline stages
  double total_s = 0;
  double kernels = 0;  ///< kernel launches (each kernel time includes one)

  /// Adds another step's (or stage's) parts, part by part.
  StepTimes& operator+=(const StepTimes& other) {
    gemm_s += other.gemm_s;
    prefill_attention_s += other.prefill_attention_s;
    decode_attention_s += other.decode_attention_s;
    memory_bound_s += other.memory_bound_s;
    tp_comm_s += other.tp_comm_s;
    logits_s += other.logits_s;
    pp_comm_s += other.pp_comm_s;
    total_s += other.total_s;
    kernels += other.kernels;
    return *this;
  }
};

/// One iteration of `batch` on `instance` (validate_inference_instance first): every stage in
/// turn and the sends between them.
StepTimes inference_step_times(const InferenceInstance& instance, const StepBatch& batch);

/// The kernels of pipeline `stage` alone (0 .. pp - 1; pp_comm_s 0).
StepTimes inference_stage_times(const InferenceInstance& instance, const StepBatch& batch,
                                int stage);

/// inference_step_times(...).total_s with the parts that depend only on the token count or on
/// the sequences sampling kept from earlier calls: the request-level simulation asks for
/// millions of iterations of the same instance. Same figure, bit for bit (tested).
class StepTimeTable {
 public:
  /// Throws ConfigurationError as validate_inference_instance does.
  explicit StepTimeTable(InferenceInstance instance);
  ~StepTimeTable();
  StepTimeTable(const StepTimeTable&) = delete;
  StepTimeTable& operator=(const StepTimeTable&) = delete;

  /// Seconds of one iteration of `batch`.
  double step_s(const StepBatch& batch);
  const InferenceInstance& instance() const { return instance_; }

 private:
  struct Cache;
  InferenceInstance instance_;
  std::unique_ptr<KernelModel> kernels_;
  std::unique_ptr<Cache> cache_;
};

/// Memory of one GPU of an instance and the KV cache it leaves; with pp > 1, of a GPU of the
/// stage whose cache holds the fewest blocks (limiting_stage), which limits the instance.
struct KvCapacity {
  double weights_bytes = 0;
  double workspace_bytes = 0;     ///< activations of max_num_tokens, logits, runtime reserve
  double kv_bytes = 0;            ///< the KV cache: fraction x (memory - weights - workspace)
  double kv_bytes_per_token = 0;  ///< on this GPU (its g / tp KV heads, all layers)
  long long kv_tokens = 0;        ///< whole blocks of tokens the cache holds
  long long kv_blocks = 0;        ///< blocks of tokens the instance holds (all its streams)
  int limiting_stage = 0;         ///< the pipeline stage these figures describe
};

/// The cache an engine with these limits gets. Throws ConfigurationError when the weights and
/// workspace of a stage do not fit in the GPU's memory.
KvCapacity kv_capacity(const InferenceInstance& instance, int max_batch_size, int max_num_tokens,
                       double kv_memory_fraction, int tokens_per_block);

/// Weight bytes on one GPU of pipeline `stage` of the instance.
double inference_weight_bytes(const InferenceInstance& instance, int stage = 0);

/// KV-cache bytes of one token on one GPU of pipeline `stage` (its layers, K and V of its g / tp
/// heads).
double kv_bytes_per_token(const InferenceInstance& instance, int stage = 0);

}  // namespace capsim
