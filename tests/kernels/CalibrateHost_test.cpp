// capsim-calibrate's host side without a GPU: its command line, and the profile it writes read
// back by capsim's reader (the two sides of the JSON format agree). Where the CUDA build made the
// binary, its refusal of bad arguments too (no GPU is needed to reach those errors).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "CalibrateOptions.hpp"
#include "ProfileWriter.hpp"
#include "TestTempPath.hpp"
#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::calibrate {
namespace {

using capsim::test_temp_path;
namespace fs = std::filesystem;

std::string usage_error(const std::vector<std::string>& args) {
  try {
    parse_options(args);
  } catch (const UsageError& error) {
    return error.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

TEST(CalibrateOptions, ParsesTheDocumentedFlags) {
  const CalibrateOptions o = parse_options({"--quick", "--out", "p.json", "--storage", "/data",
                                            "--storage-bytes", "512MiB", "--device", "1"});
  EXPECT_TRUE(o.quick);
  EXPECT_EQ(o.out, "p.json");
  EXPECT_EQ(o.storage, "/data");
  EXPECT_DOUBLE_EQ(o.storage_bytes, 512.0 * 1024 * 1024);
  EXPECT_EQ(o.device, 1);
  EXPECT_TRUE(parse_options({"--help"}).help);
  EXPECT_FALSE(parse_options({}).quick);
}

TEST(CalibrateOptions, BadArgumentsSayWhatIsExpected) {
  EXPECT_EQ(usage_error({"--fast"}), "unknown argument '--fast' (see capsim-calibrate --help)");
  EXPECT_EQ(usage_error({"--out"}), "--out needs a value (see capsim-calibrate --help)");
  EXPECT_NE(usage_error({"--device", "-1"}).find("--device: '-1' is not a device index"),
            std::string::npos);
  EXPECT_NE(usage_error({"--storage", "/d", "--storage-bytes", "4GB"})
                .find("'4GB' is not a size; expected a positive number of bytes such as 4GiB"),
            std::string::npos);
  EXPECT_NE(usage_error({"--storage-bytes", "1GiB"}).find("--storage-bytes needs --storage"),
            std::string::npos);
}

TEST(CalibrateOptions, DefaultProfileNameFromTheDevice) {
  EXPECT_EQ(default_profile_name("NVIDIA H100 80GB HBM3"),
            "calibration-nvidia-h100-80gb-hbm3.json");
  EXPECT_EQ(default_profile_name("NVIDIA A100-SXM4-40GB"),
            "calibration-nvidia-a100-sxm4-40gb.json");
  EXPECT_EQ(default_profile_name("??"), "calibration-gpu.json");
}

// A run with one row of every kind, written and read back by models/.
TEST(ProfileWriter, CapsimReadsWhatCapsimCalibrateWrites) {
  CalibrationRun run;
  run.mode = "quick";
  run.date = "2026-11-27T10:00:00Z";
  run.device.name = "NVIDIA H100 80GB HBM3";
  run.device.sm_count = 132;
  run.device.compute_major = 9;
  run.device.cuda_runtime_version = 13000;
  run.gemms = {{"bf16", "NN", 8192, 8192, 8192, 1, 1.42e-3, 5, 1},
               {"fp8", "TN", 4096, 4096, 4096, 1, 1.1e-4, 5, 2}};
  run.batched_gemms = {{"bf16", "TN", 1024, 1024, 128, 128, 2e-4, 5, 1}};
  run.memory = {{"copy", 4294967296.0, 8589934592.0, 3.0e-3, 5},
                {"triad", 1048576, 3145728, 4e-6, 5}};
  run.nccl.reason = "libnccl.so.2: cannot open shared object file";
  run.skipped = {{"collectives", "one GPU on this host"}};
  const fs::path folder = test_temp_path("profile");
  fs::create_directories(folder);
  const std::string path = (folder / "profile.json").string();
  write_profile_file(profile_json(run, "0.1.0"), path);
  const CalibrationProfile profile = read_calibration_profile(path);
  EXPECT_EQ(profile.schema_version, kProfileSchemaVersion);
  EXPECT_EQ(profile.device, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(profile.sm_count, 132);
  EXPECT_EQ(profile.tool, "capsim-calibrate 0.1.0");
  EXPECT_EQ(profile.mode, "quick");
  EXPECT_EQ(profile.date, "2026-11-27T10:00:00Z");
  const auto& gemms = profile.measurements.cublas.gemms;
  ASSERT_EQ(gemms.size(), 2u);  // batched GEMMs are kept apart
  EXPECT_EQ(gemms[1].precision, MatmulPrecision::FP8);
  EXPECT_DOUBLE_EQ(gemms[0].seconds, 1.42e-3);
  ASSERT_EQ(profile.measurements.cublas.copies.size(), 1u);  // triad is not a copy
  EXPECT_DOUBLE_EQ(profile.measurements.cublas.copies[0].bytes, 4294967296.0);
  // Only the renamed file is left: no temporary beside it.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(fs::path(path).parent_path())) {
    ++files;
  }
  EXPECT_EQ(files, 1);
  fs::remove_all(folder);
}

TEST(ProfileWriter, AFolderThatDoesNotExistIsAnErrorAndLeavesNoFile) {
  EXPECT_THROW(write_profile_file(nlohmann::json::object(), "/no/such/folder/p.json"),
               std::runtime_error);
  EXPECT_FALSE(fs::exists("/no/such/folder"));
}

#ifdef CAPSIM_CALIBRATE_BINARY
int exit_code(const std::string& command) {
  const int status = std::system((command + " > /dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CapsimCalibrateBinary, BadArgumentsExitTwoWithoutAProfile) {
  const std::string bin = CAPSIM_CALIBRATE_BINARY;
  const std::string out = test_temp_path("never.json");
  EXPECT_EQ(exit_code(bin + " --help"), 0);
  EXPECT_EQ(exit_code(bin + " --fast --out " + out), 2);
  EXPECT_EQ(exit_code(bin + " --device x --out " + out), 2);
  EXPECT_EQ(exit_code(bin + " --out /no/such/folder/p.json"), 2);
  EXPECT_FALSE(fs::exists(out));
}
#endif

}  // namespace
}  // namespace capsim::calibrate
