// Calibration profiles: the JSON that capsim-calibrate writes on a GPU host (or that
// `capsim calibrate import` makes from the CSVs of shared/calibration), read into the same
// measurement structs as the CSV reader (Calibration.hpp), fitted with the same fit, and applied
// to a GPU type in place of its catalog kernel figures. Format and rules: docs/calibration.md.
//
// The profile holds raw measurements; capsim fits them when it loads the profile (about a second)
// with the peaks of the GPU type the profile is applied to. A "fitted" section, when present, is
// informational (written by `capsim calibrate import` / `fit --out`) and never read back.
//
// Which GPU type a profile applies to: "PROFILE" applies to the GPU types whose catalog name
// matches the profile's device (device_matches_gpu); "GPU_ID=PROFILE" applies to GPU_ID whatever
// the device. A profile that matches no GPU type in use is an error that suggests the explicit
// form.
#pragma once

#include <string>
#include <vector>

#include "capsim/models/Calibration.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/KernelModel.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim {

/// The profile format version this capsim reads (and the newest it understands).
constexpr int kCalibrationProfileVersion = 1;

/// A parsed profile. Measurements carry the profile's path as their `file` and, instead of
/// line numbers, their index in the JSON array.
struct CalibrationProfile {
  std::string file;
  int schema_version = 0;
  std::string device;  ///< device.name, as CUDA reports it ("NVIDIA H100 80GB HBM3")
  int sm_count = 0;
  double l2_cache_bytes = 0;  ///< device.l2_cache_bytes; 0 = not given (the GPU type's is used)
  std::string date;           ///< when it was measured (ISO 8601)
  std::string tool;           ///< "capsim-calibrate 0.1.0" or "capsim calibrate import"
  std::string mode;           ///< "quick", "full" or "imported"
  std::vector<std::string> imported_from;  ///< the CSV files, for imported profiles
  KernelMeasurements measurements;         ///< gemm (bf16, fp16, tf32, fp8), copy, attention...
};

/// Reads a profile. Throws InputError naming the file, the JSON path ("measurements.gemm[3].m")
/// and what is expected, for a missing file, bad JSON, an unknown schema or version, or a
/// missing or bad value.
CalibrationProfile read_calibration_profile(const std::string& path);
/// The same from JSON text; `file` names it in errors.
CalibrationProfile parse_calibration_profile(const std::string& text, const std::string& file);

/// The profile JSON of CSV measurements (capsim calibrate import), measured on `date`, with the
/// fit on `gpu` as its informational "fitted" section.
std::string import_profile_json(const KernelMeasurements& measurements, const std::string& date,
                                const GpuSpec& gpu);

/// The fitted parameters as the profile's "fitted" section writes them (JSON text).
std::string fitted_section_json(const KernelParameters& fit, const GpuSpec& gpu);

/// Fits the kernel model to the profile (fit_kernel_parameters) with the peaks of `gpu`;
/// provenance = profile_source(profile).
KernelParameters fit_calibration_profile(const CalibrationProfile& profile, const GpuSpec& gpu);

/// "calibration profile <file> (<device>, <date>, <tool> <mode>)": what reports print.
std::string profile_source(const CalibrationProfile& profile);
/// True when `gpu`'s kernel figures come from a profile (its kernel_source says so).
bool from_calibration_profile(const GpuSpec& gpu);

/// Whether a CUDA device name denotes the catalog GPU: the same model number (H100, A100, ...),
/// PCIe in both names or in neither, and the same memory size where both names give one.
bool device_matches_gpu(const std::string& device, const GpuSpec& gpu);

/// `gpu` with its kernel figures (matmul and attention efficiencies, tiles, overhead, launch,
/// memory efficiency, SM count) replaced by the fit of `profile`; kernel_source says where from.
GpuSpec calibrated_gpu(const GpuSpec& gpu, const CalibrationProfile& profile);

/// One use of a profile: "PROFILE" (gpu_id empty: by device) or "GPU_ID=PROFILE".
struct CalibrationChoice {
  std::string gpu_id;
  std::string path;
  std::string origin;  ///< where it was given, for errors ("--calibration", "run.calibration[0]")
};

/// Parses "PROFILE" or "GPU_ID=PROFILE" (GPU_ID: no '/'); a relative path is taken relative to
/// `base_dir` (empty: as it is). Throws InputError for an empty path.
CalibrationChoice parse_calibration_choice(const std::string& text, const std::string& base_dir,
                                           const std::string& origin);

/// Applies each choice to the clusters whose GPU type it selects. Throws InputError when a choice
/// selects no cluster (naming the GPU types in use) or two choices select the same GPU type.
void apply_calibrations(std::vector<ClusterConfig>& clusters,
                        const std::vector<CalibrationChoice>& choices);
/// The same for catalog GPU types (capsim validate): every type a choice selects.
void apply_calibrations(Catalog& catalog, const std::vector<CalibrationChoice>& choices);

}  // namespace capsim
