// The kernel time model: hand-computed times, the catalog's kernel figures as the fit of the real
// H100/H200 measurements gives them, and how well the fitted model predicts those measurements.
#include "capsim/models/KernelModel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "capsim/models/Calibration.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// ---------------------------------------------------------------------------------------------
// (a) Hand-computed times. 4 SMs, 128 x 128 tiles, peak 1 PFLOP/s at 50%: 1.25e14 FLOP/s per SM.

KernelParameters toy() {
  KernelParameters p;
  p.bf16_peak_flop_per_s = 1e15;
  p.tf32_peak_flop_per_s = 0.5e15;
  p.gemm_efficiency_bf16 = 0.5;
  p.gemm_efficiency_tf32 = 0.5;
  p.sm_count = 4;
  p.gemm_tile_m = 128;
  p.gemm_tile_n = 128;
  p.gemm_k_overhead = 64;
  p.memory_bandwidth_Bps = 1e13;
  p.launch_s = 5e-6;
  p.attention_efficiency_fwd = 0.5;
  p.attention_efficiency_bwd = 0.4;
  p.attention_half_seq_fwd = 1000;
  p.attention_half_seq_bwd = 2000;
  return p;
}

constexpr double kPerSmRate = 1.25e14;

TEST(KernelModel, WaveQuantization) {
  const KernelModel model(toy());
  // 640 x 128: 5 tiles on 4 SMs = 2 waves of one tile each, k + overhead = 1088.
  const double tile_s = 2.0 * 128 * 128 * 1088 / kPerSmRate;
  EXPECT_DOUBLE_EQ(model.gemm_s(640, 128, 1024, MatmulPrecision::BF16), 5e-6 + 2 * tile_s);
  // 512 x 128: 4 tiles, one wave: a fifth of the work less takes half the time.
  EXPECT_DOUBLE_EQ(model.gemm_s(512, 128, 1024, MatmulPrecision::BF16), 5e-6 + tile_s);
  // The task's form: 2 m_pad n_pad (k + overhead) / (P e) / wave efficiency (5 / 8).
  EXPECT_DOUBLE_EQ(model.gemm_s(640, 128, 1024, MatmulPrecision::BF16),
                   5e-6 + 2.0 * 640 * 128 * 1088 / 5e14 / (5.0 / 8));
}

TEST(KernelModel, EdgeTilesArePadded) {
  const KernelModel model(toy());
  // 520 rows need 5 tiles of 128 like 640 do; the time is the same.
  EXPECT_DOUBLE_EQ(model.gemm_s(520, 128, 1024, MatmulPrecision::BF16),
                   model.gemm_s(640, 128, 1024, MatmulPrecision::BF16));
}

TEST(KernelModel, TransposedTileWhenItFitsBetter) {
  KernelParameters p = toy();
  p.gemm_tile_m = 64;
  p.gemm_tile_n = 256;
  const KernelModel model(p);
  // 512 x 64, k = 256 (too short to split): 64x256 tiles give 8 tiles = 2 waves, 256x64 tiles
  // give 2 tiles = 1 wave of 2 x 64 x 256 x (256 + 64) FLOPs.
  const double one_wave_s = 2.0 * 64 * 256 * 320 / kPerSmRate;
  EXPECT_DOUBLE_EQ(model.gemm_s(512, 64, 256, MatmulPrecision::BF16), 5e-6 + one_wave_s);
}

TEST(KernelModel, SplitKFillsIdleSms) {
  const KernelModel model(toy());
  // 128 x 128 x 8192 is one tile; split 4 ways it fills the 4 SMs with k = 2048 each. Memory:
  // (128 x 8192 x 2 + 128^2) x 2 bytes + fp32 partials 2 x 4 x 128^2 x 4 bytes, under compute.
  const double split4_s = 2.0 * 128 * 128 * (2048 + 64) / kPerSmRate;
  const double memory_s = ((128.0 * 8192 * 2 + 128 * 128) * 2 + 2.0 * 4 * 128 * 128 * 4) / 1e13;
  ASSERT_LT(memory_s, split4_s);
  EXPECT_DOUBLE_EQ(model.gemm_s(128, 128, 8192, MatmulPrecision::BF16), 5e-6 + split4_s);
}

TEST(KernelModel, MemoryBoundGemm) {
  KernelParameters p = toy();
  p.memory_bandwidth_Bps = 1e12;
  const KernelModel model(p);
  // GEMV-like 1 x 8192 x 8192: the 128 MiB weight read dominates 16 waves of compute.
  const double bytes = (1.0 * 8192 + 8192.0 * 8192 + 8192) * 2;
  const double compute_s = 16 * 2.0 * 128 * 128 * (8192 + 64) / kPerSmRate;
  ASSERT_GT(bytes / 1e12, compute_s);
  EXPECT_DOUBLE_EQ(model.gemm_s(1, 8192, 8192, MatmulPrecision::BF16), 5e-6 + bytes / 1e12);
  // TF32 moves 4-byte operands.
  EXPECT_DOUBLE_EQ(model.gemm_s(1, 8192, 8192, MatmulPrecision::TF32), 5e-6 + 2 * bytes / 1e12);
}

TEST(KernelModel, OperandsThatFitInL2AreReadAtL2SpeedOnlyInAMicrobenchmark) {
  KernelParameters p = toy();
  p.memory_bandwidth_Bps = 1e12;
  p.l2_cache_bytes = 4.0 * 1024 * 1024;
  p.l2_bandwidth_Bps = 2e12;
  const KernelModel model(p);
  // 1 x 1024 x 1024: 8 tiles = 2 waves of 2 x 128 x 128 x (1024 + 64) FLOPs (0.57 us; no split,
  // the 8 tiles already exceed 4 SMs). Operands (1 x 1024 + 1024^2 + 1024) x 2 = 2.1 MB fit in
  // the 4 MiB L2: a microbenchmark reads them at 2e12 B/s (1.05 us), a step from HBM (2.1 us).
  const double bytes = (1024.0 + 1024.0 * 1024 + 1024) * 2;
  const double compute_s = 2 * 2.0 * 128 * 128 * 1088 / kPerSmRate;
  ASSERT_GT(bytes / 2e12, compute_s);
  EXPECT_DOUBLE_EQ(model.gemm_isolated_s(1, 1024, 1024, MatmulPrecision::BF16),
                   5e-6 + bytes / 2e12);
  EXPECT_DOUBLE_EQ(model.gemm_s(1, 1024, 1024, MatmulPrecision::BF16), 5e-6 + bytes / 1e12);
  // 1 x 1024 x 2048: (1024 + 1024 x 2048 + 2048) x 2 = 4,200,448 bytes, just over 4 MiB
  // (4,194,304): from HBM even back to back.
  const double over_bytes = (1024.0 + 1024.0 * 2048 + 2048) * 2;
  ASSERT_GT(over_bytes, p.l2_cache_bytes);
  EXPECT_DOUBLE_EQ(model.gemm_isolated_s(1, 2048, 1024, MatmulPrecision::BF16),
                   5e-6 + over_bytes / 1e12);
  // No L2 bandwidth (every GPU without a fit): no L2 term.
  p.l2_bandwidth_Bps = 0;
  EXPECT_DOUBLE_EQ(KernelModel(p).gemm_isolated_s(1, 1024, 1024, MatmulPrecision::BF16),
                   5e-6 + bytes / 1e12);
}

TEST(KernelModel, MemoryBoundKernelsAndLaunch) {
  const KernelModel model(toy());
  EXPECT_DOUBLE_EQ(model.memory_bound_s(1e9), 5e-6 + 1e-4);
  EXPECT_DOUBLE_EQ(model.memory_bound_s(0), 0.0);
  EXPECT_DOUBLE_EQ(model.gemm_s(0, 128, 128, MatmulPrecision::BF16), 0.0);
  EXPECT_DOUBLE_EQ(model.launch_s(), 5e-6);
  // The smallest GEMM still pays the launch and one tile's overhead.
  EXPECT_DOUBLE_EQ(model.gemm_s(1, 1, 1, MatmulPrecision::BF16),
                   5e-6 + 2.0 * 128 * 128 * 65 / kPerSmRate);
}

TEST(KernelModel, Attention) {
  const KernelModel model(toy());
  // b 2, h 4, s 2000, d 128: F = 2 x 2 x 4 x 2000^2 x 128 = 8.192e9 FLOPs.
  EXPECT_DOUBLE_EQ(model.attention_forward_s(2, 4, 2000, 128), 5e-6 + 8.192e9 / 5e14 * 1.5);
  EXPECT_DOUBLE_EQ(model.attention_backward_s(2, 4, 2000, 128), 5e-6 + 2.5 * 8.192e9 / 4e14 * 2.0);
}

TEST(KernelModel, NoRateForAPrecisionIsAnError) {
  const KernelModel model(toy());  // no FP8 peak
  EXPECT_THROW(model.gemm_s(128, 128, 128, MatmulPrecision::FP8), ConfigurationError);
  KernelParameters bad = toy();
  bad.sm_count = 0;
  EXPECT_THROW(KernelModel{bad}, ConfigurationError);
}

// ---------------------------------------------------------------------------------------------
// (b) The catalog's kernel figures are what the fit of shared/calibration gives.

const Catalog& shipped() {
  static const Catalog catalog = load_catalog(std::string(CAPSIM_SOURCE_DIR) + "/models/catalog");
  return catalog;
}

const KernelMeasurements& measurements(const std::string& id) {
  static std::map<std::string, KernelMeasurements> cache;
  if (!cache.count(id)) {
    const std::string dir = std::string(CAPSIM_SHARED_DIR) + "/calibration/";
    cache[id] = read_kernel_measurements(dir + id + ".cublas-sweep.csv",
                                         dir + id + ".torch-attention-power.csv");
  }
  return cache.at(id);
}

// Tolerances are half a unit of the last digit written in gpus.yaml.
void expect_catalog_is_the_fit(const std::string& id) {
  const GpuSpec& gpu = shipped().gpus.at(id);
  const KernelParameters fit = fit_kernel_parameters(measurements(id), gpu);
  EXPECT_EQ(gpu.sm_count, fit.sm_count);
  EXPECT_EQ(gpu.gemm_tile_m, fit.gemm_tile_m);
  EXPECT_EQ(gpu.gemm_tile_n, fit.gemm_tile_n);
  EXPECT_NEAR(gpu.matmul_efficiency_bf16, fit.gemm_efficiency_bf16, 0.5e-4);
  EXPECT_NEAR(gpu.matmul_efficiency_tf32, fit.gemm_efficiency_tf32, 0.5e-4);
  EXPECT_NEAR(gpu.matmul_efficiency_fp8, fit.gemm_efficiency_fp8, 1e-12);  // published, kept
  EXPECT_NEAR(gpu.gemm_k_overhead, fit.gemm_k_overhead, 0.05);
  EXPECT_NEAR(gpu.launch_overhead_s, fit.launch_s, 0.005e-6);
  EXPECT_NEAR(gpu.memory_efficiency, fit.memory_bandwidth_Bps / gpu.memory_bandwidth_Bps, 0.5e-5);
  EXPECT_EQ(gpu.l2_cache_bytes, fit.l2_cache_bytes);  // the CSVs give none: the catalog's
  EXPECT_NEAR(gpu.l2_bandwidth_Bps, fit.l2_bandwidth_Bps, 0.5e9);
  EXPECT_NEAR(gpu.attention_efficiency_fwd, fit.attention_efficiency_fwd, 0.5e-4);
  EXPECT_NEAR(gpu.attention_efficiency_bwd, fit.attention_efficiency_bwd, 0.5e-4);
  EXPECT_NEAR(gpu.attention_half_seq_fwd, fit.attention_half_seq_fwd, 0.5);
  EXPECT_NEAR(gpu.attention_half_seq_bwd, fit.attention_half_seq_bwd, 0.5);
  EXPECT_NEAR(gpu.attention_tail_rows_fwd, fit.attention_tail_rows_fwd, 50);
  EXPECT_NEAR(gpu.attention_tail_rows_bwd, fit.attention_tail_rows_bwd, 50);
  EXPECT_NE(gpu.kernel_source.find("calibration/" + id + ".cublas-sweep.csv"), std::string::npos);
  EXPECT_NE(gpu.kernel_source.find("2026-11-26"), std::string::npos);
  std::printf(
      "[ fit %s ] bf16 %.6f tf32 %.6f tile %dx%d k_overhead %.3f launch %.4f us "
      "bandwidth %.4e B/s L2 %.4e B/s attention fwd %.6f / %.1f / %.0f bwd %.6f / %.1f / %.0f\n",
      id.c_str(), fit.gemm_efficiency_bf16, fit.gemm_efficiency_tf32, fit.gemm_tile_m,
      fit.gemm_tile_n, fit.gemm_k_overhead, fit.launch_s * 1e6, fit.memory_bandwidth_Bps,
      fit.l2_bandwidth_Bps, fit.attention_efficiency_fwd, fit.attention_half_seq_fwd,
      fit.attention_tail_rows_fwd, fit.attention_efficiency_bwd, fit.attention_half_seq_bwd,
      fit.attention_tail_rows_bwd);
}

TEST(KernelCalibration, H100CatalogEntryIsTheFit) { expect_catalog_is_the_fit("h100-sxm-80gb"); }
TEST(KernelCalibration, H200CatalogEntryIsTheFit) { expect_catalog_is_the_fit("h200-sxm-141gb"); }

TEST(KernelCalibration, OtherGpusDeriveTheirEstimatesFromTheH100Fit) {
  const GpuSpec& h100 = shipped().gpus.at("h100-sxm-80gb");
  for (const auto& [id, gpu] : shipped().gpus) {
    if (id == "h100-sxm-80gb" || id == "h200-sxm-141gb") continue;
    SCOPED_TRACE(id);
    EXPECT_NE(gpu.kernel_source.find("ESTIMATE"), std::string::npos);
    EXPECT_GT(gpu.sm_count, 0);
    EXPECT_EQ(gpu.gemm_tile_m, h100.gemm_tile_m);
    EXPECT_EQ(gpu.gemm_tile_n, h100.gemm_tile_n);
    EXPECT_DOUBLE_EQ(gpu.gemm_k_overhead, h100.gemm_k_overhead);
    EXPECT_DOUBLE_EQ(gpu.launch_overhead_s, h100.launch_overhead_s);
    EXPECT_DOUBLE_EQ(gpu.attention_half_seq_fwd, h100.attention_half_seq_fwd);
    EXPECT_DOUBLE_EQ(gpu.attention_half_seq_bwd, h100.attention_half_seq_bwd);
    EXPECT_DOUBLE_EQ(gpu.attention_tail_rows_fwd, h100.attention_tail_rows_fwd);
    EXPECT_DOUBLE_EQ(gpu.attention_tail_rows_bwd, h100.attention_tail_rows_bwd);
    // The H100 fit's ratios to its bf16 GEMM efficiency, applied to this GPU's.
    const double scale = gpu.matmul_efficiency_bf16 / h100.matmul_efficiency_bf16;
    EXPECT_NEAR(gpu.matmul_efficiency_tf32, h100.matmul_efficiency_tf32 * scale, 0.5e-4);
    EXPECT_NEAR(gpu.attention_efficiency_fwd, h100.attention_efficiency_fwd * scale, 0.5e-4);
    EXPECT_NEAR(gpu.attention_efficiency_bwd, h100.attention_efficiency_bwd * scale, 0.5e-4);
  }
  EXPECT_EQ(shipped().gpus.at("a100-sxm-80gb").sm_count, 108);
  EXPECT_EQ(shipped().gpus.at("h100-pcie-80gb").sm_count, 114);
  EXPECT_EQ(shipped().gpus.at("b200-sxm-180gb").sm_count, 148);
  EXPECT_EQ(shipped().gpus.at("mi300x").sm_count, 304);
  EXPECT_EQ(shipped().gpus.at("l40s").sm_count, 142);
  EXPECT_EQ(shipped().gpus.at("l4").sm_count, 58);
}

TEST(KernelCalibration, CatalogEntryMapsToTheModel) {
  const GpuSpec& gpu = shipped().gpus.at("h100-sxm-80gb");
  const KernelParameters p = kernel_parameters(gpu);
  EXPECT_DOUBLE_EQ(p.bf16_peak_flop_per_s, 989e12);
  EXPECT_DOUBLE_EQ(p.gemm_efficiency_bf16, gpu.matmul_efficiency_bf16);
  EXPECT_DOUBLE_EQ(p.memory_bandwidth_Bps, 3.35e12 * gpu.memory_efficiency);
  EXPECT_DOUBLE_EQ(p.launch_s, gpu.launch_overhead_s);
  EXPECT_EQ(p.sm_count, 132);
  EXPECT_EQ(p.provenance, gpu.kernel_source);
}

// ---------------------------------------------------------------------------------------------
// (c) Fit quality against every measured row, with the catalog's (fitted) figures.

struct Spread {
  double median = 0, p90 = 0;
};

Spread spread(std::vector<double> errors) {
  std::sort(errors.begin(), errors.end());
  const auto at = [&](double q) { return errors[std::size_t(q * (errors.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.9)};
}

// |predicted / measured - 1| of the GEMMs of one dtype with m n k >= 2^33 (17 GFLOP and more:
// 25 us and up on these GPUs, past the sizes the launch cost dominates).
Spread large_gemm_errors(const std::string& id, const std::string& dtype) {
  const KernelModel model(kernel_parameters(shipped().gpus.at(id)));
  std::vector<double> errors;
  for (const auto& g : measurements(id).cublas.gemms) {
    if (g.dtype != dtype || g.m * g.n * g.k < std::pow(2.0, 33)) continue;
    errors.push_back(std::fabs(model.gemm_isolated_s(g.m, g.n, g.k, g.precision) / g.seconds - 1));
  }
  EXPECT_GT(errors.size(), 200u);
  const Spread s = spread(errors);
  std::printf("[ %s %s GEMMs, m n k >= 2^33 ] median %.4f, 90th percentile %.4f\n", id.c_str(),
              dtype.c_str(), s.median, s.p90);
  return s;
}

TEST(KernelFitQuality, LargeGemms) {
  // Bounds a little above the values the fit gives (H100 0.050 / 0.109, H200 0.066 / 0.125).
  const Spread h100 = large_gemm_errors("h100-sxm-80gb", "bf16");
  EXPECT_LT(h100.median, 0.055);
  EXPECT_LT(h100.p90, 0.12);
  const Spread h200 = large_gemm_errors("h200-sxm-141gb", "bf16");
  EXPECT_LT(h200.median, 0.08);
  EXPECT_LT(h200.p90, 0.14);
  // Not fitted: fp16 runs at the bf16 rate in the model but measures ~10% slower when large
  // (0.062 / 0.137, 0.075 / 0.156); tf32 shares bf16's tiles (0.092 / 0.266, 0.102 / 0.268).
  EXPECT_LT(large_gemm_errors("h100-sxm-80gb", "fp16").p90, 0.18);
  EXPECT_LT(large_gemm_errors("h200-sxm-141gb", "fp16").p90, 0.18);
  EXPECT_LT(large_gemm_errors("h100-sxm-80gb", "tf32").p90, 0.30);
  EXPECT_LT(large_gemm_errors("h200-sxm-141gb", "tf32").p90, 0.32);
}

double measured_gemm_s(const std::string& id, double m, double n, double k) {
  for (const auto& g : measurements(id).cublas.gemms) {
    if (g.dtype == "bf16" && g.m == m && g.n == n && g.k == k) return g.seconds;
  }
  ADD_FAILURE() << "no bf16 " << m << "x" << n << "x" << k << " row for " << id;
  return 1;
}

TEST(KernelFitQuality, Gemm8192Cubed) {
  const double flops = 2 * std::pow(8192.0, 3);
  const KernelModel h100(kernel_parameters(shipped().gpus.at("h100-sxm-80gb")));
  const double measured = measured_gemm_s("h100-sxm-80gb", 8192, 8192, 8192);
  EXPECT_NEAR(flops / measured / 1e12, 774, 1);  // the reference figure
  EXPECT_NEAR(h100.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::BF16) / measured, 1, 0.05);
  // The H200 measured 714 TFLOP/s here, below its neighbours and the H100; the model, fitted to
  // all its rows, gives 764 (+7.0%).
  const KernelModel h200(kernel_parameters(shipped().gpus.at("h200-sxm-141gb")));
  EXPECT_NEAR(h200.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::BF16) /
                  measured_gemm_s("h200-sxm-141gb", 8192, 8192, 8192),
              1, 0.10);
}

TEST(KernelFitQuality, LargeCopies) {
  for (const char* id : {"h100-sxm-80gb", "h200-sxm-141gb"}) {
    const KernelModel model(kernel_parameters(shipped().gpus.at(id)));
    bool found = false;
    for (const auto& c : measurements(id).cublas.copies) {
      if (c.bytes != 4294967296.0) continue;
      found = true;
      EXPECT_NEAR(model.memory_bound_s(2 * c.bytes) / c.seconds, 1, 0.03) << id;
    }
    EXPECT_TRUE(found) << id;
  }
}

// |predicted / measured - 1| for each attention row with s >= 4096: sdpa_fwd against the forward
// time, sdpa_fwd_bwd against forward + backward.
void expect_attention_within(const std::string& id, double bound_d128, double low_d64,
                             double high_d64) {
  const KernelModel model(kernel_parameters(shipped().gpus.at(id)));
  double worst = 0, d64_low = 0, d64_high = -1;
  int rows = 0;
  for (const auto& a : measurements(id).attention.attention) {
    if (a.key_len < 4096) continue;
    double t = model.attention_forward_isolated_s(a.batch, a.heads, a.key_len, a.head_dim);
    if (a.backward) {
      t += model.attention_backward_isolated_s(a.batch, a.heads, a.key_len, a.head_dim);
    }
    const double error = t / a.seconds - 1;
    SCOPED_TRACE(id + " line " + std::to_string(a.line));
    if (a.head_dim == 128) {
      worst = std::max(worst, std::fabs(error));
      EXPECT_LT(std::fabs(error), bound_d128);
      ++rows;
    } else {
      // Head dimension 64 is not fitted: those kernels are softmax-bound and slower than the
      // model says (KernelModel.hpp).
      EXPECT_GT(error, low_d64);
      EXPECT_LT(error, high_d64);
      d64_low = std::min(d64_low, error);
      d64_high = std::max(d64_high, error);
    }
  }
  EXPECT_EQ(rows, 18);
  std::printf("[ %s attention, s >= 4096 ] d 128 worst |error| %.4f; d 64 %.3f to %.3f\n",
              id.c_str(), worst, d64_low, d64_high);
}

TEST(KernelFitQuality, LongSequenceAttention) {
  // Values the fit gives: H100 worst 0.105, d 64 -0.19 to -0.30; H200 worst 0.145, d 64 -0.15
  // to -0.29.
  expect_attention_within("h100-sxm-80gb", 0.12, -0.36, -0.15);
  expect_attention_within("h200-sxm-141gb", 0.16, -0.36, -0.12);
}

// ---------------------------------------------------------------------------------------------
// (d) The power floor: the catalog's sustained rate is the measured one, and it bounds the
// kernels the estimate times.

struct SustainedRow {
  double m = 0, n = 0, k = 0, start_s = 0, gemms = 0, seconds = 0;
};

// The sustained rows of one file in models/catalog/measurements (format in its README.md).
std::vector<SustainedRow> sustained_rows(const std::string& file) {
  std::ifstream in(std::string(CAPSIM_SOURCE_DIR) + "/models/catalog/measurements/" + file);
  EXPECT_TRUE(in) << file;
  std::vector<SustainedRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("m,", 0) == 0) continue;
    std::istringstream fields(line);
    std::string m, n, k, phase, start, gemms, time;
    std::getline(fields, m, ',');
    std::getline(fields, n, ',');
    std::getline(fields, k, ',');
    std::getline(fields, phase, ',');
    std::getline(fields, start, ',');
    std::getline(fields, gemms, ',');
    std::getline(fields, time, ',');
    if (phase != "sustained") continue;
    rows.push_back({std::stod(m), std::stod(n), std::stod(k), std::stod(start), std::stod(gemms),
                    std::stod(time)});
  }
  return rows;
}

// GEMM-time-weighted rate of a file's sustained rows from `from_s` on, all shapes; at least
// `min_seconds` of GEMM time must be in it.
double measured_sustained_rate(const std::string& file, double from_s, double min_seconds) {
  double flops = 0, seconds = 0;
  for (const SustainedRow& r : sustained_rows(file)) {
    if (r.start_s < from_s) continue;
    flops += 2 * r.m * r.n * r.k * r.gemms;
    seconds += r.seconds;
  }
  EXPECT_GT(seconds, min_seconds) << file;
  return flops / seconds;
}

TEST(KernelPowerFloor, CatalogRateIsTheMeasuredSustainedRate) {
  for (const std::string id : {"h100-sxm-80gb", "h200-sxm-141gb"}) {
    // bf16: three shapes x the last ~10 s of 20 s runs; fp8: two or three shapes x the last
    // 7 s of 12 s runs.
    const double bf16 = measured_sustained_rate(id + ".sustained-gemm.csv", 10, 25);
    const double fp8 = measured_sustained_rate(id + ".sustained-gemm-fp8.csv", 5, 12);
    EXPECT_NEAR(shipped().gpus.at(id).sustained_matmul_bf16_flop_per_s / bf16, 1, 0.001) << id;
    EXPECT_NEAR(shipped().gpus.at(id).sustained_matmul_fp8_flop_per_s / fp8, 1, 0.001) << id;
  }
  // Other GPUs have no measurement and so no floor.
  EXPECT_EQ(shipped().gpus.at("a100-sxm-80gb").sustained_matmul_bf16_flop_per_s, 0.0);
  EXPECT_EQ(shipped().gpus.at("a100-sxm-80gb").sustained_matmul_fp8_flop_per_s, 0.0);
}

TEST(KernelPowerFloor, Fp8GemmsRunNoFasterThanTheSustainedFp8Rate) {
  // H100: an FP8 8192^3 GEMM, 1.0995e12 FLOPs, in short bursts at the fitted fp8 rate, in a
  // busy step no faster than 1218.5 TFLOP/s; bf16 floors do not apply to it.
  const GpuSpec& gpu = shipped().gpus.at("h100-sxm-80gb");
  const KernelModel model(kernel_parameters(gpu));
  const double flops = 2 * std::pow(8192.0, 3);
  const double sustained = model.gemm_s(8192, 8192, 8192, MatmulPrecision::FP8);
  const double burst = model.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::FP8);
  EXPECT_NEAR(sustained, gpu.launch_overhead_s + flops / 1218.5e12, 1e-9);
  EXPECT_LT(burst, sustained);
  EXPECT_GT(flops / burst, 1218.5e12);
}

// Held-out shapes: the GEMMs of a 2B GPT layer measured at the power limit (not used to set any
// parameter). The model's sustained times are within 6% of each over its last 5 s (the model
// gives 663-676 TFLOP/s where 643-706 were measured).
TEST(KernelPowerFloor, LayerGemmsAtThePowerLimitMatchTheModel) {
  const KernelModel h100(kernel_parameters(shipped().gpus.at("h100-sxm-80gb")));
  const auto rows = sustained_rows("h100-sxm-80gb.sustained-gemm-layer.csv");
  std::map<std::tuple<double, double, double>, std::pair<double, double>> shapes;  // count, s
  std::map<std::tuple<double, double, double>, double> last_start;
  for (const SustainedRow& r : rows) {
    auto& last = last_start[{r.m, r.n, r.k}];
    last = std::max(last, r.start_s);
  }
  for (const SustainedRow& r : rows) {
    if (r.start_s < last_start[{r.m, r.n, r.k}] - 5) continue;
    auto& [gemms, seconds] = shapes[{r.m, r.n, r.k}];
    gemms += r.gemms;
    seconds += r.seconds;
  }
  EXPECT_EQ(shapes.size(), 5u);
  for (const auto& [shape, measured] : shapes) {
    const auto [m, n, k] = shape;
    const double measured_s = measured.second / measured.first;
    const double model_s = h100.gemm_s(m, n, k, MatmulPrecision::BF16);
    EXPECT_NEAR(model_s / measured_s, 1, 0.06) << m << " x " << n << " x " << k;
  }
}

TEST(KernelPowerFloor, SustainedGemmsRunNoFasterThanThePowerLimitAllows) {
  const KernelModel h100(kernel_parameters(shipped().gpus.at("h100-sxm-80gb")));
  // 8192^3: isolated the fit gives 772 TFLOP/s (the sweep measured 774); sustained 681.
  const double flops = 2 * std::pow(8192.0, 3);
  const double launch = shipped().gpus.at("h100-sxm-80gb").launch_overhead_s;
  EXPECT_NEAR(flops / (h100.gemm_s(8192, 8192, 8192, MatmulPrecision::BF16) - launch), 681e12,
              0.5e12);
  EXPECT_GT(flops / h100.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::BF16), 765e12);
  // A GEMM slower than the floor is unchanged: 2048 x 256 x 256 is wave- and memory-bound.
  EXPECT_DOUBLE_EQ(h100.gemm_s(2048, 256, 256, MatmulPrecision::BF16),
                   h100.gemm_isolated_s(2048, 256, 256, MatmulPrecision::BF16));
  // TF32 was not measured at the power limit: no floor (FP8 has its own, tested below).
  EXPECT_DOUBLE_EQ(h100.gemm_s(8192, 8192, 8192, MatmulPrecision::TF32),
                   h100.gemm_isolated_s(8192, 8192, 8192, MatmulPrecision::TF32));
  // Attention forward at s = 16384: 0.6950 x 989 / (1 + 1048 / 16384) = 646 TFLOP/s, under the
  // floor, so unchanged; with a floor of 600 TFLOP/s it would run at 600.
  const double attention_flops = 2.0 * 4 * 32 * 16384.0 * 16384.0 * 128;
  EXPECT_DOUBLE_EQ(h100.attention_forward_s(4, 32, 16384, 128),
                   h100.attention_forward_isolated_s(4, 32, 16384, 128));
  KernelParameters lower = kernel_parameters(shipped().gpus.at("h100-sxm-80gb"));
  lower.sustained_bf16_flop_per_s = 600e12;
  const KernelModel capped(lower);
  EXPECT_NEAR(attention_flops / (capped.attention_forward_s(4, 32, 16384, 128) - launch), 600e12,
              1e9);
}

}  // namespace
}  // namespace capsim
