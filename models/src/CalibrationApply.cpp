// Which GPU types a calibration profile applies to, and replacing their kernel figures.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// Upper-case words of a product name, split at spaces, dashes and underscores.
std::vector<std::string> words(const std::string& name) {
  std::vector<std::string> out;
  std::string word;
  for (const char c : name + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += char(std::toupper(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      out.push_back(word);
      word.clear();
    }
  }
  return out;
}

// The model number: the first word with letters then digits (H100, A100, L40S, MI300X).
std::string model_word(const std::vector<std::string>& w) {
  for (const auto& word : w) {
    const bool letter = std::isalpha(static_cast<unsigned char>(word.front()));
    const bool digit = std::any_of(word.begin(), word.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (letter && digit) return word;
  }
  return {};
}

// "80GB" -> "80GB"; none -> "".
std::string memory_word(const std::vector<std::string>& w) {
  for (const auto& word : w) {
    if (word.size() > 2 && word.compare(word.size() - 2, 2, "GB") == 0 &&
        std::all_of(word.begin(), word.end() - 2,
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return word;
    }
  }
  return {};
}

bool has_word(const std::vector<std::string>& w, const std::string& word) {
  return std::find(w.begin(), w.end(), word) != w.end();
}

std::string gpu_list(const std::set<std::string>& ids) {
  std::string text;
  for (const auto& id : ids) text += (text.empty() ? "" : ", ") + id;
  return text;
}

// Reads each profile once, even when several choices name it.
const CalibrationProfile& profile_at(std::map<std::string, CalibrationProfile>& cache,
                                     const std::string& path) {
  auto found = cache.find(path);
  if (found == cache.end()) found = cache.emplace(path, read_calibration_profile(path)).first;
  return found->second;
}

bool selects(const CalibrationChoice& choice, const CalibrationProfile& profile,
             const GpuSpec& gpu) {
  return choice.gpu_id.empty() ? device_matches_gpu(profile.device, gpu) : choice.gpu_id == gpu.id;
}

[[noreturn]] void no_match(const CalibrationChoice& choice, const CalibrationProfile& profile,
                           const std::set<std::string>& in_use, const std::string& what) {
  if (!choice.gpu_id.empty()) {
    throw InputError({choice.origin, 0, 0}, "",
                     "GPU type '" + choice.gpu_id + "' is not used by " + what,
                     "one of: " + gpu_list(in_use));
  }
  throw InputError(
      {choice.origin, 0, 0}, "",
      "profile " + choice.path + " was measured on '" + profile.device +
          "', which matches none of the GPU types of " + what + " (" + gpu_list(in_use) + ")",
      "a profile of one of those GPUs, or name the type to apply it anyway: " +
          (in_use.empty() ? std::string("GPU_ID") : *in_use.begin()) + "=" + choice.path);
}

}  // namespace

bool device_matches_gpu(const std::string& device, const GpuSpec& gpu) {
  const auto d = words(device), g = words(gpu.name);
  const std::string model = model_word(d);
  if (model.empty() || model != model_word(g)) return false;
  if (has_word(d, "PCIE") != has_word(g, "PCIE")) return false;
  const std::string dm = memory_word(d), gm = memory_word(g);
  return dm.empty() || gm.empty() || dm == gm;
}

GpuSpec calibrated_gpu(const GpuSpec& gpu, const CalibrationProfile& profile) {
  const KernelParameters fit = fit_calibration_profile(profile, gpu);
  GpuSpec out = gpu;
  out.matmul_efficiency_bf16 = fit.gemm_efficiency_bf16;
  out.matmul_efficiency_tf32 = fit.gemm_efficiency_tf32;
  out.matmul_efficiency_fp8 = fit.gemm_efficiency_fp8;
  out.sm_count = fit.sm_count;
  out.gemm_tile_m = fit.gemm_tile_m;
  out.gemm_tile_n = fit.gemm_tile_n;
  out.gemm_k_overhead = fit.gemm_k_overhead;
  out.launch_overhead_s = fit.launch_s;
  out.memory_efficiency = fit.memory_bandwidth_Bps / gpu.memory_bandwidth_Bps;
  out.l2_cache_bytes = fit.l2_cache_bytes;
  out.l2_bandwidth_Bps = fit.l2_bandwidth_Bps;
  out.attention_efficiency_fwd = fit.attention_efficiency_fwd;
  out.attention_efficiency_bwd = fit.attention_efficiency_bwd;
  out.attention_half_seq_fwd = fit.attention_half_seq_fwd;
  out.attention_half_seq_bwd = fit.attention_half_seq_bwd;
  out.attention_tail_rows_fwd = fit.attention_tail_rows_fwd;
  out.attention_tail_rows_bwd = fit.attention_tail_rows_bwd;
  std::string source = profile_source(profile);
  if (!device_matches_gpu(profile.device, gpu)) source += "; applied to " + gpu.id + " by name";
  out.kernel_source = source;
  out.efficiency_source = source;
  return out;
}

CalibrationChoice parse_calibration_choice(const std::string& text, const std::string& base_dir,
                                           const std::string& origin) {
  CalibrationChoice choice;
  choice.origin = origin;
  std::string path = text;
  const auto equals = text.find('=');
  if (equals != std::string::npos && text.substr(0, equals).find('/') == std::string::npos) {
    choice.gpu_id = text.substr(0, equals);
    path = text.substr(equals + 1);
    if (choice.gpu_id.empty()) {
      throw InputError({origin, 0, 0}, "", "'" + text + "' names no GPU type before '='",
                       "GPU_ID=PROFILE.json, e.g. h100-sxm-80gb=profile.json");
    }
  }
  if (path.empty()) {
    throw InputError({origin, 0, 0}, "", "'" + text + "' names no profile",
                     "PROFILE.json or GPU_ID=PROFILE.json");
  }
  const std::filesystem::path p(path);
  choice.path = (p.is_relative() && !base_dir.empty())
                    ? (std::filesystem::path(base_dir) / p).string()
                    : path;
  return choice;
}

void apply_calibrations(std::vector<ClusterConfig>& clusters,
                        const std::vector<CalibrationChoice>& choices) {
  std::map<std::string, CalibrationProfile> profiles;
  std::set<std::string> in_use;
  for (const auto& c : clusters) in_use.insert(c.gpu.id);
  std::map<std::string, std::string> chosen;  // GPU id -> origin of the choice
  for (const auto& choice : choices) {
    const CalibrationProfile& profile = profile_at(profiles, choice.path);
    bool any = false;
    for (auto& cluster : clusters) {
      if (!selects(choice, profile, cluster.gpu)) continue;
      const auto [previous, fresh] = chosen.emplace(cluster.gpu.id, choice.origin);
      if (!fresh && previous->second != choice.origin) {
        throw InputError({choice.origin, 0, 0}, "",
                         "a second profile for GPU type " + cluster.gpu.id +
                             " (the first: " + previous->second + ")",
                         "one profile per GPU type");
      }
      cluster.gpu = calibrated_gpu(cluster.gpu, profile);
      any = true;
    }
    if (!any) no_match(choice, profile, in_use, "this scenario's clusters");
  }
}

void apply_calibrations(Catalog& catalog, const std::vector<CalibrationChoice>& choices) {
  std::map<std::string, CalibrationProfile> profiles;
  std::set<std::string> ids;
  for (const auto& [id, gpu] : catalog.gpus) ids.insert(id);
  std::set<std::string> chosen;
  for (const auto& choice : choices) {
    const CalibrationProfile& profile = profile_at(profiles, choice.path);
    bool any = false;
    for (auto& [id, gpu] : catalog.gpus) {
      if (!selects(choice, profile, gpu)) continue;
      if (!chosen.insert(id).second) {
        throw InputError({choice.origin, 0, 0}, "", "a second profile for GPU type " + id,
                         "one profile per GPU type");
      }
      gpu = calibrated_gpu(gpu, profile);
      any = true;
    }
    if (!any) no_match(choice, profile, ids, "the catalog");
  }
}

}  // namespace capsim
