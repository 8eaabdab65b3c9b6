// GEMM timing with cuBLAS (bf16, fp16, tf32: cublasGemmEx / cublasGemmStridedBatchedEx, default
// algorithm) and cuBLASLt (fp8 e4m3 with per-tensor scales, bf16 output). Operands are
// pseudo-random in [-1, 1], filled once per runner: all-zero data draws less power and runs
// faster than real data (shared/calibration/README.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Measurements.hpp"
#include "Timing.hpp"

namespace capsim::calibrate {

/// One GEMM: op(A)[m x k] op(B)[k x n], `batch` of them at fixed strides when batch > 1.
struct GemmShape {
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t batch = 1;
  bool transpose_a = false;  ///< A stored k x m (the "TN" layout fp8 requires)
};

/// Holds the handles and operand buffers of one data type; sized for the largest shape given.
class GemmRunner {
 public:
  /// `dtype`: "bf16", "fp16", "tf32" or "fp8". Allocates device memory for every shape in
  /// `shapes` (the largest of each operand). Throws std::runtime_error on CUDA/cuBLAS errors.
  GemmRunner(const std::string& dtype, const std::vector<GemmShape>& shapes);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  /// Times one shape (median of `plan.samples`); throws std::runtime_error when cuBLAS rejects it.
  GemmResult time(const GemmShape& shape, const TimingPlan& plan, double& busy_s);

  /// Bytes of device memory the shapes need (three operands, largest of each).
  static double bytes_needed(const std::string& dtype, const std::vector<GemmShape>& shapes);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Whether cuBLASLt has fp8 GEMMs on this GPU (compute capability 8.9 or later).
bool fp8_supported(int major, int minor);

}  // namespace capsim::calibrate
