// Reading the measurement files of shared/calibration, and the errors on malformed ones.
#include "capsim/models/Calibration.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

namespace fs = std::filesystem;

const std::string kDir = std::string(CAPSIM_SHARED_DIR) + "/calibration/";

TEST(CublasSweep, ReadsTheH100File) {
  const CublasSweep sweep = read_cublas_sweep(kDir + "h100-sxm-80gb.cublas-sweep.csv");
  EXPECT_EQ(sweep.device, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(sweep.sm_count, 132);
  ASSERT_EQ(sweep.copies.size(), 7u);
  EXPECT_DOUBLE_EQ(sweep.copies.front().bytes, 1048576);
  EXPECT_DOUBLE_EQ(sweep.copies.front().seconds, 3.55407997e-06);
  EXPECT_EQ(sweep.copies.front().line, 3);
  EXPECT_DOUBLE_EQ(sweep.copies.back().bytes, 4294967296.0);
  ASSERT_EQ(sweep.gemms.size(), 526u + 526u + 525u);  // bf16, fp16, tf32
  const GemmMeasurement& first = sweep.gemms.front();
  EXPECT_EQ(first.dtype, "bf16");
  EXPECT_EQ(first.precision, MatmulPrecision::BF16);
  EXPECT_DOUBLE_EQ(first.m, 128);
  EXPECT_DOUBLE_EQ(first.n, 128);
  EXPECT_DOUBLE_EQ(first.k, 128);
  EXPECT_DOUBLE_EQ(first.seconds, 1.00428797e-05);
  EXPECT_EQ(first.line, 10);
  int fp16 = 0, tf32 = 0;
  for (const auto& g : sweep.gemms) {
    fp16 += g.dtype == "fp16";
    if (g.dtype == "tf32") {
      ++tf32;
      EXPECT_EQ(g.precision, MatmulPrecision::TF32);
    }
    if (g.dtype == "fp16") {
      EXPECT_EQ(g.precision, MatmulPrecision::BF16);  // same rate
    }
  }
  EXPECT_EQ(fp16, 526);
  EXPECT_EQ(tf32, 525);
}

TEST(AttentionPowerSweep, ReadsTheH100FileWithoutTheOutlier) {
  const AttentionPowerSweep sweep =
      read_attention_power(kDir + "h100-sxm-80gb.torch-attention-power.csv");
  EXPECT_EQ(sweep.device, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(sweep.skipped_outlier_line, 4);  // the first sdpa_fwd_bwd row (README)
  ASSERT_EQ(sweep.attention.size(), 20u + 19u);
  const AttentionMeasurement& first = sweep.attention.front();
  EXPECT_FALSE(first.backward);
  EXPECT_DOUBLE_EQ(first.batch, 1);
  EXPECT_DOUBLE_EQ(first.heads, 32);
  EXPECT_DOUBLE_EQ(first.query_len, 1024);
  EXPECT_DOUBLE_EQ(first.key_len, 1024);
  EXPECT_DOUBLE_EQ(first.head_dim, 128);
  EXPECT_TRUE(first.causal);
  EXPECT_DOUBLE_EQ(first.seconds, 3.79632e-05);
  EXPECT_FALSE(sweep.attention[1].backward);  // b4 h32 s1024 forward, line 5
  EXPECT_TRUE(sweep.attention[2].backward);   // and its forward+backward
  EXPECT_EQ(sweep.attention[2].line, 6);
  ASSERT_EQ(sweep.decode.size(), 11u);
  EXPECT_DOUBLE_EQ(sweep.decode.front().key_len, 1024);
  EXPECT_DOUBLE_EQ(sweep.decode.front().read_Bps, 0.713e12);
  ASSERT_EQ(sweep.power.size(), 3u);
  EXPECT_EQ(sweep.power[1].load, "gemm");
  EXPECT_DOUBLE_EQ(sweep.power[1].median_W, 697.64);
  EXPECT_DOUBLE_EQ(sweep.power[1].sm_clock_Hz, 1350e6);
}

TEST(AttentionPowerSweep, ReadsTheH200File) {
  const KernelMeasurements m = read_kernel_measurements(
      kDir + "h200-sxm-141gb.cublas-sweep.csv", kDir + "h200-sxm-141gb.torch-attention-power.csv");
  EXPECT_EQ(m.cublas.device, "NVIDIA H200");
  EXPECT_EQ(m.cublas.sm_count, 132);
  EXPECT_EQ(m.attention.attention.size(), 39u);
  EXPECT_DOUBLE_EQ(m.attention.power[1].sm_clock_Hz, 1470e6);
}

// A throw-away file per test.
class BadMeasurements : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::temp_directory_path() /
             ("capsim-calibration-" + std::to_string(getpid()) + "-" + info->name() + ".csv"))
                .string();
  }
  void TearDown() override { fs::remove(path_); }

  std::string sweep_error(const std::string& text) {
    std::ofstream(path_) << text;
    try {
      read_cublas_sweep(path_);
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "the file was read without error";
    return {};
  }

  std::string attention_error(const std::string& text) {
    std::ofstream(path_) << text;
    try {
      read_attention_power(path_);
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "the file was read without error";
    return {};
  }

  std::string path_;
};

const std::string kSweepTop =
    "# device,Test GPU,sms=4\nkind,dtype,m,n,k,bytes,seconds,rate\n"
    "copy,f32,0,0,0,1048576,3.5e-06,0.59\n";
const std::string kAttentionTop =
    "# device,Test GPU,torch,2.11\nkind,b,h,sq,skv,d,causal,seconds,tflops\n";

TEST_F(BadMeasurements, ValidMinimalFilesRead) {
  std::ofstream(path_) << kSweepTop << "gemm,bf16,128,128,128,0,1e-05,0.4\n\n";
  const CublasSweep sweep = read_cublas_sweep(path_);
  EXPECT_EQ(sweep.sm_count, 4);
  EXPECT_EQ(sweep.gemms.size(), 1u);
  EXPECT_EQ(sweep.gemms[0].line, 4);
}

TEST_F(BadMeasurements, NotANumber) {
  const std::string message = sweep_error(kSweepTop + "gemm,bf16,128,12x8,128,0,1e-05,0.4\n");
  EXPECT_NE(message.find(path_ + ":4: n: '12x8' is not a number"), std::string::npos) << message;
}

TEST_F(BadMeasurements, WrongColumnCount) {
  const std::string message = sweep_error(kSweepTop + "gemm,bf16,128,128,128,1e-05\n");
  EXPECT_NE(message.find(path_ + ":4: a 'gemm' row has 6 columns; expected 8"), std::string::npos)
      << message;
}

TEST_F(BadMeasurements, UnknownKindAndDtype) {
  EXPECT_NE(sweep_error(kSweepTop + "gemv,bf16,1,128,128,0,1e-05,0.4\n")
                .find(":4: kind: 'gemv' is not a measurement kind; expected gemm or copy"),
            std::string::npos);
  EXPECT_NE(sweep_error(kSweepTop + "gemm,fp8,128,128,128,0,1e-05,0.4\n")
                .find(":4: dtype: 'fp8' is not a measured GEMM type"),
            std::string::npos);
}

TEST_F(BadMeasurements, NonPositiveOrFractionalValues) {
  EXPECT_NE(sweep_error(kSweepTop + "gemm,bf16,128,128,128,0,0,0.4\n")
                .find(":4: seconds: '0' is not positive"),
            std::string::npos);
  EXPECT_NE(sweep_error(kSweepTop + "gemm,bf16,128.5,128,128,0,1e-05,0.4\n")
                .find(":4: m: '128.5' is not whole"),
            std::string::npos);
  EXPECT_NE(sweep_error(kSweepTop + "gemm,bf16,-128,128,128,0,1e-05,0.4\n")
                .find(":4: m: '-128' is out of range"),
            std::string::npos);
}

TEST_F(BadMeasurements, DeviceAndHeaderLines) {
  EXPECT_NE(sweep_error("kind,dtype,m,n,k,bytes,seconds,rate\n")
                .find(path_ + ":1: the first line is not the device line"),
            std::string::npos);
  EXPECT_NE(sweep_error("# device,Test GPU\nkind,dtype,m,n,k,bytes,seconds,rate\n")
                .find(":1: sms: the device line does not give the SM count"),
            std::string::npos);
  EXPECT_NE(sweep_error("# device,Test GPU,sms=4\nkind,m,n,k\n")
                .find(":2: the second line is not the column header"),
            std::string::npos);
}

TEST_F(BadMeasurements, MissingFile) {
  try {
    read_cublas_sweep("/no/such/dir/x.csv");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("/no/such/dir/x.csv: cannot open"), std::string::npos)
        << error.what();
  }
}

TEST_F(BadMeasurements, AttentionRows) {
  EXPECT_NE(attention_error(kAttentionTop + "sdpa_fwd,1,32,1024,1024,128,2,3.8e-05,226.3\n")
                .find(":3: causal: '2' is not 0 or 1"),
            std::string::npos);
  EXPECT_NE(attention_error(kAttentionTop + "sdpa_bwd,1,32,1024,1024,128,1,3.8e-05,226.3\n")
                .find(":3: kind: 'sdpa_bwd' is not a measurement kind"),
            std::string::npos);
  EXPECT_NE(attention_error(kAttentionTop + "power,idle,8,127\n")
                .find(":3: a power row has 4 columns; expected 6"),
            std::string::npos);
  EXPECT_NE(attention_error(kAttentionTop + "kind,load,watts\n").find(":3: unknown column header"),
            std::string::npos);
}

TEST(KernelFit, NoRowsToFitIsAnError) {
  KernelMeasurements empty;
  empty.cublas.file = "empty.csv";
  empty.cublas.sm_count = 132;
  GpuSpec gpu;
  gpu.bf16_flop_per_s = 989e12;
  gpu.tf32_flop_per_s = 494.5e12;
  gpu.memory_bandwidth_Bps = 3.35e12;
  try {
    fit_kernel_parameters(empty, gpu);
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("empty.csv: no bf16 GEMM rows"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace capsim
