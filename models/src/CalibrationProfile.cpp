// Reading calibration profiles (format: docs/calibration.md) into the measurement structs.
#include "capsim/models/CalibrationProfile.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

using nlohmann::json;

const char* const kSchemaName = "capsim-calibration-profile";

// A JSON value with its path, so every error names file, JSON path and what is expected.
class JsonNode {
 public:
  JsonNode(const json& value, std::string path, const std::string& file)
      : value_(value), path_(std::move(path)), file_(file) {}

  [[noreturn]] void fail(const std::string& problem, const std::string& expected) const {
    throw InputError({file_, 0, 0}, path_, problem, expected);
  }

  JsonNode at(const std::string& key) const {
    if (!value_.is_object()) fail("is not an object", "an object with '" + key + "'");
    if (!value_.contains(key)) {
      JsonNode(value_, child(key), file_).fail("is missing", "a value (docs/calibration.md)");
    }
    return JsonNode(value_.at(key), child(key), file_);
  }
  bool has(const std::string& key) const { return value_.is_object() && value_.contains(key); }

  // The elements of an array; a missing key is an empty list.
  std::vector<JsonNode> list(const std::string& key) const {
    std::vector<JsonNode> items;
    if (!has(key)) return items;
    const JsonNode array = at(key);
    if (!array.value_.is_array()) array.fail("is not a list", "a JSON array");
    for (std::size_t i = 0; i < array.value_.size(); ++i) {
      items.emplace_back(array.value_[i], array.path_ + "[" + std::to_string(i) + "]", file_);
    }
    return items;
  }

  std::string text(const std::string& key) const {
    const JsonNode n = at(key);
    if (!n.value_.is_string()) n.fail("is not a string", "a string");
    return n.value_.get<std::string>();
  }
  std::string text_or(const std::string& key, const std::string& fallback) const {
    return has(key) ? text(key) : fallback;
  }
  double number(const std::string& key, double minimum, const std::string& expected) const {
    const JsonNode n = at(key);
    if (!n.value_.is_number()) n.fail("is not a number", expected);
    const double value = n.value_.get<double>();
    if (!std::isfinite(value) || value < minimum) {
      n.fail(n.value_.dump() + " is out of range", expected);
    }
    return value;
  }
  double positive(const std::string& key, const std::string& expected) const {
    const double value = number(key, 0, expected);
    if (!(value > 0)) at(key).fail("is not positive", expected);
    return value;
  }
  double whole(const std::string& key, double minimum) const {
    const std::string expected = "a whole number >= " + std::to_string(int(minimum));
    const double value = number(key, minimum, expected);
    if (value != std::floor(value)) at(key).fail("is not whole", expected);
    return value;
  }
  bool flag(const std::string& key) const {
    const JsonNode n = at(key);
    if (!n.value_.is_boolean()) n.fail("is not true or false", "true or false");
    return n.value_.get<bool>();
  }
  std::string as_text() const {
    if (!value_.is_string()) fail("is not a string", "a string");
    return value_.get<std::string>();
  }
  const std::string& path() const { return path_; }

 private:
  std::string child(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const json& value_;
  std::string path_;
  const std::string& file_;
};

const std::string kSeconds = "a positive time in seconds";

void read_gemms(const JsonNode& measurements, CublasSweep& sweep) {
  const auto rows = measurements.list("gemm");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const JsonNode& row = rows[i];
    GemmMeasurement g;
    g.dtype = row.text("dtype");
    if (g.dtype == "bf16" || g.dtype == "fp16") {
      g.precision = MatmulPrecision::BF16;
    } else if (g.dtype == "tf32") {
      g.precision = MatmulPrecision::TF32;
    } else if (g.dtype == "fp8") {
      g.precision = MatmulPrecision::FP8;
    } else {
      row.at("dtype").fail("'" + g.dtype + "' is not a GEMM type", "bf16, fp16, tf32 or fp8");
    }
    g.m = row.whole("m", 1);
    g.n = row.whole("n", 1);
    g.k = row.whole("k", 1);
    if (row.has("batch") && row.whole("batch", 1) != 1) {
      row.at("batch").fail("is not 1", "batch 1 here; batched GEMMs go in gemm_batched");
    }
    g.seconds = row.positive("seconds", kSeconds);
    g.line = int(i);
    sweep.gemms.push_back(g);
  }
}

void read_copies(const JsonNode& measurements, CublasSweep& sweep) {
  const auto rows = measurements.list("memory");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const JsonNode& row = rows[i];
    const std::string kernel = row.text("kernel");
    if (kernel != "copy" && kernel != "triad") {
      row.at("kernel").fail("'" + kernel + "' is not a memory kernel", "copy or triad");
    }
    const double bytes = row.whole("bytes", 1);
    const double seconds = row.positive("seconds", kSeconds);
    if (kernel == "copy") sweep.copies.push_back({bytes, seconds, int(i)});
  }
}

void read_attention(const JsonNode& measurements, AttentionPowerSweep& sweep) {
  const auto rows = measurements.list("attention");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const JsonNode& row = rows[i];
    const std::string pass = row.text("pass");
    if (pass != "fwd" && pass != "fwd_bwd") {
      row.at("pass").fail("'" + pass + "' is not an attention pass", "fwd or fwd_bwd");
    }
    sweep.attention.push_back({pass == "fwd_bwd", row.whole("batch", 1), row.whole("heads", 1),
                               row.whole("query_len", 1), row.whole("key_len", 1),
                               row.whole("head_dim", 1), row.flag("causal"),
                               row.positive("seconds", kSeconds), int(i)});
  }
  const auto decode = measurements.list("decode_attention");
  for (std::size_t i = 0; i < decode.size(); ++i) {
    const JsonNode& row = decode[i];
    sweep.decode.push_back({row.whole("batch", 1), row.whole("heads", 1), row.whole("key_len", 1),
                            row.whole("head_dim", 1), row.positive("seconds", kSeconds),
                            row.positive("read_Bps", "bytes of K and V read per second"), int(i)});
  }
  const auto power = measurements.list("power");
  for (std::size_t i = 0; i < power.size(); ++i) {
    const JsonNode& row = power[i];
    sweep.power.push_back({row.text("load"), row.positive("sampled_s", kSeconds),
                           row.positive("median_W", "a power in W"),
                           row.positive("max_W", "a power in W"),
                           row.positive("sm_clock_Hz", "a clock in Hz"), int(i)});
  }
}

}  // namespace

CalibrationProfile parse_calibration_profile(const std::string& text, const std::string& file) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    throw InputError({file, 0, 0}, "", std::string("is not JSON: ") + error.what(),
                     "a calibration profile written by capsim-calibrate");
  }
  const JsonNode top(document, "", file);
  CalibrationProfile profile;
  profile.file = file;
  const std::string schema = top.text("schema");
  if (schema != kSchemaName) {
    top.at("schema").fail("'" + schema + "' is not a calibration profile",
                          std::string("'") + kSchemaName + "'");
  }
  profile.schema_version = int(top.whole("schema_version", 1));
  if (profile.schema_version > kCalibrationProfileVersion) {
    top.at("schema_version")
        .fail("version " + std::to_string(profile.schema_version) + " is newer than this capsim",
              "version " + std::to_string(kCalibrationProfileVersion) + " or older");
  }
  const JsonNode device = top.at("device");
  profile.device = device.text("name");
  profile.sm_count = int(device.whole("sm_count", 1));
  // capsim-calibrate records the device's L2 size; imported profiles leave it to the GPU type.
  if (device.has("l2_cache_bytes"))
    profile.l2_cache_bytes = device.whole("l2_cache_bytes", 0);  // 0: not recorded
  profile.date = top.text("date");
  const JsonNode source = top.at("source");
  profile.tool = source.text("tool");
  profile.mode = source.text_or("mode", "");
  for (const JsonNode& name : source.list("imported_from")) {
    profile.imported_from.push_back(name.as_text());
  }

  const JsonNode measurements = top.at("measurements");
  CublasSweep& sweep = profile.measurements.cublas;
  sweep.file = file;
  sweep.device = profile.device;
  sweep.sm_count = profile.sm_count;
  sweep.l2_cache_bytes = profile.l2_cache_bytes;
  read_gemms(measurements, sweep);
  read_copies(measurements, sweep);
  AttentionPowerSweep& attention = profile.measurements.attention;
  attention.file = file;
  attention.device = profile.device;
  read_attention(measurements, attention);
  return profile;
}

CalibrationProfile read_calibration_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw InputError({path, 0, 0}, "", "cannot open the calibration profile",
                     "a profile written by capsim-calibrate or `capsim calibrate import`");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_calibration_profile(text.str(), path);
}

std::string profile_source(const CalibrationProfile& profile) {
  std::string how = profile.tool;
  if (!profile.mode.empty()) how += " " + profile.mode;
  return "calibration profile " + profile.file + " (" + profile.device + ", " + profile.date +
         ", " + how + ")";
}

bool from_calibration_profile(const GpuSpec& gpu) {
  return gpu.kernel_source.rfind("calibration profile ", 0) == 0;
}

KernelParameters fit_calibration_profile(const CalibrationProfile& profile, const GpuSpec& gpu) {
  KernelParameters fit = fit_kernel_parameters(profile.measurements, gpu);
  fit.provenance = profile_source(profile);
  return fit;
}

}  // namespace capsim
