// Measurements of real GPUs (shared/calibration, formats in its README.md) and the fit of the
// kernel time model (KernelModel.hpp) to them.
//
// The fit is a deterministic least-squares fit of log(time): relative errors count the same for
// a 7 us GEMM and a 10 ms one. Stages, each with the earlier ones fixed:
//   1. memory bandwidth from the copy rows far larger than L2 (>= 256 MiB);
//   2. for every tile shape in {64, 128, 256}^2 (tile_m <= tile_n, as the model also tries the
//      transposed tile), gemm_efficiency_bf16, gemm_k_overhead and launch by coordinate descent
//      (golden-section search per parameter) over the bf16 GEMM rows; the tile with the least
//      squared error wins. Then stage 1 and the winner's continuous parameters are refitted in
//      turn until the bandwidth stops moving (it depends on the launch cost, the GEMMs' memory
//      term on the bandwidth);
//   3. gemm_efficiency_tf32 over the tf32 rows;
//   3b. gemm_efficiency_fp8 over the fp8 rows, when there are any (calibration profiles measured
//      by capsim-calibrate; the CSVs have none and keep the GPU's published figure);
//   4. attention efficiency and half-saturation length, forward over the sdpa_fwd rows and
//      backward over (sdpa_fwd_bwd - sdpa_fwd) of the same shape, head dimension 128 only.
//      Without attention rows (capsim-calibrate times no fused attention) the GPU's attention
//      efficiencies are kept, scaled by fitted / catalog bf16 GEMM efficiency, and its
//      half-saturation lengths kept as they are.
// fp16 rows are parsed but not fitted: the model runs FP16 at the BF16 rate, while the fp16 rows
// measure about 10% slower at large sizes (likely data-dependent power under the 700 W cap, as
// the README shows for zero inputs); the tests report how far they sit from the bf16 fit.
#pragma once

#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/KernelModel.hpp"

namespace capsim {

/// One cuBLAS GEMM of a *.cublas-sweep.csv file.
struct GemmMeasurement {
  std::string dtype;                                  ///< "bf16", "fp16", "tf32" or "fp8"
  MatmulPrecision precision = MatmulPrecision::BF16;  ///< BF16 for bf16 and fp16
  double m = 0, n = 0, k = 0;
  double seconds = 0;
  int line = 0;  ///< in the file, 1-based
};

/// One device copy of a *.cublas-sweep.csv file: `bytes` read and as many written.
struct CopyMeasurement {
  double bytes = 0;
  double seconds = 0;
  int line = 0;
};

struct CublasSweep {
  std::string file;
  std::string device;  ///< from the "# device,<name>,sms=<N>" first line
  int sm_count = 0;
  double l2_cache_bytes = 0;  ///< the device's L2 size where the file gives it; 0 = not given
  std::vector<GemmMeasurement> gemms;
  std::vector<CopyMeasurement> copies;
};

/// One PyTorch scaled_dot_product_attention timing (bf16).
struct AttentionMeasurement {
  bool backward = false;  ///< false: sdpa_fwd; true: sdpa_fwd_bwd (forward + backward)
  double batch = 0, heads = 0, query_len = 0, key_len = 0, head_dim = 0;
  bool causal = false;
  double seconds = 0;
  int line = 0;
};

/// One decode-attention timing: one query per sequence against a KV cache of key_len tokens.
struct DecodeMeasurement {
  double batch = 0, heads = 0, key_len = 0, head_dim = 0;
  double seconds = 0;
  double read_Bps = 0;  ///< bytes of K and V read per second
  int line = 0;
};

/// Board power under one load.
struct PowerMeasurement {
  std::string load;  ///< "idle", "gemm" or "copy"
  double sampled_s = 0;
  double median_W = 0, max_W = 0;
  double sm_clock_Hz = 0;  ///< median SM clock
  int line = 0;
};

struct AttentionPowerSweep {
  std::string file;
  std::string device;  ///< from the "# device,<name>,torch,<version>" first line
  std::vector<AttentionMeasurement> attention;  ///< without the README's set-up outlier
  std::vector<DecodeMeasurement> decode;
  std::vector<PowerMeasurement> power;
  int skipped_outlier_line = 0;  ///< the first sdpa_fwd_bwd row (includes one-time set-up)
};

struct KernelMeasurements {
  CublasSweep cublas;
  AttentionPowerSweep attention;
};

/// Parses a *.cublas-sweep.csv file. Throws InputError (file:line) for a missing file, a wrong
/// first or header line, an unknown kind or dtype, a wrong number of columns or a bad number.
CublasSweep read_cublas_sweep(const std::string& path);

/// Parses a *.torch-attention-power.csv file; drops the first sdpa_fwd_bwd row, which the
/// README marks as an outlier. Throws InputError (file:line) like read_cublas_sweep.
AttentionPowerSweep read_attention_power(const std::string& path);

/// Both files of one GPU.
KernelMeasurements read_kernel_measurements(const std::string& cublas_path,
                                            const std::string& attention_path);

/// Fits the kernel model to `measurements` (see the top of this file). Peaks, the FP8
/// efficiency when not measured and the attention figures when not measured come from `gpu`;
/// sm_count from the sweep's header. Throws InputError when stage 1-3 has no rows to fit.
KernelParameters fit_kernel_parameters(const KernelMeasurements& measurements, const GpuSpec& gpu);

/// The rate decode attention reads its KV cache at, bytes/s: the least-squares fit of
/// seconds = launch_s + bytes / rate over the decode rows of `sweep` (bytes = the file's rate x
/// seconds: K and V of every query head, as the README defines them). The large rows dominate,
/// as the batched decode of a serving engine does. Throws InputError when there are no rows.
double fit_decode_attention_Bps(const AttentionPowerSweep& sweep, double launch_s);

}  // namespace capsim
