#include "NvmlMonitor.hpp"

#include <dlfcn.h>

#include <chrono>

#include "Statistics.hpp"

namespace capsim::calibrate {
namespace {

constexpr int kClockSm = 1;         // NVML_CLOCK_SM
constexpr int kClockMemory = 2;     // NVML_CLOCK_MEM
constexpr int kTemperatureGpu = 0;  // NVML_TEMPERATURE_GPU

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename Function>
void bind(void* library, const char* name, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, name));
}

}  // namespace

std::vector<std::string> throttle_reason_names(std::uint64_t reasons) {
  // nvmlClocksEventReason* bits; idle, application and display clock settings are not slowdowns.
  static const std::pair<std::uint64_t, const char*> kNames[] = {
      {0x4, "sw_power_cap"},         {0x8, "hw_slowdown"},     {0x20, "sw_thermal_slowdown"},
      {0x40, "hw_thermal_slowdown"}, {0x80, "hw_power_brake"}, {0x10, "sync_boost"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (reasons & bit) names.emplace_back(name);
  }
  return names;
}

NvmlMonitor::NvmlMonitor(const std::string& pci_bus_id) {
  library_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library_) {
    const char* message = dlerror();
    error_ = message ? message : "cannot load libnvidia-ml.so.1";
    return;
  }
  int (*init)() = nullptr;
  int (*by_bus_id)(const char*, void**) = nullptr;
  bind(library_, "nvmlInit_v2", init);
  bind(library_, "nvmlDeviceGetHandleByPciBusId_v2", by_bus_id);
  bind(library_, "nvmlShutdown", shutdown_);
  bind(library_, "nvmlDeviceGetClockInfo", clock_info_);
  bind(library_, "nvmlDeviceGetMaxClockInfo", max_clock_info_);
  bind(library_, "nvmlDeviceGetPowerUsage", power_usage_);
  bind(library_, "nvmlDeviceGetEnforcedPowerLimit", power_limit_);
  bind(library_, "nvmlDeviceGetTemperature", temperature_);
  bind(library_, "nvmlDeviceGetCurrentClocksEventReasons", clock_reasons_);
  if (!clock_reasons_) bind(library_, "nvmlDeviceGetCurrentClocksThrottleReasons", clock_reasons_);
  bind(library_, "nvmlSystemGetDriverVersion", driver_version_);
  if (!init || !by_bus_id || !shutdown_ || !clock_info_ || !power_usage_ || !temperature_) {
    error_ = "libnvidia-ml.so.1 lacks an entry point capsim-calibrate needs";
  } else if (const int status = init(); status != 0) {
    error_ = "nvmlInit failed with status " + std::to_string(status);
    shutdown_ = nullptr;
  } else if (const int found = by_bus_id(pci_bus_id.c_str(), &device_); found != 0) {
    error_ = "NVML does not know the device at PCI bus id " + pci_bus_id;
    device_ = nullptr;
  }
}

NvmlMonitor::~NvmlMonitor() {
  if (running_) stop();
  if (shutdown_ && device_) shutdown_();
  if (library_) dlclose(library_);
}

NvmlDeviceInfo NvmlMonitor::info() const {
  NvmlDeviceInfo info;
  if (!available()) return info;
  char version[96] = {};
  if (driver_version_ && driver_version_(version, sizeof version) == 0) {
    info.driver_version = version;
  }
  unsigned value = 0;
  if (power_limit_ && power_limit_(device_, &value) == 0) info.power_limit_W = value / 1000.0;
  if (max_clock_info_ && max_clock_info_(device_, kClockSm, &value) == 0) {
    info.max_sm_clock_Hz = value * 1e6;
  }
  if (max_clock_info_ && max_clock_info_(device_, kClockMemory, &value) == 0) {
    info.max_memory_clock_Hz = value * 1e6;
  }
  return info;
}

bool NvmlMonitor::read(Sample& sample) const {
  unsigned clock = 0, power = 0, temperature = 0;
  unsigned long long reasons = 0;
  if (clock_info_(device_, kClockSm, &clock) != 0 || power_usage_(device_, &power) != 0 ||
      temperature_(device_, kTemperatureGpu, &temperature) != 0) {
    return false;
  }
  if (clock_reasons_) clock_reasons_(device_, &reasons);
  sample = {clock * 1e6, power / 1000.0, double(temperature), reasons};
  return true;
}

void NvmlMonitor::sample_loop(double period_s) {
  const auto period = std::chrono::duration<double>(period_s);
  while (running_) {
    Sample sample{};
    if (read(sample)) {
      std::lock_guard<std::mutex> lock(mutex_);
      samples_.push_back(sample);
    }
    std::this_thread::sleep_for(period);
  }
}

void NvmlMonitor::start(const std::string& group, double period_s) {
  if (running_) stop();
  group_ = group;
  samples_.clear();
  started_s_ = now_s();
  if (!available()) return;
  running_ = true;
  thread_ = std::thread([this, period_s] { sample_loop(period_s); });
}

GroupTelemetry NvmlMonitor::stop() {
  if (running_) {
    running_ = false;
    thread_.join();
  }
  if (available()) {  // one reading after the work, so even a short group has one
    Sample last{};
    if (read(last)) samples_.push_back(last);
  }
  GroupTelemetry t;
  t.group = group_;
  t.seconds = now_s() - started_s_;
  t.samples = int(samples_.size());
  if (samples_.empty()) return t;
  std::vector<double> clocks, powers;
  for (const Sample& s : samples_) {
    clocks.push_back(s.sm_clock_Hz);
    powers.push_back(s.power_W);
    t.temperature_max_C = std::max(t.temperature_max_C, s.temperature_C);
    t.throttle_reasons |= s.reasons;
  }
  const Range clock_range = range(clocks);
  t.sm_clock_min_Hz = clock_range.low;
  t.sm_clock_max_Hz = clock_range.high;
  t.sm_clock_median_Hz = median(clocks);
  t.power_median_W = median(powers);
  t.power_max_W = range(powers).high;
  t.throttle_names = throttle_reason_names(t.throttle_reasons);
  return t;
}

}  // namespace capsim::calibrate
