// fit_kernel_parameters: the staged least-squares fit described in Calibration.hpp.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "capsim/models/Calibration.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

using Objective = std::function<double(double)>;

// Minimum of a one-dimensional function on [low, high] by golden-section search: deterministic
// and derivative-free, which the model's ceil/min/max kinks need.
double golden_section(const Objective& f, double low, double high) {
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double c = high - ratio * (high - low), d = low + ratio * (high - low);
  double fc = f(c), fd = f(d);
  for (int i = 0; i < 100 && high - low > 1e-12 * (std::fabs(low) + std::fabs(high)); ++i) {
    if (fc < fd) {
      high = d, d = c, fd = fc;
      c = high - ratio * (high - low), fc = f(c);
    } else {
      low = c, c = d, fc = fd;
      d = low + ratio * (high - low), fd = f(d);
    }
  }
  return (low + high) / 2;
}

struct Coordinate {
  double* value;
  double low, high;
};

// Coordinate descent: golden-section search along each coordinate in turn until a full sweep
// moves no coordinate by more than `tolerance` of its range. Near the minimum the error is flat to
// rounding, so moves of ~1e-8 of the range are noise: 1e-7 is as fine as it can resolve.
void coordinate_descent(const std::function<double()>& error, std::vector<Coordinate> axes,
                        double tolerance = 1e-7) {
  for (int sweep = 0; sweep < 200; ++sweep) {
    double largest_move = 0;
    for (auto& axis : axes) {
      const double before = *axis.value;
      *axis.value = golden_section(
          [&](double x) {
            const double saved = *axis.value;
            *axis.value = x;
            const double e = error();
            *axis.value = saved;
            return e;
          },
          axis.low, axis.high);
      largest_move =
          std::max(largest_move, std::fabs(*axis.value - before) / (axis.high - axis.low));
    }
    if (largest_move < tolerance) return;
  }
}

double squared_log(double predicted, double measured) {
  const double e = std::log(predicted / measured);
  return e * e;
}

// Copies larger than this are far beyond the 50-60 MB L2 of the measured GPUs: they run at HBM
// speed, not L2 speed.
constexpr double kMinUncachedCopyBytes = 256.0 * 1024 * 1024;
// The head dimension of every catalog model; see KernelModel.hpp for the d = 64 rows.
constexpr double kFittedHeadDim = 128;

double fit_bandwidth(const CublasSweep& sweep, double launch_s) {
  std::vector<CopyMeasurement> rows;
  for (const auto& c : sweep.copies) {
    if (c.bytes >= kMinUncachedCopyBytes) rows.push_back(c);
  }
  if (rows.empty()) {
    throw InputError({sweep.file, 0, 0}, "",
                     "no copy rows of at least 256 MiB to fit the memory bandwidth",
                     "copy rows larger than the GPU's L2 cache");
  }
  // Fit log(bandwidth): the search then treats every factor of two alike.
  const double log_bw = golden_section(
      [&](double x) {
        double e = 0;
        for (const auto& c : rows) {
          e += squared_log(launch_s + 2 * c.bytes / std::exp(x), c.seconds);
        }
        return e;
      },
      std::log(1e9), std::log(1e14));
  return std::exp(log_bw);
}

double gemm_error(const KernelParameters& p, const std::vector<GemmMeasurement>& rows) {
  const KernelModel model(p);
  double e = 0;
  for (const auto& g : rows) {
    e += squared_log(model.gemm_isolated_s(g.m, g.n, g.k, g.precision), g.seconds);
  }
  return e;
}

std::vector<GemmMeasurement> gemm_rows(const CublasSweep& sweep, const std::string& dtype) {
  std::vector<GemmMeasurement> rows;
  for (const auto& g : sweep.gemms) {
    if (g.dtype == dtype) rows.push_back(g);
  }
  if (rows.empty()) {
    throw InputError({sweep.file, 0, 0}, "", "no " + dtype + " GEMM rows to fit",
                     "a cuBLAS sweep with " + dtype + " rows");
  }
  return rows;
}

// Stages 3 and 3b: one precision's GEMM efficiency, every other parameter as fitted for bf16.
void fit_gemm_rate(KernelParameters& p, double KernelParameters::*efficiency,
                   const std::vector<GemmMeasurement>& rows) {
  p.*efficiency = golden_section(
      [&](double x) {
        KernelParameters q = p;
        q.*efficiency = x;
        return gemm_error(q, rows);
      },
      0.05, 1.0);
}

// The L2 bandwidth is searched between the HBM bandwidth behind it and this many times that.
constexpr double kMaxL2ToHbmBandwidth = 8;

// Stage 2, one tile shape: efficiency, k overhead, launch and (when the L2 size is known) the L2
// bandwidth from the values already in `p`. Sweep rows are short bursts of one GEMM back to
// back, so they are compared with KernelModel::gemm_isolated_s.
double fit_gemm_tile(KernelParameters& p, const std::vector<GemmMeasurement>& rows,
                     double max_launch_s, double tolerance) {
  // The L2 bandwidth is searched as its logarithm, as the HBM bandwidth is: past the rate at
  // which no L2-resident row is memory-bound any more the error is flat, and a linear search
  // over [1, 8] x HBM would start its bracket on that plateau.
  const bool fit_l2 = p.l2_cache_bytes > 0;
  double log_l2_Bps = std::log(fit_l2 ? p.l2_bandwidth_Bps : p.memory_bandwidth_Bps);
  auto error = [&] {
    if (fit_l2) p.l2_bandwidth_Bps = std::exp(log_l2_Bps);
    return gemm_error(p, rows);
  };
  std::vector<Coordinate> axes{{&p.gemm_efficiency_bf16, 0.05, 1.0},
                               {&p.gemm_k_overhead, 0.0, 4096.0},
                               {&p.launch_s, 0.0, max_launch_s}};
  if (fit_l2) {
    axes.push_back({&log_l2_Bps, std::log(p.memory_bandwidth_Bps),
                    std::log(kMaxL2ToHbmBandwidth * p.memory_bandwidth_Bps)});
  }
  coordinate_descent(error, axes, tolerance);
  return error();
}

// Stage 2: the tile shape with the least error. Tiles differ in error by several per cent, so a
// coarse fit per tile decides; the caller refines the winner.
void fit_gemm_bf16(KernelParameters& p, const std::vector<GemmMeasurement>& rows,
                   double max_launch_s) {
  double best_error = std::numeric_limits<double>::infinity();
  KernelParameters best = p;
  for (int tile_m : {64, 128, 256}) {
    for (int tile_n : {64, 128, 256}) {
      if (tile_m > tile_n) continue;  // the model tries both orientations anyway
      KernelParameters q = p;
      q.gemm_tile_m = tile_m;
      q.gemm_tile_n = tile_n;
      q.gemm_efficiency_bf16 = 0.8;
      q.gemm_k_overhead = 128;
      q.launch_s = max_launch_s / 2;
      if (q.l2_cache_bytes > 0) q.l2_bandwidth_Bps = 2 * q.memory_bandwidth_Bps;
      const double error = fit_gemm_tile(q, rows, max_launch_s, 1e-5);
      if (error < best_error) best_error = error, best = q;
    }
  }
  p = best;
}

struct AttentionRow {
  double batch, heads, seq_len, head_dim, seconds;
};

// Stage 4, one pass: efficiency, half-saturation length and last-wave tail.
struct AttentionFit {
  double efficiency = 0, half_seq = 0, tail_rows = 0;
};
AttentionFit fit_attention(const KernelParameters& base, const std::vector<AttentionRow>& rows,
                           bool backward, const std::string& file) {
  if (rows.empty()) {
    throw InputError({file, 0, 0}, "",
                     std::string("no causal head-dimension-128 ") +
                         (backward ? "sdpa_fwd_bwd" : "sdpa_fwd") + " rows to fit attention",
                     "rows as described in calibration/README.md");
  }
  KernelParameters p = base;
  double& eff = backward ? p.attention_efficiency_bwd : p.attention_efficiency_fwd;
  double& half = backward ? p.attention_half_seq_bwd : p.attention_half_seq_fwd;
  double& tail = backward ? p.attention_tail_rows_bwd : p.attention_tail_rows_fwd;
  eff = 0.6;
  half = 1024;
  tail = 0;
  auto error = [&] {
    const KernelModel model(p);
    double e = 0;
    for (const auto& r : rows) {
      // Each row is a short burst: the model's isolated times, without the power floor.
      const double t =
          backward ? model.attention_backward_isolated_s(r.batch, r.heads, r.seq_len, r.head_dim)
                   : model.attention_forward_isolated_s(r.batch, r.heads, r.seq_len, r.head_dim);
      e += squared_log(t, r.seconds);
    }
    return e;
  };
  coordinate_descent(error, {{&eff, 0.05, 1.0}, {&half, 0.0, 65536.0}, {&tail, 0.0, 1e6}});
  return {eff, half, tail};
}

}  // namespace

KernelParameters fit_kernel_parameters(const KernelMeasurements& measurements, const GpuSpec& gpu) {
  const CublasSweep& sweep = measurements.cublas;
  const AttentionPowerSweep& attention = measurements.attention;
  KernelParameters p;
  p.bf16_peak_flop_per_s = gpu.bf16_flop_per_s;
  p.fp8_peak_flop_per_s = gpu.fp8_flop_per_s;
  p.tf32_peak_flop_per_s = gpu.tf32_flop_per_s;
  p.gemm_efficiency_fp8 = gpu.matmul_efficiency_fp8;  // no FP8 rows: the published figure
  p.sm_count = sweep.sm_count;
  // The device's own L2 size where the measurements give it (capsim-calibrate), else the GPU's.
  p.l2_cache_bytes = sweep.l2_cache_bytes > 0 ? sweep.l2_cache_bytes : gpu.l2_cache_bytes;
  p.gemm_tile_m = p.gemm_tile_n = 128;

  // Stages 1-2: bandwidth and bf16 GEMMs depend on each other only through the launch cost,
  // the memory-bound GEMM rows and the L2 bandwidth's lower bound; a few rounds settle both. The
  // tile shape is chosen in the first round; later rounds refine its continuous parameters.
  const auto bf16 = gemm_rows(sweep, "bf16");
  double max_launch_s = bf16.front().seconds;  // no kernel is faster than its launch
  for (const auto& g : bf16) max_launch_s = std::min(max_launch_s, g.seconds);
  p.memory_bandwidth_Bps = fit_bandwidth(sweep, 0.0);
  fit_gemm_bf16(p, bf16, max_launch_s);
  for (int round = 0; round < 20; ++round) {
    const double bandwidth = fit_bandwidth(sweep, p.launch_s);
    const bool settled = std::fabs(bandwidth / p.memory_bandwidth_Bps - 1) < 1e-12;
    p.memory_bandwidth_Bps = bandwidth;
    if (settled) break;
    fit_gemm_tile(p, bf16, max_launch_s, 1e-7);
  }

  // Stage 3: TF32 runs the same tiles with 4-byte operands; only its rate is new.
  fit_gemm_rate(p, &KernelParameters::gemm_efficiency_tf32, gemm_rows(sweep, "tf32"));

  // Stage 3b: FP8 (profiles of capsim-calibrate; the CSVs have none): its rate, on the same tiles.
  bool has_fp8 = false;
  for (const auto& g : sweep.gemms) has_fp8 = has_fp8 || g.dtype == "fp8";
  if (has_fp8 && p.fp8_peak_flop_per_s > 0) {
    fit_gemm_rate(p, &KernelParameters::gemm_efficiency_fp8, gemm_rows(sweep, "fp8"));
  }

  auto base_name = [](const std::string& path) { return path.substr(path.find_last_of('/') + 1); };
  if (attention.attention.empty()) {
    // No attention rows (capsim-calibrate times no fused attention): the GPU's figures, scaled
    // by how its measured GEMM efficiency compares with the one they were set beside.
    const double scale =
        gpu.matmul_efficiency_bf16 > 0 ? p.gemm_efficiency_bf16 / gpu.matmul_efficiency_bf16 : 1;
    p.attention_efficiency_fwd = gpu.attention_efficiency_fwd * scale;
    p.attention_efficiency_bwd = gpu.attention_efficiency_bwd * scale;
    p.attention_half_seq_fwd = gpu.attention_half_seq_fwd;
    p.attention_half_seq_bwd = gpu.attention_half_seq_bwd;
    p.attention_tail_rows_fwd = gpu.attention_tail_rows_fwd;
    p.attention_tail_rows_bwd = gpu.attention_tail_rows_bwd;
    p.provenance = "calibrated: " + base_name(sweep.file) + " (attention scaled from the catalog)";
    return p;
  }

  // Stage 4: the backward time is the forward+backward row less the forward of the same shape.
  std::vector<AttentionRow> forward, backward;
  for (const auto& a : attention.attention) {
    if (a.backward || !a.causal || a.head_dim != kFittedHeadDim || a.query_len != a.key_len) {
      continue;
    }
    forward.push_back({a.batch, a.heads, a.key_len, a.head_dim, a.seconds});
    for (const auto& b : attention.attention) {
      if (b.backward && b.causal && b.batch == a.batch && b.heads == a.heads &&
          b.query_len == a.query_len && b.key_len == a.key_len && b.head_dim == a.head_dim &&
          b.seconds > a.seconds) {
        backward.push_back({a.batch, a.heads, a.key_len, a.head_dim, b.seconds - a.seconds});
      }
    }
  }
  const AttentionFit fwd = fit_attention(p, forward, false, attention.file);
  const AttentionFit bwd = fit_attention(p, backward, true, attention.file);
  p.attention_efficiency_fwd = fwd.efficiency;
  p.attention_half_seq_fwd = fwd.half_seq;
  p.attention_tail_rows_fwd = fwd.tail_rows;
  p.attention_efficiency_bwd = bwd.efficiency;
  p.attention_half_seq_bwd = bwd.half_seq;
  p.attention_tail_rows_bwd = bwd.tail_rows;

  p.provenance = "calibrated: " + base_name(sweep.file) + ", " + base_name(attention.file);
  return p;
}

double fit_decode_attention_Bps(const AttentionPowerSweep& sweep, double launch_s) {
  // seconds - launch = bytes x (1 / rate): a line through the origin, fitted in closed form.
  double sum_xy = 0, sum_xx = 0;
  for (const auto& d : sweep.decode) {
    const double bytes = d.read_Bps * d.seconds;
    sum_xy += bytes * (d.seconds - launch_s);
    sum_xx += bytes * bytes;
  }
  if (sweep.decode.empty() || !(sum_xy > 0)) {
    throw InputError(SourceLocation{sweep.file, 0, 0}, "decode_attn_bytes_TBps",
                     "has no decode-attention rows to fit", "decode_attn_bytes_TBps rows");
  }
  return sum_xx / sum_xy;
}

}  // namespace capsim
