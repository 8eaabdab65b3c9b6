// Calibration profiles: reading (and the errors on bad ones), the round trip CSV -> profile ->
// fit, the shipped profiles, which GPU types a profile applies to.
#include "capsim/models/CalibrationProfile.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

const std::string kShared = std::string(CAPSIM_SHARED_DIR) + "/calibration/";
const std::string kShippedProfiles =
    std::string(CAPSIM_SOURCE_DIR) + "/models/catalog/calibration/";

const KernelMeasurements& csv_measurements(const std::string& id) {
  static std::map<std::string, KernelMeasurements> cache;
  if (!cache.count(id)) {
    cache[id] = read_kernel_measurements(kShared + id + ".cublas-sweep.csv",
                                         kShared + id + ".torch-attention-power.csv");
  }
  return cache.at(id);
}

void expect_same_fit(const KernelParameters& a, const KernelParameters& b) {
  EXPECT_EQ(a.gemm_efficiency_bf16, b.gemm_efficiency_bf16);
  EXPECT_EQ(a.gemm_efficiency_tf32, b.gemm_efficiency_tf32);
  EXPECT_EQ(a.gemm_efficiency_fp8, b.gemm_efficiency_fp8);
  EXPECT_EQ(a.sm_count, b.sm_count);
  EXPECT_EQ(a.gemm_tile_m, b.gemm_tile_m);
  EXPECT_EQ(a.gemm_tile_n, b.gemm_tile_n);
  EXPECT_EQ(a.gemm_k_overhead, b.gemm_k_overhead);
  EXPECT_EQ(a.memory_bandwidth_Bps, b.memory_bandwidth_Bps);
  EXPECT_EQ(a.launch_s, b.launch_s);
  EXPECT_EQ(a.attention_efficiency_fwd, b.attention_efficiency_fwd);
  EXPECT_EQ(a.attention_efficiency_bwd, b.attention_efficiency_bwd);
  EXPECT_EQ(a.attention_half_seq_fwd, b.attention_half_seq_fwd);
  EXPECT_EQ(a.attention_half_seq_bwd, b.attention_half_seq_bwd);
  EXPECT_EQ(a.attention_tail_rows_fwd, b.attention_tail_rows_fwd);
  EXPECT_EQ(a.attention_tail_rows_bwd, b.attention_tail_rows_bwd);
}

// CSV -> profile JSON -> parsed profile: the same rows, so the same fit, bit for bit.
TEST(CalibrationProfile, ImportRoundTripFitsLikeTheCsvs) {
  for (const char* id : {"h100-sxm-80gb", "h200-sxm-141gb"}) {
    SCOPED_TRACE(id);
    const GpuSpec& gpu = test::shipped_catalog().gpus.at(id);
    const KernelMeasurements& csv = csv_measurements(id);
    const CalibrationProfile profile = parse_calibration_profile(
        import_profile_json(csv, "2026-11-26", gpu), std::string(id) + ".json");
    EXPECT_EQ(profile.device, csv.cublas.device);
    EXPECT_EQ(profile.sm_count, 132);
    EXPECT_EQ(profile.mode, "imported");
    ASSERT_EQ(profile.imported_from.size(), 2u);
    EXPECT_EQ(profile.imported_from[0], std::string(id) + ".cublas-sweep.csv");
    ASSERT_EQ(profile.measurements.cublas.gemms.size(), csv.cublas.gemms.size());
    EXPECT_EQ(profile.measurements.cublas.copies.size(), csv.cublas.copies.size());
    EXPECT_EQ(profile.measurements.attention.attention.size(), csv.attention.attention.size());
    EXPECT_EQ(profile.measurements.attention.decode.size(), csv.attention.decode.size());
    EXPECT_EQ(profile.measurements.attention.power.size(), 3u);
    expect_same_fit(fit_calibration_profile(profile, gpu), fit_kernel_parameters(csv, gpu));
  }
}

// The profiles in models/catalog/calibration are those imports, and their informational
// "fitted" section is the fit (not stale).
TEST(CalibrationProfile, ShippedProfilesAreTheImportedCsvs) {
  for (const char* id : {"h100-sxm-80gb", "h200-sxm-141gb"}) {
    SCOPED_TRACE(id);
    const std::string path = kShippedProfiles + id + ".json";
    const CalibrationProfile profile = read_calibration_profile(path);
    const GpuSpec& gpu = test::shipped_catalog().gpus.at(id);
    EXPECT_EQ(profile.date, "2026-11-26");
    EXPECT_EQ(profile.tool, "capsim calibrate import");
    const KernelParameters fit = fit_calibration_profile(profile, gpu);
    expect_same_fit(fit, fit_kernel_parameters(csv_measurements(id), gpu));
    std::ifstream in(path);
    const auto document = nlohmann::json::parse(in);
    EXPECT_DOUBLE_EQ(document.at("fitted").at("gemm_efficiency_bf16").get<double>(),
                     fit.gemm_efficiency_bf16);
    EXPECT_DOUBLE_EQ(document.at("fitted").at("memory_bandwidth_Bps").get<double>(),
                     fit.memory_bandwidth_Bps);
    EXPECT_NE(document.at("source").at("method").get<std::string>().find("not measured by "
                                                                         "capsim-calibrate"),
              std::string::npos);
    // Applied to its own GPU type, the profile gives the catalog's figures (they are this fit).
    const GpuSpec calibrated = calibrated_gpu(gpu, profile);
    EXPECT_NEAR(calibrated.matmul_efficiency_bf16, gpu.matmul_efficiency_bf16, 0.5e-4);
    EXPECT_NEAR(calibrated.memory_efficiency, gpu.memory_efficiency, 0.5e-5);
    EXPECT_TRUE(from_calibration_profile(calibrated));
    EXPECT_FALSE(from_calibration_profile(gpu));
    EXPECT_EQ(calibrated.kernel_source.find("calibration profile " + path + " (" + profile.device +
                                            ", 2026-11-26"),
              0u)
        << calibrated.kernel_source;
  }
}

TEST(CalibrationProfile, DeviceNamesMatchCatalogGpus) {
  const auto& gpus = test::shipped_catalog().gpus;
  EXPECT_TRUE(device_matches_gpu("NVIDIA H100 80GB HBM3", gpus.at("h100-sxm-80gb")));
  EXPECT_FALSE(device_matches_gpu("NVIDIA H100 80GB HBM3", gpus.at("h100-pcie-80gb")));
  EXPECT_FALSE(device_matches_gpu("NVIDIA H100 80GB HBM3", gpus.at("h200-sxm-141gb")));
  EXPECT_TRUE(device_matches_gpu("NVIDIA H100 PCIe", gpus.at("h100-pcie-80gb")));
  EXPECT_TRUE(device_matches_gpu("NVIDIA H200", gpus.at("h200-sxm-141gb")));
  EXPECT_FALSE(device_matches_gpu("NVIDIA H200", gpus.at("a100-sxm-80gb")));
  EXPECT_TRUE(device_matches_gpu("NVIDIA A100-SXM4-80GB", gpus.at("a100-sxm-80gb")));
  EXPECT_FALSE(device_matches_gpu("NVIDIA A100-SXM4-80GB", gpus.at("a100-sxm-40gb")));
  EXPECT_FALSE(device_matches_gpu("NVIDIA L40S", gpus.at("l4")));
}

TEST(CalibrationProfile, ChoicesNameAProfileAndMaybeAGpuType) {
  const CalibrationChoice plain = parse_calibration_choice("p/h100.json", "/base", "x");
  EXPECT_EQ(plain.gpu_id, "");
  EXPECT_EQ(plain.path, "/base/p/h100.json");
  const CalibrationChoice named = parse_calibration_choice("a100-sxm-80gb=/abs.json", "/base", "x");
  EXPECT_EQ(named.gpu_id, "a100-sxm-80gb");
  EXPECT_EQ(named.path, "/abs.json");
  const CalibrationChoice path_with_equals = parse_calibration_choice("a/b=c.json", "", "x");
  EXPECT_EQ(path_with_equals.gpu_id, "");  // a '/' before the '=': all of it is the path
  EXPECT_EQ(path_with_equals.path, "a/b=c.json");
  EXPECT_THROW(parse_calibration_choice("=p.json", "", "x"), InputError);
  EXPECT_THROW(parse_calibration_choice("h100-sxm-80gb=", "", "x"), InputError);
}

// ---------------------------------------------------------------------------------------------
// Bad profiles: every error names the file, the JSON path and what is expected.

std::string profile_error(const std::string& text) {
  try {
    parse_calibration_profile(text, "bad.json");
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

std::string with_gemm(const std::string& row) {
  return R"({"schema": "capsim-calibration-profile", "schema_version": 1, "date": "2026-11-26",
  "source": {"tool": "t"}, "device": {"name": "NVIDIA H100 80GB HBM3", "sm_count": 132},
  "measurements": {"gemm": [{"dtype": "bf16", "m": 128, "n": 128, "k": 128, "seconds": 1e-5},
  )" + row +
         "]}}";
}

TEST(CalibrationProfileErrors, SaysWhereAndWhatIsExpected) {
  const std::string good = R"({"dtype": "bf16", "m": 256, "n": 128, "k": 128, "seconds": 1e-5})";
  EXPECT_EQ(parse_calibration_profile(with_gemm(good), "ok.json").measurements.cublas.gemms.size(),
            2u);
  auto contains = [](const std::string& message, const std::string& part) {
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  contains(profile_error("{not json"), "bad.json: is not JSON");
  contains(profile_error(R"({"schema": "other"})"),
           "bad.json: schema: 'other' is not a calibration profile");
  contains(profile_error(R"({"schema": "capsim-calibration-profile", "schema_version": 9})"),
           "schema_version: version 9 is newer than this capsim");
  contains(profile_error(R"({"schema": "capsim-calibration-profile", "schema_version": 1,
                             "device": {"sm_count": 132}})"),
           "bad.json: device.name: is missing");
  contains(profile_error(with_gemm(R"({"dtype": "int4", "m": 1, "n": 1, "k": 1, "seconds": 1})")),
           "measurements.gemm[1].dtype: 'int4' is not a GEMM type; expected bf16, fp16, tf32 or "
           "fp8");
  contains(profile_error(with_gemm(R"({"dtype": "bf16", "m": 1.5, "n": 1, "k": 1, "seconds": 1})")),
           "measurements.gemm[1].m: is not whole");
  contains(profile_error(with_gemm(R"({"dtype": "bf16", "m": 1, "n": 1, "k": 1, "seconds": -1})")),
           "measurements.gemm[1].seconds: -1 is out of range");
  contains(profile_error(with_gemm(R"({"dtype": "bf16", "m": 1, "n": 1, "k": 1})")),
           "measurements.gemm[1].seconds: is missing");
  contains(profile_error(with_gemm(R"({"dtype": "bf16", "m": "8", "n": 1, "k": 1, "seconds": 1})")),
           "measurements.gemm[1].m: is not a number");
  contains(profile_error(
               with_gemm(R"({"dtype": "bf16", "m": 1, "n": 1, "k": 1, "batch": 4, "seconds": 1})")),
           "measurements.gemm[1].batch: is not 1");
  try {
    read_calibration_profile("/no/such/profile.json");
    FAIL() << "no error";
  } catch (const InputError& error) {
    contains(error.what(), "/no/such/profile.json: cannot open the calibration profile");
  }
}

}  // namespace
}  // namespace capsim
