#include "BenchmarkGroups.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "CollectiveBenchmark.hpp"
#include "DeviceQuery.hpp"
#include "MemoryBenchmark.hpp"
#include "NcclLibrary.hpp"
#include "StorageBenchmark.hpp"

namespace capsim::calibrate {
namespace {

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

std::string shape_text(const GemmShape& s) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
         (s.batch > 1 ? " batch " + std::to_string(s.batch) : "");
}

class Session {
 public:
  Session(const CalibrateOptions& options, const BenchmarkPlan& plan, std::ostream& progress)
      : options_(options),
        plan_(plan),
        progress_(progress),
        started_(std::chrono::steady_clock::now()) {
    run_.mode = options.quick ? "quick" : "full";
    run_.date = utc_now_iso8601();
    run_.device = describe_device(options.device);
    nvml_ = std::make_unique<NvmlMonitor>(run_.device.pci_bus_id);
    run_.nvml.available = nvml_->available();
    run_.nvml.reason = nvml_->error();
    if (nvml_->available()) {
      add_nvml_info(run_.device, *nvml_);
      run_.nvml.version = run_.device.driver_version;
    }
    progress_ << "capsim-calibrate: " << run_.device.name << " (" << run_.device.sm_count
              << " SMs, compute capability " << run_.device.compute_major << "."
              << run_.device.compute_minor << "), " << run_.mode << " run"
              << (nvml_->available() ? "" : "; no NVML telemetry: " + nvml_->error()) << "\n";
  }

  // Runs `body` as the group `name`: telemetry around it, a progress line after it, and any
  // error recorded as a skipped group.
  void group(const std::string& name, const std::function<std::string()>& body) {
    nvml_->start(name);
    std::string summary;
    try {
      summary = body();
    } catch (const std::exception& error) {
      skip(name, std::string("failed: ") + error.what());
      summary = std::string("FAILED: ") + error.what();
    }
    GroupTelemetry telemetry = nvml_->stop();
    std::string flags;
    for (const auto& reason : telemetry.throttle_names)
      flags += (flags.empty() ? "" : ",") + reason;
    progress_ << "[" << seconds_text(elapsed_s()) << "] " << name << ": " << summary << " ("
              << seconds_text(telemetry.seconds) << (flags.empty() ? "" : ", throttled: " + flags)
              << ")\n";
    run_.telemetry.push_back(std::move(telemetry));
  }

  void skip(const std::string& name, const std::string& reason) {
    run_.skipped.push_back({name, reason});
  }

  std::string gemms(const std::string& dtype, std::vector<GemmShape> shapes, bool batched) {
    // Leave shapes out that do not fit in 80% of the free memory (small GPUs).
    const double budget = 0.8 * free_device_memory();
    std::vector<GemmShape> fitting;
    for (const auto& s : shapes) {
      if (GemmRunner::bytes_needed(dtype, {s}) <= budget) {
        fitting.push_back(s);
      } else {
        skip("gemm " + dtype + " " + shape_text(s), "does not fit in device memory");
      }
    }
    GemmRunner runner(dtype, fitting);
    int measured = 0;
    for (const auto& shape : fitting) {
      double busy_s = 0;
      try {
        GemmResult result = runner.time(shape, plan_.gemm_timing, busy_s);
        (batched ? run_.batched_gemms : run_.gemms).push_back(result);
        ++measured;
        if (result.seconds > plan_.heavy_gemm_s) cool_down(busy_s);
      } catch (const std::exception& error) {
        skip("gemm " + dtype + " " + shape_text(shape), error.what());
      }
    }
    return std::to_string(measured) + " of " + std::to_string(shapes.size()) + " shapes";
  }

  void cool_down(double busy_s) {
    const double pause =
        std::clamp(plan_.cooldown_factor * busy_s, plan_.min_cooldown_s, plan_.max_cooldown_s);
    std::this_thread::sleep_for(std::chrono::duration<double>(pause));
  }

  std::string memory() {
    const double budget = 0.8 * free_device_memory();
    int measured = 0;
    for (const char* kernel : {"copy", "triad"}) {
      const int arrays = std::string(kernel) == "triad" ? 3 : 2;
      for (double bytes : plan_.memory_bytes) {
        if (arrays * bytes > budget) {
          skip(std::string(kernel) + " " + std::to_string(bytes), "does not fit in device memory");
          continue;
        }
        double busy_s = 0;
        run_.memory.push_back(time_memory_kernel(kernel, bytes, plan_.memory_timing, busy_s));
        ++measured;
      }
    }
    return std::to_string(measured) + " sizes";
  }

  std::string host_copies() {
    for (bool pinned : {true, false}) {
      for (const char* direction : {"h2d", "d2h"}) {
        for (double bytes : plan_.host_copy_bytes) {
          run_.host_copies.push_back(time_host_copy(direction, pinned, bytes, plan_.host_timing));
        }
      }
    }
    return std::to_string(run_.host_copies.size()) + " copies";
  }

  std::string launch() {
    run_.launch = time_launch_overhead(plan_.launches_per_sample, plan_.launch_samples);
    char text[96];
    std::snprintf(text, sizeof text, "%.2f us back to back, %.2f us with synchronize",
                  run_.launch.back_to_back_s * 1e6, run_.launch.launch_sync_s * 1e6);
    return text;
  }

  void multi_gpu() {
    const int devices = run_.device.device_count;
    NcclLibrary nccl = load_nccl();
    run_.nccl.available = nccl.loaded();
    run_.nccl.reason = nccl.error;
    if (nccl.loaded()) {
      run_.nccl.version = std::to_string(nccl.version / 10000) + "." +
                          std::to_string(nccl.version / 100 % 100) + "." +
                          std::to_string(nccl.version % 100);
    }
    if (devices < 2) {
      skip("peer_copy", "one GPU on this host");
      skip("collectives", "one GPU on this host");
    } else {
      group("peer copies", [&] {
        run_.peer_copies = time_peer_copies(devices, plan_.peer_copy_bytes, 5);
        return std::to_string(run_.peer_copies.size()) + " pairs";
      });
      if (!nccl.loaded()) {
        skip("collectives", "NCCL is not available: " + nccl.error);
      } else {
        group("nccl collectives", [&] {
          run_.collectives =
              time_collectives(nccl, devices, plan_.collective_bytes, plan_.collective_samples,
                               plan_.collective_iterations);
          return std::to_string(run_.collectives.size()) + " timings on " +
                 std::to_string(devices) + " GPUs";
        });
      }
    }
    unload_nccl(nccl);
  }

  CalibrationRun run() {
    for (const auto& dtype : plan_.gemm_dtypes) {
      if (dtype == "fp8" && !fp8_supported(run_.device.compute_major, run_.device.compute_minor)) {
        skip("gemm fp8", "cuBLASLt fp8 needs compute capability 8.9 or later");
        continue;
      }
      group("gemm " + dtype, [&] { return gemms(dtype, plan_.gemms.at(dtype), false); });
    }
    group("gemm bf16 batched", [&] { return gemms("bf16", plan_.batched_gemms, true); });
    group("memory kernels", [&] { return memory(); });
    group("host copies", [&] { return host_copies(); });
    group("launch overhead", [&] { return launch(); });
    multi_gpu();
    if (!options_.storage.empty()) {
      group("storage", [&] {
        const double bytes =
            options_.storage_bytes > 0 ? options_.storage_bytes : plan_.storage_bytes;
        run_.storage = time_storage(options_.storage, bytes);
        return "read " + options_.storage;
      });
    }
    return std::move(run_);
  }

 private:
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  const CalibrateOptions& options_;
  const BenchmarkPlan& plan_;
  std::ostream& progress_;
  std::chrono::steady_clock::time_point started_;
  std::unique_ptr<NvmlMonitor> nvml_;
  CalibrationRun run_;
};

}  // namespace

CalibrationRun run_benchmarks(const CalibrateOptions& options, const BenchmarkPlan& plan,
                              std::ostream& progress) {
  Session session(options, plan, progress);
  return session.run();
}

}  // namespace capsim::calibrate
