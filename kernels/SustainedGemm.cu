// capsim-sustained-gemm: how fast one bf16 (or fp8) GEMM runs alone and how fast the same GEMM runs when
// the GPU does nothing else for many seconds, as in training, where the board sits at its power
// cap and the SM clock drops (shared/calibration's power rows: H100 1350 MHz of 1980 under a
// GEMM loop). The sweep in shared/calibration times kernels over a few repeats only, so the
// kernel model's efficiencies describe short bursts; this measures the sustained rate.
//
//   capsim-sustained-gemm [--fp8] M N K SECONDS [COPY_BYTES]
//
// --fp8: E4M3 inputs through cuBLASLt (Hopper runs FP8 only as "TN": A transposed), bf16 output,
// fp32 accumulation, unit scales; without it bf16 inputs and output through cublasGemmEx.
//
// With COPY_BYTES, every GEMM of the sustained phase is followed by a device copy of that many
// bytes (a memory-bound kernel, as the norms and activations between a layer's GEMMs), and only
// the GEMMs are timed: how fast GEMMs run when the power they draw is interleaved with lighter
// work, as in a training step.
//
// Inputs are pseudo-random in [-1, 1] (all-zero data draws less power and runs faster). Output,
// CSV on stdout:
//   phase,index,start_s,seconds,tflops
// phase "isolated": single GEMMs, each after 0.5 s of idle; phase "sustained": GEMMs back to back
// for SECONDS (with COPY_BYTES, each followed by the copy), every GEMM timed with CUDA events
// (start_s from the first sustained GEMM).
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "calibrate/RandomFill.cuh"

namespace {

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    std::fprintf(stderr, "error: %s: %s\n", what, cudaGetErrorString(status));
    std::exit(1);
  }
}

void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "error: %s: cuBLAS status %d\n", what, static_cast<int>(status));
    std::exit(1);
  }
}

template <typename T>
T* random_matrix(size_t count, unsigned long long seed) {
  T* data = nullptr;
  check_cuda(cudaMalloc(&data, count * sizeof(T)), "cudaMalloc");
  capsim::calibrate::fill_random(data, count, seed);
  check_cuda(cudaGetLastError(), "fill_random");
  return data;
}

// C[m x n] (bf16, column-major) = A B with A stored k x m (transposed, "TN") and B k x n, both
// E4M3, through cuBLASLt with a 32 MiB workspace and its first heuristic's algorithm.
std::function<void()> fp8_gemm(long m, long n, long k) {
  auto* a = random_matrix<__nv_fp8_e4m3>(size_t(k) * m, 1);
  auto* b = random_matrix<__nv_fp8_e4m3>(size_t(k) * n, 2);
  auto* c = random_matrix<__nv_bfloat16>(size_t(m) * n, 3);
  const size_t workspace_bytes = size_t(32) << 20;
  void* workspace = nullptr;
  check_cuda(cudaMalloc(&workspace, workspace_bytes), "cudaMalloc");
  cublasLtHandle_t handle;
  check_cublas(cublasLtCreate(&handle), "cublasLtCreate");
  cublasLtMatmulDesc_t op;
  check_cublas(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "MatmulDescCreate");
  const cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
  check_cublas(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose,
                                              sizeof transpose),
               "TRANSA");
  check_cublas(
      cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof keep),
      "TRANSB");
  cublasLtMatrixLayout_t a_layout, b_layout, c_layout;
  check_cublas(cublasLtMatrixLayoutCreate(&a_layout, CUDA_R_8F_E4M3, k, m, k), "layout A");
  check_cublas(cublasLtMatrixLayoutCreate(&b_layout, CUDA_R_8F_E4M3, k, n, k), "layout B");
  check_cublas(cublasLtMatrixLayoutCreate(&c_layout, CUDA_R_16BF, m, n, m), "layout C");
  cublasLtMatmulPreference_t preference;
  check_cublas(cublasLtMatmulPreferenceCreate(&preference), "PreferenceCreate");
  check_cublas(cublasLtMatmulPreferenceSetAttribute(preference,
                                                    CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                    &workspace_bytes, sizeof workspace_bytes),
               "workspace preference");
  cublasLtMatmulHeuristicResult_t heuristic;
  int found = 0;
  check_cublas(cublasLtMatmulAlgoGetHeuristic(handle, op, a_layout, b_layout, c_layout, c_layout,
                                              preference, 1, &heuristic, &found),
               "AlgoGetHeuristic");
  if (found == 0) {
    std::fprintf(stderr, "error: cuBLASLt has no FP8 algorithm for %ld x %ld x %ld\n", m, n, k);
    std::exit(1);
  }
  const cublasLtMatmulAlgo_t algo = heuristic.algo;
  return [=] {
    static const float alpha = 1.0f, beta = 0.0f;
    check_cublas(cublasLtMatmul(handle, op, &alpha, a, a_layout, b, b_layout, &beta, c, c_layout,
                                c, c_layout, &algo, workspace, workspace_bytes, 0),
                 "cublasLtMatmul");
  };
}

std::function<void()> bf16_gemm(long m, long n, long k) {
  auto* a = random_matrix<__nv_bfloat16>(size_t(m) * k, 1);
  auto* b = random_matrix<__nv_bfloat16>(size_t(k) * n, 2);
  auto* c = random_matrix<__nv_bfloat16>(size_t(m) * n, 3);
  cublasHandle_t handle;
  check_cublas(cublasCreate(&handle), "cublasCreate");
  return [=] {
    static const float alpha = 1.0f, beta = 0.0f;
    check_cublas(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(m), int(n), int(k), &alpha, a,
                              CUDA_R_16BF, int(m), b, CUDA_R_16BF, int(k), &beta, c, CUDA_R_16BF,
                              int(m), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  };
}

}  // namespace

int main(int argc, char** argv) {
  const bool fp8 = argc > 1 && std::strcmp(argv[1], "--fp8") == 0;
  if (fp8) {
    --argc;
    ++argv;
  }
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: capsim-sustained-gemm [--fp8] M N K SECONDS [COPY_BYTES]\n");
    return 2;
  }
  const size_t copy_bytes = argc == 6 ? std::strtoull(argv[5], nullptr, 10) : 0;
  const long m = std::atol(argv[1]), n = std::atol(argv[2]), k = std::atol(argv[3]);
  const double seconds = std::atof(argv[4]);
  if (m <= 0 || n <= 0 || k <= 0 || !(seconds > 0)) {
    std::fprintf(stderr, "error: M, N, K and SECONDS must be positive\n");
    return 2;
  }
  if (fp8 && (m % 16 != 0 || n % 16 != 0 || k % 16 != 0)) {
    std::fprintf(stderr, "error: FP8 GEMMs need M, N and K divisible by 16\n");
    return 2;
  }
  const std::function<void()> gemm = fp8 ? fp8_gemm(m, n, k) : bf16_gemm(m, n, k);
  void* copy_from = nullptr;
  void* copy_to = nullptr;
  if (copy_bytes > 0) {
    check_cuda(cudaMalloc(&copy_from, copy_bytes), "cudaMalloc");
    check_cuda(cudaMalloc(&copy_to, copy_bytes), "cudaMalloc");
    check_cuda(cudaMemset(copy_from, 1, copy_bytes), "cudaMemset");
  }
  const double flops = 2.0 * m * n * k;
  gemm();  // warm-up: cuBLAS heuristics, module load
  check_cuda(cudaDeviceSynchronize(), "warm-up");

  std::printf("phase,index,start_s,seconds,tflops\n");
  cudaEvent_t begin, end;
  check_cuda(cudaEventCreate(&begin), "cudaEventCreate");
  check_cuda(cudaEventCreate(&end), "cudaEventCreate");
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    check_cuda(cudaEventRecord(begin), "cudaEventRecord");
    gemm();
    check_cuda(cudaEventRecord(end), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(end), "cudaEventSynchronize");
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, begin, end), "cudaEventElapsedTime");
    std::printf("isolated,%d,0,%.9g,%.2f\n", i, ms * 1e-3, flops / (ms * 1e-3) / 1e12);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));

  // Back to back: an event before and after each GEMM; events are queued ahead of time in
  // chunks so the host never stalls the stream.
  std::vector<cudaEvent_t> before, after;
  auto new_event = [] {
    cudaEvent_t event;
    check_cuda(cudaEventCreate(&event), "cudaEventCreate");
    check_cuda(cudaEventRecord(event), "cudaEventRecord");
    return event;
  };
  const auto wall_start = std::chrono::steady_clock::now();
  for (;;) {
    for (int chunk = 0; chunk < 64; ++chunk) {
      before.push_back(new_event());
      gemm();
      after.push_back(new_event());
      if (copy_bytes > 0) {
        check_cuda(cudaMemcpyAsync(copy_to, copy_from, copy_bytes, cudaMemcpyDeviceToDevice),
                   "cudaMemcpyAsync");
      }
    }
    // Keep at most ~64 GEMMs queued so the wall clock tracks the GPU.
    check_cuda(cudaEventSynchronize(before[before.size() - 64]), "cudaEventSynchronize");
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (elapsed >= seconds) break;
  }
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  for (size_t i = 0; i < before.size(); ++i) {
    float from_start = 0, ms = 0;
    check_cuda(cudaEventElapsedTime(&from_start, before[0], before[i]), "cudaEventElapsedTime");
    check_cuda(cudaEventElapsedTime(&ms, before[i], after[i]), "cudaEventElapsedTime");
    std::printf("sustained,%zu,%.6f,%.9g,%.2f\n", i, from_start * 1e-3, ms * 1e-3,
                flops / (ms * 1e-3) / 1e12);
  }
  return 0;
}
