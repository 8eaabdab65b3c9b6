// GPU clocks, power and temperature through NVML, loaded at run time (dlopen of
// libnvidia-ml.so.1, which the driver installs): sampled in a background thread while a
// benchmark group runs, to flag throttling. Without NVML the profile says so and has no telemetry.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "Measurements.hpp"

namespace capsim::calibrate {

/// The device's fixed NVML figures.
struct NvmlDeviceInfo {
  std::string driver_version;  ///< e.g. "580.95.05"
  double power_limit_W = 0;    ///< enforced board power limit
  double max_sm_clock_Hz = 0;
  double max_memory_clock_Hz = 0;
};

class NvmlMonitor {
 public:
  /// Loads NVML and finds the device with PCI bus id `pci_bus_id` (as cudaDeviceGetPCIBusId
  /// writes it). Never throws: available() says whether it worked, error() why not.
  explicit NvmlMonitor(const std::string& pci_bus_id);
  ~NvmlMonitor();
  NvmlMonitor(const NvmlMonitor&) = delete;
  NvmlMonitor& operator=(const NvmlMonitor&) = delete;

  bool available() const { return device_ != nullptr; }
  const std::string& error() const { return error_; }
  NvmlDeviceInfo info() const;

  /// Starts sampling every `period_s` seconds for the group named `group`.
  void start(const std::string& group, double period_s = 0.05);
  /// Stops sampling and sums up the samples since start().
  GroupTelemetry stop();

 private:
  struct Sample {
    double sm_clock_Hz, power_W, temperature_C;
    std::uint64_t reasons;
  };
  bool read(Sample& sample) const;
  void sample_loop(double period_s);

  void* library_ = nullptr;
  void* device_ = nullptr;  // nvmlDevice_t
  std::string error_;
  // Entry points (nvml.h signatures; nvmlReturn_t is int, 0 = success).
  int (*shutdown_)() = nullptr;
  int (*clock_info_)(void*, int, unsigned*) = nullptr;
  int (*max_clock_info_)(void*, int, unsigned*) = nullptr;
  int (*power_usage_)(void*, unsigned*) = nullptr;
  int (*power_limit_)(void*, unsigned*) = nullptr;
  int (*temperature_)(void*, int, unsigned*) = nullptr;
  int (*clock_reasons_)(void*, unsigned long long*) = nullptr;
  int (*driver_version_)(char*, unsigned) = nullptr;

  std::string group_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex mutex_;
  std::vector<Sample> samples_;
  double started_s_ = 0;
};

/// Names of the NVML clock event reasons in `reasons` that slow the GPU down (power cap,
/// thermal, hardware slowdown), e.g. {"sw_power_cap"}.
std::vector<std::string> throttle_reason_names(std::uint64_t reasons);

}  // namespace capsim::calibrate
