#include "capsim/models/KernelModel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// A split-K kernel keeps at least this many k elements per split, so its software pipeline
// (k-blocks of 64 elements, about four stages in flight) stays full.
constexpr double kMinSplitKDepth = 256;
// Split-K partial sums are fp32: each split writes its m x n partials and a reduction reads them.
constexpr double kPartialSumBytes = 4;
// Flash-attention backward recomputes the scores and forms dQ, dK, dV: 2.5x the forward FLOPs.
constexpr double kAttentionBackwardFlops = 2.5;

struct PrecisionFigures {
  double peak_flop_per_s;
  double efficiency;
  double bytes_per_element;
  const char* name;
};

PrecisionFigures figures(const KernelParameters& p, MatmulPrecision precision) {
  switch (precision) {
    case MatmulPrecision::BF16:
      return {p.bf16_peak_flop_per_s, p.gemm_efficiency_bf16, 2, "bf16"};
    case MatmulPrecision::FP8:
      return {p.fp8_peak_flop_per_s, p.gemm_efficiency_fp8, 1, "fp8"};
    case MatmulPrecision::FP4:  // NVFP4: half a byte per value plus one 1-byte scale per 16
      return {p.fp4_peak_flop_per_s, p.gemm_efficiency_fp4, kNvfp4BytesPerElement, "fp4"};
    case MatmulPrecision::TF32:
      return {p.tf32_peak_flop_per_s, p.gemm_efficiency_tf32, 4, "tf32"};
  }
  return {0, 0, 0, "unknown"};
}

double causal_attention_flops(double batch, double heads, double seq_len, double head_dim) {
  return 2 * batch * heads * seq_len * seq_len * head_dim;
}

}  // namespace

KernelParameters kernel_parameters(const GpuSpec& gpu) {
  KernelParameters p;
  p.bf16_peak_flop_per_s = gpu.bf16_flop_per_s;
  p.fp8_peak_flop_per_s = gpu.fp8_flop_per_s;
  p.fp4_peak_flop_per_s = gpu.fp4_flop_per_s;
  p.tf32_peak_flop_per_s = gpu.tf32_flop_per_s;
  p.gemm_efficiency_bf16 = gpu.matmul_efficiency_bf16;
  p.gemm_efficiency_fp8 = gpu.matmul_efficiency_fp8;
  p.gemm_efficiency_fp4 = gpu.matmul_efficiency_fp4;
  p.gemm_efficiency_tf32 = gpu.matmul_efficiency_tf32;
  p.sm_count = gpu.sm_count;
  p.gemm_tile_m = gpu.gemm_tile_m;
  p.gemm_tile_n = gpu.gemm_tile_n;
  p.gemm_k_overhead = gpu.gemm_k_overhead;
  p.memory_bandwidth_Bps = gpu.memory_bandwidth_Bps * gpu.memory_efficiency;
  p.l2_cache_bytes = gpu.l2_cache_bytes;
  p.l2_bandwidth_Bps = gpu.l2_bandwidth_Bps;
  p.launch_s = gpu.launch_overhead_s;
  p.attention_efficiency_fwd = gpu.attention_efficiency_fwd;
  p.attention_efficiency_bwd = gpu.attention_efficiency_bwd;
  p.attention_half_seq_fwd = gpu.attention_half_seq_fwd;
  p.attention_half_seq_bwd = gpu.attention_half_seq_bwd;
  p.attention_tail_rows_fwd = gpu.attention_tail_rows_fwd;
  p.attention_tail_rows_bwd = gpu.attention_tail_rows_bwd;
  p.sustained_bf16_flop_per_s = gpu.sustained_matmul_bf16_flop_per_s;
  p.sustained_fp8_flop_per_s = gpu.sustained_matmul_fp8_flop_per_s;
  p.provenance = gpu.kernel_source;
  return p;
}

KernelModel::KernelModel(KernelParameters parameters) : p_(std::move(parameters)) {
  if (p_.sm_count < 1 || p_.gemm_tile_m < 1 || p_.gemm_tile_n < 1) {
    throw ConfigurationError("kernel model: sm_count, gemm_tile_m and gemm_tile_n must be >= 1");
  }
  if (!(p_.memory_bandwidth_Bps > 0) || !(p_.bf16_peak_flop_per_s > 0) || p_.launch_s < 0 ||
      p_.gemm_k_overhead < 0 || p_.l2_cache_bytes < 0 || p_.l2_bandwidth_Bps < 0) {
    throw ConfigurationError(
        "kernel model: memory bandwidth and BF16 peak must be > 0; launch, k overhead, L2 size "
        "and L2 bandwidth >= 0");
  }
}

double KernelModel::power_floor_s(double flops, bool sustained, MatmulPrecision precision) const {
  const double rate = precision == MatmulPrecision::BF16  ? p_.sustained_bf16_flop_per_s
                      : precision == MatmulPrecision::FP8 ? p_.sustained_fp8_flop_per_s
                                                          : 0.0;
  if (!sustained || !(rate > 0)) return 0.0;
  return flops / rate;
}

double KernelModel::gemm_configuration_s(double m, double n, double k, int tile_m, int tile_n,
                                         int split, double rate_flop_per_s,
                                         double bytes_per_element, double bandwidth_Bps) const {
  // Every SM runs whole tiles; the last wave may leave SMs idle (wave quantization), and padded
  // rows and columns of edge tiles cost as much as real ones.
  const double tiles = std::ceil(m / tile_m) * std::ceil(n / tile_n) * split;
  const double waves = std::ceil(tiles / p_.sm_count);
  const double tile_s =
      2.0 * tile_m * tile_n * (k / split + p_.gemm_k_overhead) / (rate_flop_per_s / p_.sm_count);
  double bytes = (m * k + k * n + m * n) * bytes_per_element;
  if (split > 1) bytes += 2.0 * split * m * n * kPartialSumBytes;
  return std::max(waves * tile_s, bytes / bandwidth_Bps);
}

double KernelModel::gemm_s(double m, double n, double k, MatmulPrecision precision) const {
  return gemm_time_s(m, n, k, precision, true, 1.0);
}

double KernelModel::gemm_sharing_s(double m, double n, double k, MatmulPrecision precision,
                                   double sm_share) const {
  if (!(sm_share > 0.0) || sm_share > 1.0) {
    throw ConfigurationError("kernel model: a GEMM's share of the SMs must be in (0, 1]");
  }
  return gemm_time_s(m, n, k, precision, true, sm_share);
}

double KernelModel::gemm_isolated_s(double m, double n, double k, MatmulPrecision precision) const {
  return gemm_time_s(m, n, k, precision, false, 1.0);
}

double KernelModel::gemm_time_s(double m, double n, double k, MatmulPrecision precision,
                                bool sustained, double sm_share) const {
  if (m <= 0 || n <= 0 || k <= 0) return 0.0;
  const PrecisionFigures f = figures(p_, precision);
  const double rate = f.peak_flop_per_s * f.efficiency * sm_share;
  if (!(rate > 0)) {
    throw ConfigurationError(std::string("kernel model: no ") + f.name +
                             " matmul rate for this GPU (peak or efficiency is 0)");
  }
  // A microbenchmark runs the same GEMM back to back: operands that fit in L2 stay resident
  // there between launches and move at L2 speed. In a training or serving step the layer's
  // operands were written by other kernels since, and come from HBM.
  const double operand_bytes = (m * k + k * n + m * n) * f.bytes_per_element;
  const double bandwidth_Bps =
      !sustained && p_.l2_bandwidth_Bps > 0 && operand_bytes <= p_.l2_cache_bytes
          ? p_.l2_bandwidth_Bps
          : p_.memory_bandwidth_Bps;
  const int tm = p_.gemm_tile_m;
  const int tn = p_.gemm_tile_n;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [tile_m, tile_n] : {std::pair{tm, tn}, std::pair{tn, tm}}) {
    best = std::min(best, gemm_configuration_s(m, n, k, tile_m, tile_n, 1, rate,
                                               f.bytes_per_element, bandwidth_Bps));
    // Splitting k only pays when output tiles alone leave SMs idle.
    const double tiles = std::ceil(m / tile_m) * std::ceil(n / tile_n);
    for (int split = 2; tiles * split <= p_.sm_count && k / split >= kMinSplitKDepth; split *= 2) {
      best = std::min(best, gemm_configuration_s(m, n, k, tile_m, tile_n, split, rate,
                                                 f.bytes_per_element, bandwidth_Bps));
    }
  }
  // Floors were measured for bf16 (fp16 runs at the same rate in this model) and fp8.
  return p_.launch_s + std::max(best, power_floor_s(2.0 * m * n * k, sustained, precision));
}

double KernelModel::attention_time_s(double batch, double heads, double seq_len, double head_dim,
                                     bool backward, bool sustained) const {
  if (batch <= 0 || heads <= 0 || seq_len <= 0 || head_dim <= 0) return 0.0;
  const double efficiency = backward ? p_.attention_efficiency_bwd : p_.attention_efficiency_fwd;
  const double half_seq = backward ? p_.attention_half_seq_bwd : p_.attention_half_seq_fwd;
  const double tail_rows = backward ? p_.attention_tail_rows_bwd : p_.attention_tail_rows_fwd;
  if (!(efficiency > 0)) {
    throw ConfigurationError(std::string("kernel model: attention_efficiency_") +
                             (backward ? "bwd" : "fwd") + " is 0");
  }
  const double flops = (backward ? kAttentionBackwardFlops : 1.0) *
                       causal_attention_flops(batch, heads, seq_len, head_dim);
  const double compute_s = flops / (p_.bf16_peak_flop_per_s * efficiency) *
                           (1 + half_seq / seq_len + tail_rows / (batch * heads * seq_len));
  return p_.launch_s + std::max(compute_s, power_floor_s(flops, sustained, MatmulPrecision::BF16));
}

double KernelModel::attention_forward_s(double batch, double heads, double seq_len,
                                        double head_dim) const {
  return attention_time_s(batch, heads, seq_len, head_dim, false, true);
}

double KernelModel::attention_backward_s(double batch, double heads, double seq_len,
                                         double head_dim) const {
  return attention_time_s(batch, heads, seq_len, head_dim, true, true);
}

double KernelModel::attention_forward_isolated_s(double batch, double heads, double seq_len,
                                                 double head_dim) const {
  return attention_time_s(batch, heads, seq_len, head_dim, false, false);
}

double KernelModel::attention_backward_isolated_s(double batch, double heads, double seq_len,
                                                  double head_dim) const {
  return attention_time_s(batch, heads, seq_len, head_dim, true, false);
}

double KernelModel::attention_prefill_s(double heads, const std::vector<PrefillChunkShape>& chunks,
                                        double head_dim) const {
  double flops = 0, rows = 0;
  for (const PrefillChunkShape& c : chunks) {
    if (c.query_len <= 0) continue;
    if (c.past_len < 0)
      throw ConfigurationError("kernel model: a prefill chunk's past is negative");
    flops += 2 * heads * c.query_len * (2 * c.past_len + c.query_len) * head_dim;
    rows += heads * c.query_len;
  }
  if (heads <= 0 || head_dim <= 0 || rows <= 0) return 0.0;
  if (!(p_.attention_efficiency_fwd > 0)) {
    throw ConfigurationError("kernel model: attention_efficiency_fwd is 0");
  }
  // Each query row costs attention_half_seq_fwd keys' work beyond its keys (see the overview);
  // for a whole sequence (past 0) this is the square's F (1 + s_half / s). The launch's last wave
  // costs attention_tail_rows_fwd rows of its average row work, flops / rows.
  const double row_flops = 2 * rows * p_.attention_half_seq_fwd * head_dim;
  const double tail_flops = p_.attention_tail_rows_fwd * flops / rows;
  const double compute_s =
      (flops + row_flops + tail_flops) / (p_.bf16_peak_flop_per_s * p_.attention_efficiency_fwd);
  return p_.launch_s + std::max(compute_s, power_floor_s(flops, true, MatmulPrecision::BF16));
}

double KernelModel::memory_bound_s(double bytes) const {
  if (bytes <= 0) return 0.0;
  return p_.launch_s + bytes / p_.memory_bandwidth_Bps;
}

}  // namespace capsim
