// Closed-form estimate of one training iteration of a decoder-only transformer, dense or
// mixture-of-experts, under Megatron-style parallelism: tensor (with sequence parallelism),
// pipeline (1F1B, interleaved with vpp virtual stages), data (ZeRO stages 0-3), context (ring
// attention) and expert (all-to-all).
// Takes plain structs, no catalog or scenario types; runs in microseconds (one copy of the
// kernel parameters' provenance string is its only allocation).
//
// What this first form counts, and what it leaves out (reports must say so):
// - Parameters: weight matrices and norm weights; biases, position embeddings and Megatron's vocab
//   padding are not counted. Norm weights are treated as sharded by tp (really replicated; <0.01%).
// - FLOPs: Megatron convention. Per token per layer forward 2 x (matrix parameters) + 4 s h for
//   the attention scores (QK^T and PV over the full, non-causal s x s square); logits 2 h V;
//   backward = 2 x forward. Hardware FLOPs add recompute: Full one more forward of the layers (not
//   the logits), Selective the 4 s h attention-score part again (what FlashAttention does anyway).
//   Norms, softmax, activations and the optimizer are not counted as FLOPs.
// - Pipeline stages: layers_per_stage splits the l layers over pp stages. When pp divides l every
//   stage gets l / pp. Otherwise, with c = ceil(l / pp) and r = c pp - l short stages (0 < r < pp),
//   every stage gets c layers except these r, which get c - 1: the last stage, then the first
//   r - 1 stages (0, 1, ..., r - 2). So stage k has c - 1 layers iff k = pp - 1 or k < r - 1.
//   With r = 2 this is the Llama 3 recipe (Dubey et al. 2024, section 3.3.2): one layer fewer on
//   the first stage (embedding, most micro-batches in flight) and on the last (output layer and
//   loss); 126 layers over 16 stages give 7, fourteen 8s, 7. The last stage is shortened first
//   because its logits are the only extra compute a stage holds; the next short stages are the
//   earliest because 1F1B keeps the most activations there. pp > l is rejected (no empty stages).
// - Time: the pipeline runs at the pace of its slowest (bottleneck) stage: the one whose
//   micro-batch slot t_forward + t_backward is largest (the first such stage on a tie), counting
//   its layers' compute, tensor- and context-parallel traffic and, on the last stage, the logits.
//   With an even split that is always the last stage; with an uneven one an inner stage of c
//   layers can be slower than a last stage of c - 1 layers plus logits. 1F1B gives
//   (m + pp - 1) x (t_forward + t_backward) of the bottleneck stage; with uneven stages the
//   (pp - 1)-slot bubble is an upper bound (faster stages fill and drain quicker: the exact flow
//   shop is m slots of the bottleneck plus one slot of each other stage). Compute is every kernel
//   of the stage timed by the GPU's KernelModel (LayerKernels.hpp). Context- and
//   pipeline-parallel transfers sit on the critical path of every micro-batch; tensor-parallel
//   transfers add what TensorParallelComm.hpp says is not hidden (asynchronous backward
//   collectives; Transformer Engine's userbuffer schedule with overlap_tp_comm). With
//   overlap_dp_comm each stage's gradient reduction hides behind its last backward and its
//   parameter gather behind its first forward; the stage exposing the most sets the exposed
//   time. dp_comm_total_s keeps the full collective time.
// - Data parallel, over the local (tp-sharded) parameters of the largest stage (of all pp):
//   ZeRO-0 one all-reduce; ZeRO-1 a reduce-scatter of gradients and an all-gather of updated
//   weights; ZeRO-2 keeps only 1/dp of the gradients, so it reduce-scatters after every
//   micro-batch (m of them) plus one all-gather; ZeRO-3 per micro-batch a reduce-scatter and two
//   weight all-gathers (forward, backward). Gradients travel in fp32 (4 bytes, Megatron's rule
//   for bf16) unless grad_reduce_fp32 is off, weights in bf16. The Adam step is memory-bound:
//   30 bytes of HBM traffic per owned param.
// - Software (TrainingLayout): fused or materialized attention, sequence parallelism, dropout
//   (LayerKernels.hpp) and gradient accumulation fusion; without it every micro-batch's backward
//   ends with main_grad += grad over the stage's local parameters, 10 bytes each.
// - Interleaved stages with uneven layers: stage_layers() splits l over pp x vpp chunks by the
//   pipeline-stage rule above.
// - Memory: the stage with the largest need over all pp stages (the first such on a tie). Stage k
//   keeps min(pp - k, m) micro-batches of its own layers in flight; the first also holds the
//   embedding, the last the output layer and the logits kept for the loss's backward. With an even
//   split the first or the last is the peak, but with an uneven one a full inner stage can exceed
//   both (Llama 3.1 405B PP16: stage 1, 8 layers x 15 micro-batches, over stage 0, 7 x 16).
//   Activations follow Korthikanti et al. 2022 with tensor widths generalised to grouped-query
//   attention and gated MLPs; s = seq_len / cp.
//   Recompute::None stores the a s^2 scores as the paper does without FlashAttention; with
//   FlashAttention, Selective is the matching memory and FLOP model.
// - Mixture of experts (ModelShape::moe_experts = E > 0): every layer's MLP is an MoE layer, as
//   in Mixtral and DBRX (no dense MLP layers in between, no shared expert): a router, one h x E
//   matrix, sends each token to its top k = moe_topk experts, each an MLP of width ffn_hidden
//   (gated or not, like the dense MLP). ParameterCounts::total holds all E experts and the
//   router, ParameterCounts::active the k experts one token uses. Model FLOPs per token and
//   layer forward = 2 x (attention + router + k experts' matrices) + 4 s h, i.e. Megatron-Core's
//   formula with its experts routed to = k, plus the router's 2 h E (which that formula omits).
//   Routing is assumed balanced: each expert gets k / E of the tokens (no capacity factor, no
//   dropped tokens, no load-balancing loss kernels).
// - Expert parallelism (TrainingLayout::ep), Megatron-Core's convention: EP is carved out of the
//   data x context-parallel ranks (ep divides dp x cp and E); the experts' tensor parallelism is
//   tp (Megatron's default expert_tensor_parallel_size). The EP group is ep consecutive ranks of
//   the data dimension (cp fastest, then dp), stride tp; the expert-data-parallel group is the
//   dp x cp / ep ranks holding the same experts, stride tp x ep (Megatron-Core's MoE parallel
//   folding; with cp = 1 the EP group lies within the dp group). A GPU holds E / ep experts, each
//   tp-sharded: expert parameters per GPU = layers x E x MLP / (tp ep). Their gradients are
//   reduced, and ZeRO shards their states, over the dp x cp / ep expert-data-parallel ranks
//   (added to the data-parallel traffic, same overlap rule); every other parameter as before over
//   dp. With ep = 1 the experts are ordinary data-parallel weights, reduced and sharded over dp.
//   Per layer and micro-batch a GPU (t = b s / cp tokens, t / tp of them sequence-parallel) runs:
//   the router GEMM on its t / tp tokens; the permute (read t h / tp, write k t h / tp) and
//   unpermute kernels; an all-to-all dispatching the k t h / tp routed copies (2 bytes each) over
//   the EP group; a tensor-parallel all-gather of the k t h routed tokens; the E / ep local
//   experts as grouped GEMMs of k t ep / E tokens each (width ffn / tp; per expert timed by the
//   kernel model, one launch per grouped GEMM); a tensor-parallel reduce-scatter; the combining
//   all-to-all. Backward runs the two all-to-alls on the gradients (with full recompute, the
//   forward's two again). All-to-alls are exposed (not overlapped with compute).
// - Activations, gradients reduced and p2p messages are 16-bit (2 bytes) also for FP8 layouts, as
//   in Transformer Engine FP8 recipes; `precision` only tells the caller which peak to pass.
// - Left out: the logits stage's extra all-gather/reduce-scatter around the output layer, the
//   vocab-parallel cross-entropy all-reduces, the tied-embedding gradient all-reduce between first
//   and last stage, kernel launch gaps between kernels, contention between overlapped
//   communication and compute, stragglers, ZeRO-3 gather buffers. Kernel times include the
//   GPU's power limit where it was measured (KernelModel.hpp).
#pragma once

#include <string>
#include <vector>

#include "capsim/models/Collectives.hpp"
#include "capsim/models/KernelModel.hpp"

namespace capsim {

/// Architecture of a decoder-only transformer, dense or mixture-of-experts (sizes are counts,
/// not bytes).
struct ModelShape {
  int layers = 0;                ///< transformer blocks l
  int hidden = 0;                ///< model width h; head_dim = hidden / heads
  int heads = 0;                 ///< query heads a
  int kv_heads = 0;              ///< key/value heads (== heads without grouped-query attention)
  int ffn_hidden = 0;            ///< MLP inner width
  int vocab = 0;                 ///< vocabulary size V, unpadded
  bool gated_mlp = false;        ///< SwiGLU-style MLP: three h x ffn matrices instead of two
  bool tied_embeddings = false;  ///< output layer shares the input embedding matrix
  int moe_experts = 0;           ///< experts E of every layer's MoE MLP; 0 = dense MLP
  int moe_topk = 0;              ///< experts each token is routed to, 1..E (0 when dense)
};

/// Number format of the matmuls; selects which peak the caller puts in GpuPerformance.
enum class Precision { BF16, FP8 };

/// Activation recomputation: none, attention scores only (Korthikanti et al. 2022), whole layer.
enum class Recompute { None, Selective, Full };

/// How the attention core runs. Fused: one FlashAttention-style kernel over the causal half,
/// no s x s tensor in memory (FlashAttention, cuDNN; every framework since 2022-23). Materialized:
/// Megatron-LM before FlashAttention (Narayanan et al. SC'21): a batched GEMM writes the full
/// s x s scores, a fused scale-mask-softmax reads and rewrites them, dropout (when on) reads them
/// and writes its output and mask, a second batched GEMM reads the result.
enum class AttentionKernel { Fused, Materialized };

/// How one training job is split over the cluster, and its batch.
struct TrainingLayout {
  int tp = 1;            ///< tensor-parallel size (with sequence parallelism)
  int pp = 1;            ///< pipeline stages
  int dp = 1;            ///< data-parallel replicas
  int cp = 1;            ///< context-parallel size (ring attention)
  int vpp = 1;           ///< virtual pipeline stages per GPU (interleaved 1F1B); 1 = plain 1F1B
  int ep = 1;            ///< expert-parallel size, carved out of dp x cp (MoE models only)
  int micro_batch = 1;   ///< sequences per micro-batch per replica
  int global_batch = 1;  ///< sequences per iteration, all replicas together
  int seq_len = 1;       ///< tokens per sequence
  int zero_stage = 0;    ///< 0 none, 1 optimizer states, 2 +gradients, 3 +weights
  Recompute recompute = Recompute::None;
  Precision precision = Precision::BF16;
  /// Data-parallel collectives overlap the backward (gradient reduction, Megatron's
  /// --overlap-grad-reduce) and the next forward (parameter all-gather, --overlap-param-gather).
  /// Off by default, as in Megatron-LM's arguments.
  bool overlap_dp_comm = false;
  /// Tensor-parallel all-gathers/reduce-scatters overlap the GEMMs next to them
  /// (Transformer Engine's userbuffers, Megatron's --tp-comm-overlap; TensorParallelComm.hpp).
  /// Needs sequence_parallel.
  bool overlap_tp_comm = false;
  /// Data-parallel gradient reductions in fp32 (Megatron-LM's rule for bf16 training); false
  /// reduces them in bf16, half the bytes.
  bool grad_reduce_fp32 = true;
  AttentionKernel attention = AttentionKernel::Fused;
  /// Sequence parallelism with tp > 1 (Korthikanti et al. 2022): norms, dropout and residual adds
  /// run on 1/tp of the tokens and their activations are stored once over the tp group. Off,
  /// every tp rank runs them on all tokens and stores them (Megatron-LM before 2022); the
  /// tensor-parallel all-reduces move the same bytes as the all-gather + reduce-scatter pairs.
  bool sequence_parallel = true;
  /// Hidden and attention dropout (GPT-3-style p = 0.1): the residual adds also write a 1-byte
  /// mask (read back in backward) and, with materialized attention, a dropout kernel runs on the
  /// scores. Off by default: modern pre-training runs without dropout.
  bool dropout = false;
  /// The weight-gradient GEMMs accumulate straight into the fp32 main gradients (Megatron's
  /// gradient accumulation fusion, on by default since 2022). Off, each micro-batch's backward
  /// ends with Megatron's DDP hook `main_grad.add_(grad)` over every local parameter: a
  /// memory-bound pass of kGradAccumulateBytesPerParam.
  bool grad_accumulation_fusion = true;
  /// The loss over the vocabulary as a single-pass fused kernel instead of PyTorch ops over an
  /// fp32 copy of the logits (Megatron-LM's default vocab-parallel cross-entropy, and
  /// `F.cross_entropy(logits.float(), ...)`); passes and bytes in LayerKernels.cpp.
  bool fused_cross_entropy = false;
};

/// What one GPU achieves: its kernels' physical parameters (KernelModel.hpp), the peak MFU and
/// HFU are reported against, and its memory.
struct GpuPerformance {
  double peak_flop_per_s = 0.0;  ///< dense peak for the layout's precision, FLOP/s
  double memory_bytes = 0.0;     ///< usable device memory, bytes
  KernelParameters kernels;      ///< calibrated or default kernel parameters
};

/// How the job's data-parallel rings slow each other where they share fabric links
/// (RingContention.hpp): run all at once, a ring takes `sharing` times its time alone; the rings
/// sharing the busiest link belong to stages up to `stage_span` apart, which finish their last
/// backward that many backward slots apart (1F1B), so the first run alone for a while.
struct DpContention {
  double sharing = 1.0;  ///< >= 1; 1 = no link shared
  int stage_span = 0;    ///< 0 = the rings sharing it are of the same stage
};

/// The link each parallel group communicates over; a group of size 1 never uses its link.
struct CommPaths {
  CommLink tp;                 ///< tensor-parallel group (usually NVLink)
  CommLink pp;                 ///< between adjacent pipeline stages
  CommLink dp;                 ///< data-parallel group, one ring alone on its share of the topology
  CommLink cp;                 ///< context-parallel ring
  CommLink ep;                 ///< expert-parallel all-to-all group (ep ranks, stride tp)
  CommLink ep_dp;              ///< expert-data-parallel group (dp x cp / ep ranks, stride tp x ep)
  DpContention dp_contention;  ///< the dp rings on shared links under static routing
};

/// Parameter counts (not bytes) of a ModelShape; biases are not counted.
struct ParameterCounts {
  double layer_matrices = 0.0;  ///< attention + MLP (MoE: router + all E experts) matrices, 1 layer
  double layer_expert_matrices = 0.0;  ///< the E experts' matrices of one layer; 0 when dense
  double layer_active_matrices = 0.0;  ///< matrices a token uses: attention (+ router, k experts)
  double layer_norms = 0.0;            ///< the two norm weight vectors of one layer (2 h)
  double embedding = 0.0;              ///< input embedding V h
  double output_layer = 0.0;           ///< output projection V h, 0 when tied
  double final_norm = 0.0;             ///< h
  double total = 0.0;                  ///< everything above, all layers
  double active = 0.0;                 ///< parameters a token uses (total less E - k experts)
};

/// FLOP counts of one iteration (whole job, all GPUs together).
struct TrainingFlops {
  double layer_forward_per_token =
      0.0;  ///< one layer's forward FLOPs per token (matrices + scores)
  double attention_scores_forward_per_token = 0.0;  ///< the 4 s h score part of the above
  double logits_forward_per_token = 0.0;            ///< output layer forward FLOPs per token, 2 h V
  double model_per_token = 0.0;         ///< forward + backward FLOPs per token, no recompute
  double model_per_iteration = 0.0;     ///< model FLOPs of global_batch x seq_len tokens
  double hardware_per_iteration = 0.0;  ///< model FLOPs plus recomputation
};

/// One micro-batch on the bottleneck pipeline stage (the slowest; see the overview), per GPU,
/// seconds.
struct MicroBatchTimes {
  double compute_forward_s = 0.0;   ///< forward kernels of the stage's layers (+ logits)
  double compute_backward_s = 0.0;  ///< backward, including recompute
  double tp_forward_s = 0.0;        ///< sequence-parallel all-gathers / reduce-scatters, forward
  double tp_backward_s = 0.0;       ///< same in backward (twice with full recompute)
  double cp_forward_s = 0.0;        ///< ring-attention K/V passing, forward
  double cp_backward_s = 0.0;       ///< K/V and their gradients, backward (+forward again if Full)
  double pp_forward_s = 0.0;        ///< activation send to the next stage
  double pp_backward_s = 0.0;       ///< gradient send to the previous stage
  double ep_forward_s = 0.0;        ///< expert-parallel dispatch + combine all-to-alls, forward
  double ep_backward_s = 0.0;       ///< their gradients backward (+ forward's again if Full)
  double forward_s = 0.0;           ///< sum of the forward parts
  double backward_s = 0.0;          ///< sum of the backward parts
  int stage = 0;                    ///< 0-based bottleneck stage these times are for
  int layers = 0;                   ///< transformer layers that stage holds
};

/// Where one iteration's time goes; the fields sum to TrainingEstimate::iteration_s (seconds).
struct IterationBreakdown {
  double compute_s = 0.0;    ///< m x (forward + backward compute)
  double tp_comm_s = 0.0;    ///< m x tensor-parallel communication
  double cp_comm_s = 0.0;    ///< m x context-parallel communication
  double pp_comm_s = 0.0;    ///< m x pipeline sends
  double ep_comm_s = 0.0;    ///< m x expert-parallel all-to-alls
  double dp_comm_s = 0.0;    ///< exposed data-parallel communication (see overlap_dp_comm)
  double bubble_s = 0.0;     ///< (pp - 1) x (forward + backward) of the bottleneck stage's slot
  double optimizer_s = 0.0;  ///< Adam step, memory-bound
  /// waiting for input data the storage could not deliver in time (DataLoading.hpp); added by
  /// the plan, 0 in estimate_training
  double input_stall_s = 0.0;
};

/// Memory one GPU of one pipeline stage needs at its peak, bytes. ZeRO divides the dense
/// parameters' states by dp and the experts' by expert_data_parallel_size.
struct MemoryBreakdown {
  int stage = 0;                   ///< 0-based pipeline stage this breakdown is for
  int stages = 1;                  ///< pp
  double weights_bytes = 0.0;      ///< bf16 weights (2 bytes/param), /dp under ZeRO-3
  double gradients_bytes = 0.0;    ///< fp32 main gradients (4 bytes/param), /dp under ZeRO >= 2
  double optimizer_bytes = 0.0;    ///< Adam fp32 master + 2 moments (12 bytes/param), /dp ZeRO >= 1
  double activations_bytes = 0.0;  ///< stored activations of all micro-batches in flight
  double logits_bytes = 0.0;       ///< logits kept for the loss's backward (last stage only)
  double total_bytes = 0.0;        ///< sum of the above
  double capacity_bytes = 0.0;     ///< GpuPerformance::memory_bytes
  bool fits = false;               ///< total_bytes <= capacity_bytes
};

/// Result of estimate_training. Times in seconds, FLOPs as counts, rates per second.
struct TrainingEstimate {
  ParameterCounts parameters;     ///< whole model
  double stage_parameters = 0.0;  ///< params one GPU of the largest stage (any) holds, pre-ZeRO
  int micro_batches = 0;          ///< m = global_batch / (dp x micro_batch)
  TrainingFlops flops;            ///< whole job, per iteration
  MicroBatchTimes micro_batch;    ///< one micro-batch slot on the bottleneck stage
  IterationBreakdown breakdown;   ///< sums to iteration_s
  double dp_comm_total_s = 0.0;   ///< all data-parallel collective time, hidden or not
  double iteration_s = 0.0;       ///< one optimizer step, seconds
  double tokens_per_s = 0.0;      ///< global_batch x seq_len / iteration_s
  double mfu = 0.0;               ///< model FLOPs / (iteration_s x GPUs x peak)
  double hfu = 0.0;               ///< hardware FLOPs / (iteration_s x GPUs x peak)
  MemoryBreakdown memory;         ///< the pipeline stage with the largest need
};

/// Bytes per element and per parameter the estimate assumes (documented, not configurable yet).
inline constexpr double kActivationBytes = 2.0;      ///< bf16 activations, p2p and TP messages
inline constexpr double kWeightBytesPerParam = 2.0;  ///< bf16 weights
inline constexpr double kGradBytesPerParam = 4.0;    ///< fp32 main gradients (Megatron)
/// Gradients reduced over dp per parameter: fp32 by default, as Megatron-LM does for bf16
/// training ("bfloat16 requires gradient accumulation and all-reduce to be done in fp32",
/// arguments.py); 2 bytes with TrainingLayout::grad_reduce_fp32 off (--grad-reduce-in-bf16).
inline constexpr double kGradReduceFp32BytesPerParam = 4.0;
inline constexpr double kGradReduceBf16BytesPerParam = 2.0;
inline constexpr double kAdamStateBytesPerParam = 12.0;  ///< fp32 master, momentum, variance
/// HBM traffic of one Adam step per owned parameter: read grad, master, m, v (16); write
/// master, m, v (12) and the bf16 weight (2).
inline constexpr double kAdamStepBytesPerParam = 30.0;
/// Logits kept for the backward per element: the fp32 softmax of an unfused cross-entropy, or
/// the bf16 logits a fused one reads again.
inline constexpr double kLogitBytes = 4.0;
inline constexpr double kFusedLogitBytes = 2.0;
/// Unfused gradient accumulation per parameter and micro-batch: read the fp32 main gradient (4)
/// and the bf16 gradient (2), write the main gradient (4).
inline constexpr double kGradAccumulateBytesPerParam = 10.0;

/// Throws ConfigurationError naming the first bad value of the model, layout, GPU or GPU count.
void validate_training_inputs(const ModelShape& model, const TrainingLayout& layout,
                              const GpuPerformance& gpu, int total_gpus);

/// Throws ConfigurationError for a non-positive size, hidden not divisible by heads, heads
/// not divisible by kv_heads, negative moe_experts, or moe_topk outside 1..moe_experts (0 when
/// dense).
void validate_model_shape(const ModelShape& model);

/// Counts parameters; validates the shape first (validate_model_shape).
ParameterCounts count_parameters(const ModelShape& model);

/// Transformer layers of each of the `pp` pipeline stages, by the rule in the overview: l / pp
/// each when pp divides l; otherwise c = ceil(l / pp) except c - 1 on the last stage and on
/// stages 0 .. r - 2, r = c pp - l. E.g. 126 over 16: 7, 8 x 14, 7; 10 over 4: 2, 3, 3, 2.
/// Throws ConfigurationError unless 1 <= pp <= layers.
std::vector<int> layers_per_stage(const ModelShape& model, int pp);

/// Layers of 0-based `stage` alone, the same rule without allocating; throws like
/// layers_per_stage, or for a stage outside 0 .. pp - 1.
int stage_layer_count(const ModelShape& model, int pp, int stage);

/// Layers 0-based pipeline `stage` of `layout` holds: stage_layer_count(model, pp, stage) without
/// interleaving; with vpp > 1 the sum of its vpp virtual stages k, k + pp, ..., whose layers
/// follow the same rule over pp x vpp chunks (126 layers, pp 16, vpp 4: 64 chunks of 2 layers
/// but the last and the first, of 1; stage 0 holds 1 + 2 + 2 + 2 = 7, stage 15 2 + 2 + 2 + 1).
/// Throws ConfigurationError as stage_layer_count does.
int stage_layers(const ModelShape& model, const TrainingLayout& layout, int stage);

/// Parameters held by 0-based pipeline `stage` of `pp` (its stage_layer_count layers, plus the
/// embedding on the first stage and the output layer, or a tied copy, and final norm on the last),
/// unsharded.
double stage_parameter_count(const ModelShape& model, int pp, int stage);

/// Parameters one GPU of 0-based pipeline `stage` holds before ZeRO sharding, split by the group
/// that reduces their gradients and shards their states.
struct LocalParameters {
  double dense = 0.0;    ///< all but the experts, / tp; data-parallel over dp
  double experts = 0.0;  ///< the stage's E / ep local experts, / tp; over the expert-DP group
  double total() const { return dense + experts; }
};
LocalParameters local_stage_parameters(const ModelShape& model, const TrainingLayout& layout,
                                       int stage);

/// GPUs holding the same experts, over which their gradients are reduced and ZeRO shards their
/// states: dp x cp / ep when ep > 1; dp when ep = 1 (experts are then ordinary data-parallel
/// weights, like every other parameter).
int expert_data_parallel_size(const TrainingLayout& layout);

/// Model and hardware FLOPs of one iteration (uses global_batch, seq_len and recompute only).
TrainingFlops count_training_flops(const ModelShape& model, const TrainingLayout& layout);

/// Stored activation bytes of one layer for one micro-batch on one GPU (Korthikanti et al. 2022,
/// generalised to grouped-query attention and gated MLPs), with s = seq_len / cp.
double layer_activation_bytes(const ModelShape& model, const TrainingLayout& layout);

/// Memory per GPU of the pipeline stage that needs the most (every stage is considered; the first
/// such on a tie); validates.
MemoryBreakdown estimate_memory(const ModelShape& model, const TrainingLayout& layout,
                                const GpuPerformance& gpu, int total_gpus);

/// The whole estimate; throws ConfigurationError for an invalid combination (see
/// validate_training_inputs) or a link that a group larger than one GPU would need.
TrainingEstimate estimate_training(const ModelShape& model, const TrainingLayout& layout,
                                   const GpuPerformance& gpu, const CommPaths& comm,
                                   int total_gpus);

/// One pipeline stage's share of the estimate: what the simulator plays out for that stage.
struct StageEstimate {
  MicroBatchTimes micro_batch;     ///< one micro-batch on this stage (its own layers and links)
  double dp_comm_total_s = 0.0;    ///< this stage's data-parallel collectives, hidden or not
  double dp_comm_exposed_s = 0.0;  ///< the part not hidden behind its compute (overlap_dp_comm)
};

/// Every pipeline stage's StageEstimate, index = stage, computed as estimate_training computes
/// them (its micro_batch is the slowest of these, its breakdown.dp_comm_s the largest exposed
/// dp time). Validates and throws like estimate_training.
std::vector<StageEstimate> estimate_stages(const ModelShape& model, const TrainingLayout& layout,
                                           const GpuPerformance& gpu, const CommPaths& comm,
                                           int total_gpus);

/// One line in GiB, e.g. "stage 1 of 4: weights 3.74 GiB + gradients ... = 71.2 GiB of
/// 80.0 GiB (fits)".
std::string describe(const MemoryBreakdown& memory);

}  // namespace capsim
