// The shipped catalog against the reference figures, and the loader's errors on bad files.
#include "capsim/models/Catalog.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

namespace fs = std::filesystem;

const std::string kCatalogDir = std::string(CAPSIM_SOURCE_DIR) + "/models/catalog";

const Catalog& shipped() {
  static const Catalog catalog = load_catalog(kCatalogDir);
  return catalog;
}

TEST(ShippedCatalog, LoadsEveryFile) {
  const Catalog& catalog = shipped();
  for (const char* name : {"gpus.yaml", "models.yaml", "network.yaml", "prices.yaml",
                           "servers.yaml", "storage.yaml"}) {
    EXPECT_EQ(std::count(catalog.files.begin(), catalog.files.end(), kCatalogDir + "/" + name), 1)
        << name;
  }
  EXPECT_FALSE(catalog.gpus.empty());
  EXPECT_FALSE(catalog.servers.empty());
  EXPECT_FALSE(catalog.nics.empty());
  EXPECT_FALSE(catalog.switches.empty());
  EXPECT_FALSE(catalog.optics.empty());
  EXPECT_FALSE(catalog.storage.empty());
  EXPECT_FALSE(catalog.models.empty());
  EXPECT_FALSE(catalog.cloud_prices.empty());
  ASSERT_EQ(catalog.economics.count("default"), 1u);
}

template <typename Spec>
void expect_cited(const std::map<std::string, Spec>& entries) {
  for (const auto& [id, spec] : entries) {
    EXPECT_EQ(spec.id, id);
    EXPECT_GT(spec.source.size(), 10u) << id << " has no real citation";
  }
}

TEST(ShippedCatalog, EveryEntryCitesASource) {
  const Catalog& catalog = shipped();
  expect_cited(catalog.gpus);
  expect_cited(catalog.servers);
  expect_cited(catalog.nics);
  expect_cited(catalog.switches);
  expect_cited(catalog.optics);
  expect_cited(catalog.storage);
  expect_cited(catalog.models);
  expect_cited(catalog.cloud_prices);
  expect_cited(catalog.economics);
  for (const auto& [id, gpu] : catalog.gpus) EXPECT_FALSE(gpu.efficiency_source.empty()) << id;
}

// Dense BF16 peak (TFLOP/s), memory (GB), HBM bandwidth (TB/s) and scale-up GB/s per direction,
// copied by hand from the GPU table of reference/hardware-and-costs.md.
struct ReferenceGpu {
  const char* id;
  double bf16_tflops, memory_gb, hbm_tbps, scaleup_gbps;
};
constexpr ReferenceGpu kReferenceGpus[] = {{"a100-sxm-40gb", 312, 40, 1.555, 300},
                                           {"a100-sxm-80gb", 312, 80, 2.039, 300},
                                           {"h100-sxm-80gb", 989, 80, 3.35, 450},
                                           {"h100-pcie-80gb", 756, 80, 2.0, 0},
                                           {"h200-sxm-141gb", 989, 141, 4.8, 450},
                                           {"b200-sxm-180gb", 2250, 180, 8.0, 900},
                                           {"gb200", 2500, 186, 8.0, 900},
                                           {"mi300x", 1307, 192, 5.3, 448},
                                           {"mi325x", 1307, 256, 6.0, 448},
                                           {"l40s", 362, 48, 0.864, 0},
                                           {"l4", 121, 24, 0.300, 0}};

TEST(ShippedCatalog, GpusMatchTheReferenceTable) {
  const Catalog& catalog = shipped();
  for (const auto& row : kReferenceGpus) {
    ASSERT_EQ(catalog.gpus.count(row.id), 1u) << row.id;
    const GpuSpec& gpu = catalog.gpus.at(row.id);
    EXPECT_DOUBLE_EQ(gpu.bf16_flop_per_s, row.bf16_tflops * 1e12) << row.id;
    EXPECT_DOUBLE_EQ(gpu.memory_bytes, row.memory_gb * 1e9) << row.id;
    EXPECT_DOUBLE_EQ(gpu.memory_bandwidth_Bps, row.hbm_tbps * 1e12) << row.id;
    EXPECT_DOUBLE_EQ(gpu.scaleup_bandwidth_Bps, row.scaleup_gbps * 1e9) << row.id;
    EXPECT_GT(gpu.matmul_efficiency_bf16, 0.0) << row.id;
    EXPECT_LE(gpu.matmul_efficiency_bf16, 1.0) << row.id;
  }
  const GpuSpec& h100 = catalog.gpus.at("h100-sxm-80gb");
  EXPECT_DOUBLE_EQ(h100.bf16_flop_per_s, 989e12);
  EXPECT_DOUBLE_EQ(h100.fp8_flop_per_s, 1979e12);
  EXPECT_DOUBLE_EQ(h100.memory_bytes, 80e9);
  EXPECT_DOUBLE_EQ(h100.scaleup_bandwidth_Bps, 450e9);
  EXPECT_DOUBLE_EQ(h100.host_link_Bps, 63e9);
  EXPECT_DOUBLE_EQ(h100.tdp_W, 700);
  EXPECT_EQ(h100.scaleup_link, "nvlink4");
  EXPECT_EQ(catalog.gpus.at("l40s").scaleup_link, "none");
  EXPECT_EQ(catalog.gpus.at("a100-sxm-80gb").fp8_flop_per_s, 0.0);  // no FP8 on Ampere
}

TEST(ShippedCatalog, MatmulEfficienciesAreThePublishedFiguresOverPeak) {
  const Catalog& catalog = shipped();
  auto bf16 = [&](const char* id) { return catalog.gpus.at(id).matmul_efficiency_bf16; };
  auto fp8 = [&](const char* id) { return catalog.gpus.at(id).matmul_efficiency_fp8; };
  constexpr double kTolerance = 1e-4;  // the files round to four decimals
  EXPECT_NEAR(bf16("a100-sxm-80gb"), 271.0 / 312, kTolerance);
  // H100 SXM and H200 bf16 are fitted to shared/calibration: KernelModel_test checks them.
  EXPECT_NEAR(fp8("h100-sxm-80gb"), 1403.0 / 1979, kTolerance);
  EXPECT_NEAR(fp8("h200-sxm-141gb"), 1453.0 / 1979, kTolerance);
  EXPECT_NEAR(bf16("b200-sxm-180gb"), 1745.0 / 2250, kTolerance);
  EXPECT_NEAR(fp8("b200-sxm-180gb"), 3433.0 / 4500, kTolerance);
  EXPECT_NEAR(bf16("gb200"), 1822.0 / 2500, kTolerance);
  EXPECT_NEAR(bf16("mi300x"), 668.0 / 1307, kTolerance);
  EXPECT_NEAR(bf16("mi325x"), 785.0 / 1307, kTolerance);
  // B200's FP4: the datasheet's 9000 TFLOP/s dense; its efficiency is an ESTIMATE (the FP8
  // fraction) and says so. No Hopper or Ampere GPU has FP4.
  const GpuSpec& b200 = catalog.gpus.at("b200-sxm-180gb");
  EXPECT_DOUBLE_EQ(b200.fp4_flop_per_s, 9000e12);
  EXPECT_NEAR(b200.matmul_efficiency_fp4, fp8("b200-sxm-180gb"), kTolerance);
  EXPECT_NE(b200.efficiency_source.find("FP4: ESTIMATE"), std::string::npos);
  for (const char* id : {"a100-sxm-80gb", "h100-sxm-80gb", "h200-sxm-141gb"})
    EXPECT_EQ(catalog.gpus.at(id).fp4_flop_per_s, 0.0) << id;
  // Estimates must say so where they are explained.
  for (const char* id : {"a100-sxm-40gb", "h100-pcie-80gb", "l40s", "l4"}) {
    EXPECT_NE(catalog.gpus.at(id).efficiency_source.find("ESTIMATE"), std::string::npos) << id;
  }
}

TEST(ShippedCatalog, ServersMatchTheReference) {
  const Catalog& catalog = shipped();
  const ServerSpec& dgx = catalog.servers.at("dgx-h100");
  EXPECT_EQ(dgx.gpu, "h100-sxm-80gb");
  EXPECT_EQ(dgx.gpus, 8);
  EXPECT_EQ(dgx.nvlink_domain_gpus, 8);
  EXPECT_EQ(dgx.nics, 8);
  EXPECT_DOUBLE_EQ(catalog.nics.at(dgx.nic).bandwidth_Bps, 50e9);  // 400 Gb/s NDR
  EXPECT_DOUBLE_EQ(dgx.power_W, 10.2e3);
  EXPECT_DOUBLE_EQ(dgx.price_usd, 8 * 41e3);
  const ServerSpec& a100 = catalog.servers.at("dgx-a100");
  EXPECT_DOUBLE_EQ(a100.nics * catalog.nics.at(a100.nic).bandwidth_Bps, 1.6e12 / 8);  // 1.6 Tb/s
  EXPECT_DOUBLE_EQ(a100.power_W, 6.5e3);
  EXPECT_DOUBLE_EQ(a100.price_usd, 199e3);
  EXPECT_DOUBLE_EQ(catalog.servers.at("dgx-b200").power_W, 14.3e3);
  EXPECT_DOUBLE_EQ(catalog.servers.at("hgx-h200").price_usd, 8 * 39e3);
  EXPECT_DOUBLE_EQ(catalog.servers.at("mi300x-platform").price_usd, 8 * 25.7e3);
  EXPECT_EQ(catalog.servers.at("gb200-nvl72").nvlink_domain_gpus, 72);
  EXPECT_EQ(catalog.servers.at("l40s-pcie-server").nvlink_domain_gpus, 1);
}

TEST(ShippedCatalog, EveryReferenceResolves) {
  const Catalog& catalog = shipped();
  for (const auto& [id, server] : catalog.servers) {
    EXPECT_EQ(catalog.gpus.count(server.gpu), 1u) << id << " -> " << server.gpu;
    EXPECT_EQ(catalog.nics.count(server.nic), 1u) << id << " -> " << server.nic;
    EXPECT_EQ(server.gpus % server.nvlink_domain_gpus, 0) << id;
  }
  for (const auto& [id, price] : catalog.cloud_prices) {
    EXPECT_EQ(catalog.gpus.count(price.gpu), 1u) << id << " -> " << price.gpu;
  }
}

TEST(ShippedCatalog, NetworkStorageModelsPricesAndEconomics) {
  const Catalog& catalog = shipped();
  const SwitchSpec& qm9700 = catalog.switches.at("quantum-2-qm9700");
  EXPECT_EQ(qm9700.ports, 64);
  EXPECT_DOUBLE_EQ(qm9700.port_bandwidth_Bps, 50e9);
  EXPECT_DOUBLE_EQ(qm9700.price_usd, 36e3);
  EXPECT_EQ(qm9700.technology, "infiniband");
  EXPECT_EQ(catalog.switches.at("spectrum-4-sn5600-400g").ports, 128);
  EXPECT_EQ(catalog.switches.at("spectrum-4-sn5600-400g").technology, "ethernet");

  EXPECT_DOUBLE_EQ(catalog.storage.at("nvme-pcie4-x4").read_Bps, 7.8e9);
  EXPECT_DOUBLE_EQ(catalog.storage.at("nvme-pcie5-x4").read_Bps, 15.8e9);
  EXPECT_DOUBLE_EQ(catalog.storage.at("tectonic-ssd-server").capacity_bytes, 240e15 / 7500);

  const ModelSpec& llama = catalog.models.at("llama-3.1-405b");
  EXPECT_EQ(llama.layers, 126);
  EXPECT_EQ(llama.hidden, 16384);
  EXPECT_EQ(llama.heads, 128);
  EXPECT_EQ(llama.kv_heads, 8);
  EXPECT_EQ(llama.ffn_hidden, 53248);
  EXPECT_EQ(llama.vocab, 128256);
  EXPECT_EQ(llama.mlp, "swiglu");
  EXPECT_FALSE(llama.tied_embeddings);
  EXPECT_EQ(catalog.models.at("gpt3-175b").mlp, "gelu");
  EXPECT_EQ(catalog.models.at("gpt3-175b").ffn_hidden, 4 * 12288);
  for (const char* id : {"llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.3-70b"}) {
    EXPECT_EQ(catalog.models.count(id), 1u) << id;
  }

  const CloudPriceSpec& p5 = catalog.cloud_prices.at("aws-p5-on-demand");
  EXPECT_DOUBLE_EQ(p5.usd_per_gpu_hour, 12.29);
  EXPECT_EQ(p5.gpu, "h100-sxm-80gb");
  EXPECT_EQ(p5.terms, "on-demand");
  EXPECT_EQ(p5.date, "2025-03");
  EXPECT_DOUBLE_EQ(catalog.cloud_prices.at("lambda-h100-on-demand").usd_per_gpu_hour, 2.99);

  const EconomicsSpec& economics = catalog.economics.at("default");
  EXPECT_DOUBLE_EQ(economics.electricity_usd_per_kWh, 0.08);
  EXPECT_DOUBLE_EQ(economics.pue, 1.2);
  EXPECT_DOUBLE_EQ(economics.server_lifetime_s, 5 * 365 * 86400.0);
  EXPECT_DOUBLE_EQ(economics.average_power_fraction, 0.75);
  EXPECT_DOUBLE_EQ(economics.maintenance_fraction_per_year, 0.05);
}

TEST(CatalogDir, EnvironmentOverridesTheCompiledDefault) {
  const char* saved = std::getenv("CAPSIM_CATALOG_DIR");
  const std::string previous = saved ? saved : "";
  unsetenv("CAPSIM_CATALOG_DIR");
  EXPECT_EQ(fs::path(default_catalog_dir()), fs::path(kCatalogDir));
  setenv("CAPSIM_CATALOG_DIR", "/somewhere/else", 1);
  EXPECT_EQ(default_catalog_dir(), "/somewhere/else");
  if (saved) {
    setenv("CAPSIM_CATALOG_DIR", previous.c_str(), 1);
  } else {
    unsetenv("CAPSIM_CATALOG_DIR");
  }
}

// A throw-away catalog folder holding the files one test writes.
class BadCatalog : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("capsim-catalog-" + std::to_string(getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // Loads the folder and returns the message, failing the test if nothing was thrown.
  std::string error_message() {
    try {
      load_catalog(dir_.string());
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "the catalog loaded without error";
    return {};
  }

  fs::path dir_;
};

const std::string kGpu = R"(gpus:
  - id: test-gpu
    name: Test GPU
    vendor: Test
    source: test datasheet
    bf16: 100TFLOP/s
    tf32: 50TFLOP/s
    fp32: 10TFLOP/s
    memory: 80GB
    memory_bandwidth: 2TB/s
    memory_efficiency: 85%
    scaleup_link: nvlink4
    scaleup_bandwidth: 450GB/s
    scaleup_latency: 1us
    scaleup_collective_efficiency: 0.8
    host_link: 63GB/s
    tdp: 700W
    matmul_efficiency_bf16: 0.8
    efficiency_source: test measurement
    matmul_efficiency_tf32: 0.6
    sm_count: 132
    gemm_tile_m: 128
    gemm_tile_n: 128
    gemm_k_overhead: 128
    launch_overhead: 5us
    attention_efficiency_fwd: 0.7
    attention_efficiency_bwd: 0.6
    attention_half_seq_fwd: 1000
    attention_half_seq_bwd: 2500
    kernel_source: test fit
)";

const std::string kNic = R"(nics:
  - id: test-nic
    name: Test NIC
    source: test datasheet
    technology: infiniband
    bandwidth: 400Gbps
    latency: 600ns
    collective_efficiency: 0.95
    price: "$2k"
    power: 20W
)";

std::string server_with_gpu(const std::string& gpu) {
  return R"(servers:
  - id: test-server
    name: Test server
    source: test price list
    gpu: )" +
         gpu + R"(
    gpus: 8
    nvlink_domain_gpus: 8
    nic: test-nic
    nics: 8
    power: 10.2kW
    price: "$300k"
)";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST_F(BadCatalog, AValidMinimalCatalogLoads) {
  write("a.yaml", server_with_gpu("test-gpu"));  // refers to ids defined in a later file
  write("b.yaml", kGpu + kNic);
  write("notes.txt", "not a catalog file");
  const Catalog catalog = load_catalog(dir_.string());
  EXPECT_EQ(catalog.files.size(), 2u);
  EXPECT_DOUBLE_EQ(catalog.servers.at("test-server").price_usd, 300e3);
  EXPECT_DOUBLE_EQ(catalog.gpus.at("test-gpu").fp8_flop_per_s, 0.0);  // absent = 0
}

TEST_F(BadCatalog, UnknownKeyNamesFileLineColumnAndKeyPath) {
  const std::string file =
      write("gpus.yaml", replace(kGpu, "    tdp:", "    memroy: 80GB\n    tdp:"));
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":17:5: gpus[0].memroy: unknown key"), std::string::npos)
      << message;
  EXPECT_NE(message.find("one of: "), std::string::npos) << message;
  EXPECT_NE(message.find("memory_bandwidth"), std::string::npos) << message;
}

TEST_F(BadCatalog, UnknownSection) {
  const std::string file = write("gpus.yaml", replace(kGpu, "gpus:", "gpu:"));
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":1:1: gpu: unknown key"), std::string::npos) << message;
  EXPECT_NE(message.find("gpus"), std::string::npos) << message;
}

TEST_F(BadCatalog, MissingSource) {
  const std::string file = write("gpus.yaml", replace(kGpu, "    source: test datasheet\n", ""));
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("gpus[0].source: is missing"), std::string::npos) << message;
}

TEST_F(BadCatalog, DuplicateIdNamesBothPlaces) {
  const std::string first = write("a.yaml", kGpu);
  const std::string second = write("b.yaml", kGpu);
  const std::string message = error_message();
  EXPECT_NE(message.find(second + ":2:9: gpus[0].id: duplicate gpus id 'test-gpu'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("first defined at " + first + ":2:9"), std::string::npos) << message;
}

TEST_F(BadCatalog, UnknownGpuReference) {
  const std::string file = write("servers.yaml", kGpu + kNic + server_with_gpu("h100-typo"));
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":45:10: servers[0].gpu: refers to 'h100-typo'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("one of: test-gpu"), std::string::npos) << message;
}

TEST_F(BadCatalog, UnknownGpuInACloudPrice) {
  write("prices.yaml", kGpu + R"(cloud_prices:
  - id: test-rate
    name: Test rate
    source: test price list
    gpu: no-such-gpu
    provider: Test
    terms: on-demand
    price_per_gpu_hour: "$2/h"
    date: 2025-01
)");
  const std::string message = error_message();
  EXPECT_NE(message.find("cloud_prices[0].gpu: refers to 'no-such-gpu'"), std::string::npos)
      << message;
}

TEST_F(BadCatalog, ValueWithoutUnit) {
  const std::string file = write("gpus.yaml", replace(kGpu, "memory: 80GB", "memory: 80"));
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":9:13: gpus[0].memory: '80' has no unit"), std::string::npos)
      << message;
  EXPECT_NE(message.find("expected a size such as"), std::string::npos) << message;
}

TEST_F(BadCatalog, RepeatedKey) {
  // YAML parsers keep the first of two equal keys; the second must not be dropped silently.
  const std::string file =
      write("gpus.yaml", replace(kGpu, "    tdp: 700W", "    tdp: 700W\n    tdp: 900W"));
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":18:5: gpus[0].tdp: appears twice in this mapping (first at " +
                         file + ":17:5)"),
            std::string::npos)
      << message;
}

TEST_F(BadCatalog, KeyWithoutValue) {
  write("gpus.yaml", replace(kGpu, "tdp: 700W", "tdp:"));
  const std::string message = error_message();
  EXPECT_NE(message.find("gpus[0].tdp: has no value"), std::string::npos) << message;
}

TEST_F(BadCatalog, UnknownChoice) {
  write("gpus.yaml", replace(kGpu, "nvlink4", "nvlink9"));
  const std::string message = error_message();
  EXPECT_NE(message.find("gpus[0].scaleup_link: 'nvlink9' is not a known choice"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("infinity-fabric"), std::string::npos) << message;
}

TEST_F(BadCatalog, ZeroRequiredValue) {
  write("gpus.yaml", replace(kGpu, "bf16: 100TFLOP/s", "bf16: 0TFLOP/s"));
  EXPECT_NE(error_message().find("gpus[0].bf16: is missing or zero"), std::string::npos);
}

TEST_F(BadCatalog, MissingKernelModelField) {
  write("gpus.yaml", replace(kGpu, "    sm_count: 132\n", ""));
  EXPECT_NE(error_message().find("gpus[0].sm_count: is missing or zero"), std::string::npos);
}

TEST_F(BadCatalog, InconsistentModelShape) {
  write("models.yaml", R"(models:
  - id: odd
    name: Odd model
    source: test
    layers: 2
    hidden: 1000
    heads: 16
    kv_heads: 8
    ffn_hidden: 4000
    vocab: 1000
    mlp: gelu
    max_seq_len: 2048
)");
  EXPECT_NE(error_message().find("models[0].heads: 16 does not divide hidden 1000"),
            std::string::npos);
}

TEST_F(BadCatalog, InvalidId) {
  write("gpus.yaml", replace(kGpu, "id: test-gpu", "id: Test GPU"));
  EXPECT_NE(error_message().find("gpus[0].id: 'Test GPU' is not a valid id"), std::string::npos);
}

TEST_F(BadCatalog, YamlSyntaxError) {
  const std::string file = write("gpus.yaml", "gpus:\n  - id: [unclosed\n");
  const std::string message = error_message();
  EXPECT_NE(message.find(file + ":"), std::string::npos) << message;
  EXPECT_NE(message.find("YAML syntax error"), std::string::npos) << message;
}

TEST_F(BadCatalog, EmptyFolder) {
  write("readme.txt", "no yaml here");
  EXPECT_NE(error_message().find("has no *.yaml files"), std::string::npos);
}

TEST_F(BadCatalog, MissingFolder) {
  fs::remove_all(dir_);
  EXPECT_NE(error_message().find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace capsim
