#include "ProfileWriter.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace capsim::calibrate {
namespace {

using nlohmann::json;

std::string compute_capability(const DeviceDescription& d) {
  return std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor);
}

// 13000 -> "13.0"
std::string cuda_version(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

json library_json(const LibraryStatus& library) {
  json j = {{"available", library.available}};
  if (library.available) j["version"] = library.version;
  if (!library.reason.empty()) j["reason"] = library.reason;
  return j;
}

json gemm_json(const GemmResult& g) {
  return {{"dtype", g.dtype},
          {"layout", g.layout},
          {"m", g.m},
          {"n", g.n},
          {"k", g.k},
          {"batch", g.batch},
          {"seconds", g.seconds},
          {"samples", g.samples},
          {"launches_per_sample", g.launches_per_sample}};
}

json telemetry_json(const GroupTelemetry& t) {
  return {{"group", t.group},
          {"seconds", t.seconds},
          {"samples", t.samples},
          {"sm_clock_min_Hz", t.sm_clock_min_Hz},
          {"sm_clock_median_Hz", t.sm_clock_median_Hz},
          {"sm_clock_max_Hz", t.sm_clock_max_Hz},
          {"power_median_W", t.power_median_W},
          {"power_max_W", t.power_max_W},
          {"temperature_max_C", t.temperature_max_C},
          {"throttle_reasons", t.throttle_reasons},
          {"throttled_by", t.throttle_names}};
}

}  // namespace

json profile_json(const CalibrationRun& run, const std::string& tool_version) {
  const DeviceDescription& d = run.device;
  json device = {{"name", d.name},
                 {"memory_bytes", d.memory_bytes},
                 {"sm_count", d.sm_count},
                 {"compute_capability", compute_capability(d)},
                 {"l2_cache_bytes", d.l2_cache_bytes},
                 {"pci_bus_id", d.pci_bus_id},
                 {"device_count", d.device_count},
                 {"driver_version", d.driver_version},
                 {"cuda_driver_version", cuda_version(d.cuda_driver_version)},
                 {"cuda_runtime_version", cuda_version(d.cuda_runtime_version)},
                 {"cublas_version", d.cublas_version},
                 {"max_sm_clock_Hz", d.max_sm_clock_Hz},
                 {"max_memory_clock_Hz", d.max_memory_clock_Hz},
                 {"power_limit_W", d.power_limit_W}};
  json gemm = json::array(), batched = json::array(), memory = json::array(), host = json::array(),
       peer = json::array(), collectives = json::array(), storage = json::array(),
       telemetry = json::array(), skipped = json::array();
  for (const auto& g : run.gemms) gemm.push_back(gemm_json(g));
  for (const auto& g : run.batched_gemms) batched.push_back(gemm_json(g));
  for (const auto& m : run.memory) {
    memory.push_back({{"kernel", m.kernel},
                      {"bytes", m.bytes},
                      {"moved_bytes", m.moved_bytes},
                      {"seconds", m.seconds},
                      {"samples", m.samples}});
  }
  for (const auto& h : run.host_copies) {
    host.push_back({{"direction", h.direction},
                    {"pinned", h.pinned},
                    {"bytes", h.bytes},
                    {"seconds", h.seconds},
                    {"samples", h.samples}});
  }
  for (const auto& p : run.peer_copies) {
    peer.push_back({{"src", p.src},
                    {"dst", p.dst},
                    {"peer_access", p.peer_access},
                    {"bytes", p.bytes},
                    {"seconds", p.seconds}});
  }
  for (const auto& c : run.collectives) {
    collectives.push_back({{"op", c.op},
                           {"ranks", c.ranks},
                           {"bytes", c.bytes},
                           {"seconds", c.seconds},
                           {"algbw_Bps", c.algbw_Bps},
                           {"busbw_Bps", c.busbw_Bps}});
  }
  for (const auto& s : run.storage) {
    json row = {{"mode", s.mode}, {"path", s.path}, {"bytes", s.bytes}, {"seconds", s.seconds}};
    if (!s.note.empty()) row["note"] = s.note;
    storage.push_back(row);
  }
  for (const auto& t : run.telemetry) telemetry.push_back(telemetry_json(t));
  for (const auto& s : run.skipped) skipped.push_back({{"group", s.group}, {"reason", s.reason}});
  json launch = {{"back_to_back_s", run.launch.back_to_back_s},
                 {"launch_sync_s", run.launch.launch_sync_s},
                 {"launches_per_sample", run.launch.launches_per_sample},
                 {"samples", run.launch.samples}};
  return {{"schema", kProfileSchemaName},
          {"schema_version", kProfileSchemaVersion},
          {"source",
           {{"tool", "capsim-calibrate " + tool_version},
            {"mode", run.mode},
            {"method",
             "pseudo-random inputs in [-1, 1], one warm-up, CUDA events, median of samples of "
             "back-to-back launches"}}},
          {"date", run.date},
          {"device", device},
          {"libraries", {{"nccl", library_json(run.nccl)}, {"nvml", library_json(run.nvml)}}},
          {"measurements",
           {{"gemm", gemm},
            {"gemm_batched", batched},
            {"memory", memory},
            {"host_copy", host},
            {"launch", launch},
            {"peer_copy", peer},
            {"collectives", collectives},
            {"storage", storage}}},
          {"telemetry", telemetry},
          {"skipped", skipped}};
}

void write_profile_file(const json& profile, const std::string& path) {
  const std::filesystem::path target(path);
  std::string hidden = target.filename().string();
  hidden.insert(0, 1, '.');  // not "." + string: GCC 12 misreports that as -Wrestrict
  hidden += ".tmp." + std::to_string(getpid());
  const std::filesystem::path temporary = target.parent_path() / hidden;
  {
    std::ofstream out(temporary);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    out << profile.dump(1) << "\n";
    out.close();
    if (!out) {
      std::filesystem::remove(temporary);
      throw std::runtime_error("cannot write " + temporary.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + path + ": " +
                             error.message());
  }
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace capsim::calibrate
