#include "BenchmarkPlan.hpp"

namespace capsim::calibrate {
namespace {

constexpr double kMiB = 1024.0 * 1024;
constexpr double kGiB = 1024 * kMiB;

// Transformer GEMMs (m = tokens, n = outputs, k = inputs) as the reference sweep lists them.
const std::vector<GemmShape> kTransformerShapes = {
    {4096, 1536, 4096},  {8192, 12288, 1536},  {8192, 4608, 12288},  {8192, 6144, 12288},
    {8192, 12288, 6144}, {16384, 6144, 16384}, {16384, 6656, 16384}, {16384, 16384, 6656},
    {2048, 5120, 5120},  {4096, 10240, 2560},  {32, 8192, 28672},    {64, 28672, 8192}};

}  // namespace

std::vector<GemmShape> gemm_grid(bool dense, bool transpose_a) {
  std::vector<std::int64_t> sizes;
  for (std::int64_t s = 128; s <= 16384; s *= dense ? 2 : 4) sizes.push_back(s);
  std::vector<GemmShape> shapes;
  for (auto m : sizes) {
    for (auto n : sizes) {
      for (auto k : sizes) shapes.push_back({m, n, k, 1, transpose_a});
    }
  }
  for (GemmShape shape : kTransformerShapes) {
    shape.transpose_a = transpose_a;
    shapes.push_back(shape);
  }
  return shapes;
}

BenchmarkPlan make_plan(bool quick) {
  BenchmarkPlan plan;
  plan.gemm_dtypes = {"bf16", "fp16", "tf32", "fp8"};
  // bf16 always gets the dense grid: the kernel-model fit uses every bf16 row.
  plan.gemms["bf16"] = gemm_grid(true, false);
  plan.gemms["fp16"] = gemm_grid(!quick, false);
  plan.gemms["tf32"] = gemm_grid(!quick, false);
  plan.gemms["fp8"] = gemm_grid(!quick, true);  // cuBLASLt fp8 needs A transposed ("TN")
  // Attention's two batched GEMMs per (batch x heads, sequence, head dim): QK^T (s x s x d, TN)
  // and PV (d x s x s, NN), about 4-8 GiB of scores at the largest.
  std::vector<std::pair<std::int64_t, std::int64_t>> attention = {
      {128, 1024}, {64, 2048}, {32, 4096}, {8, 8192}};
  std::vector<std::int64_t> head_dims =
      quick ? std::vector<std::int64_t>{128} : std::vector<std::int64_t>{64, 128};
  for (auto [batch, s] : attention) {
    for (auto d : head_dims) {
      plan.batched_gemms.push_back({s, s, d, batch, true});
      plan.batched_gemms.push_back({d, s, s, batch, false});
    }
  }
  plan.gemm_timing = quick ? TimingPlan{5, 2e-4, 1000} : TimingPlan{9, 1e-3, 1000};
  for (double b = kMiB; b <= 4 * kGiB; b *= quick ? 4 : 2) plan.memory_bytes.push_back(b);
  plan.memory_timing = quick ? TimingPlan{5, 1e-3, 1000} : TimingPlan{9, 5e-3, 1000};
  plan.host_copy_bytes = quick
                             ? std::vector<double>{kMiB, 64 * kMiB, kGiB}
                             : std::vector<double>{64 * 1024.0, kMiB, 16 * kMiB, 256 * kMiB, kGiB};
  plan.host_timing = quick ? TimingPlan{3, 1e-3, 100} : TimingPlan{7, 1e-2, 100};
  plan.launch_samples = quick ? 5 : 11;
  for (double b = 64 * 1024.0; b <= (quick ? 256 * kMiB : kGiB); b *= quick ? 16 : 4) {
    plan.collective_bytes.push_back(b);
  }
  plan.collective_samples = quick ? 3 : 7;
  plan.storage_bytes = quick ? kGiB : 4 * kGiB;
  return plan;
}

}  // namespace capsim::calibrate
