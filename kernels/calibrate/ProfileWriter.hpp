// The calibration profile capsim-calibrate writes: versioned JSON holding the device, the
// libraries, every raw measurement, the telemetry of each benchmark group and the groups that
// were skipped (format: docs/calibration.md). Fitting is capsim's job (models/), not this tool's.
// Host code only (built and tested without CUDA).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "Measurements.hpp"

namespace capsim::calibrate {

/// The profile format this tool writes; models/ reads versions up to its own.
constexpr int kProfileSchemaVersion = 1;
constexpr const char* kProfileSchemaName = "capsim-calibration-profile";

/// What is known about the GPU that was timed.
struct DeviceDescription {
  std::string name;  ///< as CUDA reports it, e.g. "NVIDIA H100 80GB HBM3"
  double memory_bytes = 0;
  int sm_count = 0;
  int compute_major = 0, compute_minor = 0;
  double l2_cache_bytes = 0;
  std::string pci_bus_id;
  int device_count = 0;          ///< CUDA devices on the host
  std::string driver_version;    ///< NVML, e.g. "580.95.05"; empty without NVML
  int cuda_driver_version = 0;   ///< cudaDriverGetVersion, e.g. 13000
  int cuda_runtime_version = 0;  ///< cudaRuntimeGetVersion
  int cublas_version = 0;        ///< cublasGetProperty major*10000 + minor*100 + patch
  double max_sm_clock_Hz = 0, max_memory_clock_Hz = 0;  ///< NVML; 0 without it
  double power_limit_W = 0;                             ///< NVML enforced limit; 0 without it
};

/// One library loaded at run time: whether it was there, its version, or why not.
struct LibraryStatus {
  bool available = false;
  std::string version;
  std::string reason;
};

/// Everything one capsim-calibrate run measured.
struct CalibrationRun {
  std::string mode;  ///< "quick" or "full"
  std::string date;  ///< UTC, ISO 8601
  DeviceDescription device;
  LibraryStatus nccl, nvml;
  std::vector<GemmResult> gemms;          ///< batch 1
  std::vector<GemmResult> batched_gemms;  ///< strided batched (attention shapes)
  std::vector<MemoryResult> memory;
  std::vector<HostCopyResult> host_copies;
  LaunchResult launch;
  std::vector<PeerCopyResult> peer_copies;
  std::vector<CollectiveResult> collectives;
  std::vector<StorageResult> storage;
  std::vector<GroupTelemetry> telemetry;
  std::vector<SkippedGroup> skipped;
};

/// The profile JSON of `run`.
nlohmann::json profile_json(const CalibrationRun& run, const std::string& tool_version);

/// Writes `profile` to `path` through a temporary file in the same folder and a rename, so a
/// failed run leaves no partial profile. Throws std::runtime_error when it cannot.
void write_profile_file(const nlohmann::json& profile, const std::string& path);

/// The current UTC time as "2026-11-26T14:03:00Z".
std::string utc_now_iso8601();

}  // namespace capsim::calibrate
