// `capsim calibrate import|fit|check`: calibration profiles from the command line
// (docs/calibration.md).
#include <cmath>
#include <cstdio>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::cli {
namespace {

std::string fixed(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// The catalog GPU named by `gpu_id`, else the one GPU type whose name matches `device`.
const GpuSpec& gpu_for(const Catalog& catalog, const std::string& gpu_id, const std::string& device,
                       const std::string& where) {
  if (!gpu_id.empty()) {
    const auto found = catalog.gpus.find(gpu_id);
    if (found == catalog.gpus.end()) {
      throw InputError({"--gpu", 0, 0}, "", "unknown GPU id '" + gpu_id + "'",
                       "a catalog GPU id (see `capsim catalog gpus`)");
    }
    return found->second;
  }
  const GpuSpec* match = nullptr;
  std::string matches;
  for (const auto& [id, gpu] : catalog.gpus) {
    if (!device_matches_gpu(device, gpu)) continue;
    matches += (matches.empty() ? "" : ", ") + id;
    match = match ? nullptr : &gpu;
    if (!match) break;
  }
  if (!match) {
    throw InputError({where, 0, 0}, "",
                     "'" + device + "' matches " + (matches.empty() ? "no" : "more than one") +
                         " catalog GPU type" + (matches.empty() ? "" : " (" + matches + ")"),
                     "--gpu ID to say which GPU type's peaks to fit with");
  }
  return *match;
}

double gemm_seconds(const CublasSweep& sweep, double m, double n, double k) {
  for (const auto& g : sweep.gemms) {
    if (g.dtype == "bf16" && g.m == m && g.n == n && g.k == k) return g.seconds;
  }
  return 0;
}

const CopyMeasurement* largest_copy(const CublasSweep& sweep) {
  const CopyMeasurement* best = nullptr;
  for (const auto& c : sweep.copies) {
    if (!best || c.bytes > best->bytes) best = &c;
  }
  return best;
}

}  // namespace

int calibrate_import_command(const CalibrateArgs& args, std::ostream& out) {
  const Catalog catalog = catalog_from(args.catalog_dir);
  const KernelMeasurements measurements =
      read_kernel_measurements(args.inputs.at(0), args.inputs.at(1));
  const GpuSpec& gpu = gpu_for(catalog, args.gpu, measurements.cublas.device, args.inputs.at(0));
  write_output_file(args.out, import_profile_json(measurements, args.date, gpu));
  out << "Wrote " << args.out << ": " << measurements.cublas.gemms.size() << " GEMMs, "
      << measurements.cublas.copies.size() << " copies, " << measurements.attention.attention.size()
      << " attention timings of " << measurements.cublas.device << " (fitted with " << gpu.id
      << "'s peaks)\n";
  return 0;
}

int calibrate_fit_command(const CalibrateArgs& args, std::ostream& out) {
  const Catalog catalog = catalog_from(args.catalog_dir);
  const CalibrationProfile profile = read_calibration_profile(args.inputs.at(0));
  const GpuSpec& gpu = gpu_for(catalog, args.gpu, profile.device, profile.file);
  const KernelParameters fit = fit_calibration_profile(profile, gpu);
  TextTable table({"parameter", "fitted", "catalog (" + gpu.id + ")"});
  const KernelParameters catalog_figures = kernel_parameters(gpu);
  auto row = [&](const std::string& name, double fitted, double listed, const char* format) {
    table.add_row({name, fixed(fitted, format), fixed(listed, format)});
  };
  row("gemm_efficiency_bf16", fit.gemm_efficiency_bf16, catalog_figures.gemm_efficiency_bf16,
      "%.4f");
  row("gemm_efficiency_tf32", fit.gemm_efficiency_tf32, catalog_figures.gemm_efficiency_tf32,
      "%.4f");
  row("gemm_efficiency_fp8", fit.gemm_efficiency_fp8, catalog_figures.gemm_efficiency_fp8, "%.4f");
  row("gemm_tile_m", fit.gemm_tile_m, catalog_figures.gemm_tile_m, "%.0f");
  row("gemm_tile_n", fit.gemm_tile_n, catalog_figures.gemm_tile_n, "%.0f");
  row("gemm_k_overhead", fit.gemm_k_overhead, catalog_figures.gemm_k_overhead, "%.1f");
  row("memory_bandwidth_TB/s", fit.memory_bandwidth_Bps / 1e12,
      catalog_figures.memory_bandwidth_Bps / 1e12, "%.4f");
  row("l2_cache_MiB", fit.l2_cache_bytes / (1024.0 * 1024),
      catalog_figures.l2_cache_bytes / (1024.0 * 1024), "%.1f");
  row("l2_bandwidth_TB/s", fit.l2_bandwidth_Bps / 1e12, catalog_figures.l2_bandwidth_Bps / 1e12,
      "%.4f");
  row("launch_us", fit.launch_s * 1e6, catalog_figures.launch_s * 1e6, "%.3f");
  row("attention_efficiency_fwd", fit.attention_efficiency_fwd,
      catalog_figures.attention_efficiency_fwd, "%.4f");
  row("attention_efficiency_bwd", fit.attention_efficiency_bwd,
      catalog_figures.attention_efficiency_bwd, "%.4f");
  out << profile_source(profile) << "\n";
  table.print(out);
  if (!args.out.empty()) {
    write_output_file(args.out, fitted_section_json(fit, gpu) + "\n");
    out << "Wrote the fitted parameters to " << args.out << "\n";
  }
  return 0;
}

int calibrate_check_command(const CalibrateArgs& args, std::ostream& out) {
  const CalibrationProfile profile = read_calibration_profile(args.inputs.at(0));
  const CublasSweep reference = read_cublas_sweep(args.reference);
  const CublasSweep& measured = profile.measurements.cublas;
  TextTable table({"figure", "profile", "reference", "difference_%", "within"});
  bool ok = true;
  auto compare = [&](const std::string& name, double got, double want, const char* unit) {
    if (!(got > 0) || !(want > 0)) {
      table.add_row({name, got > 0 ? fixed(got, "%.1f") : "missing",
                     want > 0 ? fixed(want, "%.1f") : "missing", "", "no"});
      ok = false;
      return;
    }
    const double difference = got / want - 1;
    const bool within = std::fabs(difference) <= args.tolerance;
    ok = ok && within;
    table.add_row({name + " (" + unit + ")", fixed(got, "%.1f"), fixed(want, "%.1f"),
                   fixed(100 * difference, "%+.1f"), within ? "yes" : "NO"});
  };
  const double flops = 2 * std::pow(8192.0, 3);
  const double got_s = gemm_seconds(measured, 8192, 8192, 8192);
  const double want_s = gemm_seconds(reference, 8192, 8192, 8192);
  compare("bf16 8192^3 GEMM", got_s > 0 ? flops / got_s / 1e12 : 0,
          want_s > 0 ? flops / want_s / 1e12 : 0, "TFLOP/s");
  const CopyMeasurement* got_copy = largest_copy(measured);
  const CopyMeasurement* want_copy = largest_copy(reference);
  const double got_bw = got_copy ? 2 * got_copy->bytes / got_copy->seconds / 1e9 : 0;
  const double want_bw = want_copy ? 2 * want_copy->bytes / want_copy->seconds / 1e9 : 0;
  compare("largest copy", got_bw, want_bw, "GB/s");
  out << profile_source(profile) << " against " << args.reference << " (" << reference.device
      << ")\n";
  if (profile.device != reference.device) {
    out << "note: the profile's device '" << profile.device << "' is not the reference's\n";
  }
  table.print(out);
  out << (ok ? "within " : "NOT within ") << fixed(100 * args.tolerance, "%.0f") << "%\n";
  return ok ? 0 : 1;
}

}  // namespace capsim::cli
