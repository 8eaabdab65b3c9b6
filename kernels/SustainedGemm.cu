// capsim-sustained-gemm: how fast one bf16 GEMM runs alone and how fast the same GEMM runs when
// the GPU does nothing else for many seconds, as in training, where the board sits at its power
// cap and the SM clock drops (shared/calibration's power rows: H100 1350 MHz of 1980 under a
// GEMM loop). The sweep in shared/calibration times kernels over a few repeats only, so the
// kernel model's efficiencies describe short bursts; this measures the sustained rate.
//
//   capsim-sustained-gemm M N K SECONDS [COPY_BYTES]
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
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

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

// A counter-based hash (splitmix64) mapped to [-1, 1]: reproducible, no cuRAND needed.
__global__ void fill_random(__nv_bfloat16* data, size_t count, unsigned long long seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    unsigned long long z = seed + i * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    data[i] = __float2bfloat16(static_cast<float>(z >> 40) / static_cast<float>(1ull << 23) - 1.0f);
  }
}

__nv_bfloat16* random_matrix(size_t count, unsigned long long seed) {
  __nv_bfloat16* data = nullptr;
  check_cuda(cudaMalloc(&data, count * sizeof(__nv_bfloat16)), "cudaMalloc");
  fill_random<<<1024, 256>>>(data, count, seed);
  check_cuda(cudaGetLastError(), "fill_random");
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: %s M N K SECONDS [COPY_BYTES]\n", argv[0]);
    return 2;
  }
  const size_t copy_bytes = argc == 6 ? std::strtoull(argv[5], nullptr, 10) : 0;
  const long m = std::atol(argv[1]), n = std::atol(argv[2]), k = std::atol(argv[3]);
  const double seconds = std::atof(argv[4]);
  if (m <= 0 || n <= 0 || k <= 0 || !(seconds > 0)) {
    std::fprintf(stderr, "error: M, N, K and SECONDS must be positive\n");
    return 2;
  }
  __nv_bfloat16* a = random_matrix(size_t(m) * k, 1);
  __nv_bfloat16* b = random_matrix(size_t(k) * n, 2);
  __nv_bfloat16* c = random_matrix(size_t(m) * n, 3);
  void* copy_from = nullptr;
  void* copy_to = nullptr;
  if (copy_bytes > 0) {
    check_cuda(cudaMalloc(&copy_from, copy_bytes), "cudaMalloc");
    check_cuda(cudaMalloc(&copy_to, copy_bytes), "cudaMalloc");
    check_cuda(cudaMemset(copy_from, 1, copy_bytes), "cudaMemset");
  }
  cublasHandle_t handle;
  check_cublas(cublasCreate(&handle), "cublasCreate");
  const float alpha = 1.0f, beta = 0.0f;
  auto gemm = [&] {
    check_cublas(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(m), int(n), int(k), &alpha, a,
                              CUDA_R_16BF, int(m), b, CUDA_R_16BF, int(k), &beta, c, CUDA_R_16BF,
                              int(m), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  };
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
