// Time of the kernels a training or serving step is made of, on one GPU: dense GEMMs, fused
// attention, memory-bound (elementwise, norm, optimizer) kernels and the launch overhead.
//
// Datasheet peaks are never used as achieved speed. A KernelModel holds physical parameters —
// the achievable matmul rate, the tile and wave quantization of the SMs, the per-tile pipeline
// overhead, the achieved memory bandwidth, the attention efficiency and the launch latency —
// either fitted to measurements of that GPU (a calibration, Calibration.hpp) or derived from
// published figures (a default); `provenance` says which, for the reports.
//
// The equations (SI units; P = dense peak of the precision, e = its efficiency, S = sm_count):
//   GEMM   t = launch + min over configurations c of max(compute_c, memory_c), where a
//          configuration is a tile orientation (tile_m x tile_n or tile_n x tile_m) and a split-K
//          factor s (1, or 2, 4, ... while tiles x s <= S and k / s >= 256):
//            compute_c = ceil(tiles x s / S) x 2 tm tn (k/s + k_overhead) / (P e / S)
//                      = 2 x m_padded x n_padded x (k + s k_overhead) / (P e) / wave_efficiency
//            memory_c  = ((mk + kn + mn) x bytes_per_element + [s > 1] 2 s mn x 4) / bandwidth
//          (split-K writes and re-reads fp32 partial sums). cuBLAS picks among such kernels; the
//          model takes the fastest, which is what its heuristics aim for. bandwidth is the
//          achieved HBM rate, except in gemm_isolated_s when the operands, (mk + kn + mn) x
//          bytes_per_element, fit in L2 (l2_cache_bytes): a microbenchmark runs one GEMM back to
//          back, so they stay resident in L2 and move at l2_bandwidth (fitted with the GEMM
//          figures, Calibration.hpp; 0 = no such term). In a training or serving step the
//          operands were written by other kernels in between, so the step's GEMMs read HBM.
//   Attention (fused, causal, FLOPs F = 2 b h s^2 d forward and 2.5 F backward)
//          t = launch + F / (P_bf16 x e_attn) x (1 + s_half / s + r_tail / (b h s))
//          The s_half / s term is a per-query-row cost (loading Q, writing O and the softmax
//          statistics) worth s_half keys; efficiency reaches half its long-sequence value at
//          s = s_half. The r_tail / (b h s) term is the last wave: the kernel spreads its b h s
//          query rows over the SMs in blocks whose causal work differs (the last block of a
//          sequence sees all s keys, the first one block's worth), so the SMs finish unevenly,
//          which costs about r_tail rows of average work whatever the size. It matters when
//          b x h is small, as for one tensor-parallel rank's heads at micro-batch 1 (8 heads:
//          a third of the time at 4096 tokens). Fitted on head dimension 128 (every catalog
//          model); at head dimension 64 the measured kernels are 15-30% slower than this predicts
//          (softmax-bound).
//   Memory-bound  t = launch + bytes / bandwidth (bytes read plus written).
//   Power cap: a GPU kept busy for seconds (a training or serving step) sits at its board power
//          limit, and the SM clock drops until the matmul rate is what that power buys. Measured
//          with kernels/SustainedGemm.cu (models/catalog/measurements/): three large bf16 GEMM
//          shapes run 800 TFLOP/s for the first 50 ms on an H100 SXM, then settle within a few
//          seconds at 679-684 (SM clock 1335-1380 MHz of 1980, 698 W of 700); on an H200 at
//          673-676 (1455-1530 MHz). So the plain GEMM and attention functions take at least
//          FLOPs / sustained_bf16 (the rate the GPU holds at its cap; no floor where it was not
//          measured); the *_isolated_s functions omit that floor, as a microbenchmark of short
//          bursts measures them (the calibration fits those). FP8 GEMMs have their own measured
//          sustained rate (H100 1219, H200 1231 TFLOP/s against ~1400 in short bursts); TF32
//          has none.
#pragma once

#include <string>
#include <vector>

namespace capsim {

struct GpuSpec;

/// FP16 runs at the BF16 rate: use BF16. FP4 is NVFP4: 4-bit values with one FP8 scale per 16.
enum class MatmulPrecision { BF16, FP8, FP4, TF32 };

/// Bytes per NVFP4 value: 4 bits plus one FP8 (E4M3) scale per block of 16 values (NVIDIA,
/// "Introducing NVFP4 for efficient and accurate low-precision inference", 2025).
inline constexpr double kNvfp4BytesPerElement = 0.5 + 1.0 / 16.0;

/// Physical parameters of one GPU's kernels (SI units; efficiencies are fractions of peak).
struct KernelParameters {
  double bf16_peak_flop_per_s = 0;  ///< datasheet dense peaks
  double fp8_peak_flop_per_s = 0;
  double fp4_peak_flop_per_s = 0;
  double tf32_peak_flop_per_s = 0;
  double gemm_efficiency_bf16 = 0;  ///< GEMM main-loop rate / peak (no tile or wave losses)
  double gemm_efficiency_fp8 = 0;
  double gemm_efficiency_fp4 = 0;
  double gemm_efficiency_tf32 = 0;
  int sm_count = 0;                     ///< streaming multiprocessors (wave quantization)
  int gemm_tile_m = 0;                  ///< output tile rows one SM computes at a time
  int gemm_tile_n = 0;                  ///< output tile columns
  double gemm_k_overhead = 0;           ///< per-tile prologue/epilogue cost, in units of k
  double memory_bandwidth_Bps = 0;      ///< achieved on large copies (read + write counted)
  double l2_cache_bytes = 0;            ///< L2 size; operands up to it stay resident back to back
  double l2_bandwidth_Bps = 0;          ///< GEMM operand traffic rate from L2; 0 = no L2 term
  double launch_s = 0;                  ///< fixed cost of one kernel launch
  double attention_efficiency_fwd = 0;  ///< long-sequence fused causal attention / BF16 peak, fwd
  double attention_efficiency_bwd = 0;  ///< same for the backward pass
  double attention_half_seq_fwd = 0;    ///< sequence length at half that efficiency, fwd
  double attention_half_seq_bwd = 0;    ///< same for the backward pass
  /// Query rows (batch x heads x tokens) of work the uneven last wave of a causal attention
  /// kernel adds, forward; it weighs as 1 / (batch x heads) of the rows (KernelModel.cpp).
  double attention_tail_rows_fwd = 0;
  double attention_tail_rows_bwd = 0;    ///< same for the backward pass
  double sustained_bf16_flop_per_s = 0;  ///< matmul rate held at the power cap; 0 = no floor
  double sustained_fp8_flop_per_s = 0;   ///< the same for FP8 GEMMs; 0 = no floor
  std::string provenance;                ///< "calibrated: <file>" or "default: <sources>"
};

/// The kernel parameters of a catalog GPU: peaks, efficiencies (matmul_efficiency_* for the
/// GEMMs), achieved bandwidth = memory_bandwidth x memory_efficiency, and the fitted or
/// estimated tile, overhead and attention figures; provenance = the entry's kernel_source.
KernelParameters kernel_parameters(const GpuSpec& gpu);

class KernelModel {
 public:
  explicit KernelModel(KernelParameters parameters);

  /// C[m x n] = A[m x k] B[k x n] in `precision` (2-byte operands for BF16, 1 for FP8, 4 for
  /// TF32), seconds, including one launch, on a GPU at its power cap (a training step); 0 when
  /// any dimension is 0. Throws ConfigurationError when the GPU has no rate for `precision`.
  double gemm_s(double m, double n, double k, MatmulPrecision precision) const;
  /// The same GEMM while other kernels (communication) hold 1 - sm_share of the SMs: the
  /// matmul rate scales by sm_share in (0, 1]; the power floor stays that of the whole GPU.
  double gemm_sharing_s(double m, double n, double k, MatmulPrecision precision,
                        double sm_share) const;
  /// The same GEMM alone on a GPU below its cap and launched back to back with the same
  /// operands (L2-resident when they fit), as a microbenchmark times it.
  double gemm_isolated_s(double m, double n, double k, MatmulPrecision precision) const;

  /// Fused causal attention forward over `batch` x `heads` sequences of `seq_len` queries and
  /// keys with head dimension `head_dim` (FLOPs counted as 2 b h s^2 d, the causal half of
  /// QK^T and PV), seconds.
  double attention_forward_s(double batch, double heads, double seq_len, double head_dim) const;
  /// The matching backward pass (2.5x the forward FLOPs), seconds.
  double attention_backward_s(double batch, double heads, double seq_len, double head_dim) const;
  /// Both alone on a GPU below its cap, as a microbenchmark times them.
  double attention_forward_isolated_s(double batch, double heads, double seq_len,
                                      double head_dim) const;
  double attention_backward_isolated_s(double batch, double heads, double seq_len,
                                       double head_dim) const;
  /// Fused causal attention forward of a serving step's prefill chunks in one variable-length
  /// launch: each chunk is `query_len` new tokens of one sequence attending to the `past_len`
  /// tokens already in its KV cache and causally to each other, `heads` query heads of
  /// `head_dim`; FLOPs 2 h c (2 p + c) d per chunk (c = query_len, p = past_len), the square's
  /// 2 h s^2 d at p = 0, with the per-query-row cost of the overview (s_half keys per row) and
  /// one last-wave tail for the launch (attention_tail_rows_fwd rows of the chunks' average row
  /// work), seconds, including one launch, at the power cap. One whole prompt (p = 0) costs what
  /// attention_forward_s gives for batch 1.
  struct PrefillChunkShape {
    double query_len = 0, past_len = 0;
  };
  double attention_prefill_s(double heads, const std::vector<PrefillChunkShape>& chunks,
                             double head_dim) const;

  /// A memory-bound kernel moving `bytes` (reads plus writes), seconds, including one launch.
  double memory_bound_s(double bytes) const;

  double launch_s() const { return p_.launch_s; }
  const KernelParameters& parameters() const { return p_; }

 private:
  /// The power floor on `flops` of matmul work in `precision`: its sustained rate when
  /// `sustained` and it was measured, else none (see the overview). 0 = no floor.
  double power_floor_s(double flops, bool sustained, MatmulPrecision precision) const;
  double gemm_time_s(double m, double n, double k, MatmulPrecision precision, bool sustained,
                     double sm_share) const;
  double attention_time_s(double batch, double heads, double seq_len, double head_dim,
                          bool backward, bool sustained) const;
  double gemm_configuration_s(double m, double n, double k, int tile_m, int tile_n, int split,
                              double rate_flop_per_s, double bytes_per_element,
                              double bandwidth_Bps) const;

  KernelParameters p_;
};

}  // namespace capsim
