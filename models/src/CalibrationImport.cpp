// Writing calibration profiles from the CSV measurements of shared/calibration
// (`capsim calibrate import`), in the format capsim-calibrate writes (docs/calibration.md).
#include <nlohmann/json.hpp>

#include "capsim/models/CalibrationProfile.hpp"

namespace capsim {
namespace {

using nlohmann::json;

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

json fitted_json(const KernelParameters& fit, const GpuSpec& gpu) {
  return {{"gpu", gpu.id},
          {"note", "informational: capsim refits the measurements when it loads the profile"},
          {"gemm_efficiency_bf16", fit.gemm_efficiency_bf16},
          {"gemm_efficiency_tf32", fit.gemm_efficiency_tf32},
          {"gemm_efficiency_fp8", fit.gemm_efficiency_fp8},
          {"sm_count", fit.sm_count},
          {"gemm_tile_m", fit.gemm_tile_m},
          {"gemm_tile_n", fit.gemm_tile_n},
          {"gemm_k_overhead", fit.gemm_k_overhead},
          {"memory_bandwidth_Bps", fit.memory_bandwidth_Bps},
          {"l2_cache_bytes", fit.l2_cache_bytes},
          {"l2_bandwidth_Bps", fit.l2_bandwidth_Bps},
          {"launch_s", fit.launch_s},
          {"attention_efficiency_fwd", fit.attention_efficiency_fwd},
          {"attention_efficiency_bwd", fit.attention_efficiency_bwd},
          {"attention_half_seq_fwd", fit.attention_half_seq_fwd},
          {"attention_half_seq_bwd", fit.attention_half_seq_bwd},
          {"attention_tail_rows_fwd", fit.attention_tail_rows_fwd},
          {"attention_tail_rows_bwd", fit.attention_tail_rows_bwd}};
}

}  // namespace

std::string fitted_section_json(const KernelParameters& fit, const GpuSpec& gpu) {
  return fitted_json(fit, gpu).dump(1);
}

std::string import_profile_json(const KernelMeasurements& measurements, const std::string& date,
                                const GpuSpec& gpu) {
  const CublasSweep& sweep = measurements.cublas;
  const AttentionPowerSweep& attention = measurements.attention;
  json gemm = json::array(), memory = json::array(), attention_rows = json::array(),
       decode = json::array(), power = json::array();
  for (const auto& g : sweep.gemms) {
    gemm.push_back({{"dtype", g.dtype},
                    {"layout", "NN"},
                    {"m", g.m},
                    {"n", g.n},
                    {"k", g.k},
                    {"batch", 1},
                    {"seconds", g.seconds}});
  }
  for (const auto& c : sweep.copies) {
    memory.push_back({{"kernel", "copy"},
                      {"bytes", c.bytes},
                      {"moved_bytes", 2 * c.bytes},
                      {"seconds", c.seconds}});
  }
  for (const auto& a : attention.attention) {
    attention_rows.push_back({{"pass", a.backward ? "fwd_bwd" : "fwd"},
                              {"batch", a.batch},
                              {"heads", a.heads},
                              {"query_len", a.query_len},
                              {"key_len", a.key_len},
                              {"head_dim", a.head_dim},
                              {"causal", a.causal},
                              {"seconds", a.seconds}});
  }
  for (const auto& d : attention.decode) {
    decode.push_back({{"batch", d.batch},
                      {"heads", d.heads},
                      {"key_len", d.key_len},
                      {"head_dim", d.head_dim},
                      {"seconds", d.seconds},
                      {"read_Bps", d.read_Bps}});
  }
  for (const auto& p : attention.power) {
    power.push_back({{"load", p.load},
                     {"sampled_s", p.sampled_s},
                     {"median_W", p.median_W},
                     {"max_W", p.max_W},
                     {"sm_clock_Hz", p.sm_clock_Hz}});
  }
  const json profile = {
      {"schema", "capsim-calibration-profile"},
      {"schema_version", kCalibrationProfileVersion},
      {"source",
       {{"tool", "capsim calibrate import"},
        {"mode", "imported"},
        {"imported_from", {base_name(sweep.file), base_name(attention.file)}},
        {"method",
         "not measured by capsim-calibrate: converted from the CSVs named in imported_from "
         "(shared/calibration/README.md: cuBLAS sweep, mean of 3-50 repeats; PyTorch SDPA); "
         "the sweep's first sdpa_fwd_bwd row, a set-up outlier, is left out"}}},
      {"date", date},
      {"device", {{"name", sweep.device}, {"sm_count", sweep.sm_count}}},
      {"measurements",
       {{"gemm", gemm},
        {"memory", memory},
        {"attention", attention_rows},
        {"decode_attention", decode},
        {"power", power}}},
      {"skipped",
       json::array({{{"group", "fp8, batched GEMMs, triad, host copies, launch, collectives"},
                     {"reason", "not in the imported CSVs"}}})},
      {"fitted", fitted_json(fit_kernel_parameters(measurements, gpu), gpu)}};
  return profile.dump(1) + "\n";
}

}  // namespace capsim
