// Copy and triad kernels (grid-stride over float4), host copies and the empty kernel.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "MemoryBenchmark.hpp"
#include "RandomFill.cuh"
#include "Statistics.hpp"

namespace capsim::calibrate {
namespace {

__global__ void copy_kernel(const float4* __restrict__ in, float4* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    out[i] = in[i];
  }
}

__global__ void triad_kernel(float4* __restrict__ a, const float4* __restrict__ b,
                             const float4* __restrict__ c, float scalar, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    const float4 x = b[i], y = c[i];
    a[i] =
        make_float4(x.x + scalar * y.x, x.y + scalar * y.y, x.z + scalar * y.z, x.w + scalar * y.w);
  }
}

__global__ void empty_kernel() {}

constexpr int kThreads = 256;

// Enough blocks to keep every SM's memory pipeline full, no more than the data needs.
int grid_for(size_t vectors) {
  int device = 0, sms = 0;
  check_cuda_status(cudaGetDevice(&device), "cudaGetDevice");
  check_cuda_status(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
                    "cudaDeviceGetAttribute");
  const size_t needed = (vectors + kThreads - 1) / kThreads;
  return int(std::max<size_t>(1, std::min<size_t>(needed, size_t(sms) * 16)));
}

// Device arrays freed on every path out.
struct DeviceArrays {
  std::vector<float4*> arrays;
  DeviceArrays(int count, size_t vectors) {
    for (int i = 0; i < count; ++i) {
      float4* p = nullptr;
      check_cuda_status(cudaMalloc(&p, vectors * sizeof(float4)), "cudaMalloc");
      arrays.push_back(p);
      fill_random(reinterpret_cast<float*>(p), vectors * 4, 10 + i);
    }
    check_cuda_status(cudaDeviceSynchronize(), "filling arrays");
  }
  ~DeviceArrays() {
    for (float4* p : arrays) cudaFree(p);
  }
  DeviceArrays(const DeviceArrays&) = delete;
  DeviceArrays& operator=(const DeviceArrays&) = delete;
};

}  // namespace

MemoryResult time_memory_kernel(const std::string& kernel, double bytes, const TimingPlan& plan,
                                double& busy_s) {
  const size_t vectors = size_t(bytes) / sizeof(float4);
  const bool triad = kernel == "triad";
  DeviceArrays memory(triad ? 3 : 2, vectors);
  float4** p = memory.arrays.data();
  const int grid = grid_for(vectors);
  const std::string what = kernel + " of " + std::to_string(vectors * sizeof(float4)) + " bytes";
  const Timed timed = time_launches(
      [&] {
        if (triad) {
          triad_kernel<<<grid, kThreads>>>(p[0], p[1], p[2], 0.5f, vectors);
        } else {
          copy_kernel<<<grid, kThreads>>>(p[0], p[1], vectors);
        }
      },
      plan, what);
  busy_s = timed.busy_s;
  MemoryResult result;
  result.kernel = kernel;
  result.bytes = double(vectors * sizeof(float4));
  result.moved_bytes = result.bytes * (triad ? 3 : 2);
  result.seconds = median(timed.per_launch_s);
  result.samples = int(timed.per_launch_s.size());
  return result;
}

HostCopyResult time_host_copy(const std::string& direction, bool pinned, double bytes,
                              const TimingPlan& plan) {
  const size_t size = size_t(bytes);
  void* device = nullptr;
  void* host = nullptr;
  check_cuda_status(cudaMalloc(&device, size), "cudaMalloc");
  if (pinned) {
    const cudaError_t status = cudaMallocHost(&host, size);
    if (status != cudaSuccess) cudaFree(device);
    check_cuda_status(status, "cudaMallocHost");
  } else {
    host = std::malloc(size);
    if (!host) {
      cudaFree(device);
      check_cuda_status(cudaErrorMemoryAllocation, "malloc");
    }
  }
  std::memset(host, 0x3c, size);  // touch every page; non-zero bytes
  const bool h2d = direction == "h2d";
  HostCopyResult result;
  result.direction = direction;
  result.pinned = pinned;
  result.bytes = bytes;
  try {
    const Timed timed = time_launches(
        [&] {
          cudaMemcpyAsync(h2d ? device : host, h2d ? host : device, size,
                          h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost);
        },
        plan, direction + " copy");
    result.seconds = median(timed.per_launch_s);
    result.samples = int(timed.per_launch_s.size());
  } catch (...) {
    cudaFree(device);
    pinned ? (void)cudaFreeHost(host) : std::free(host);
    throw;
  }
  cudaFree(device);
  pinned ? (void)cudaFreeHost(host) : std::free(host);
  return result;
}

LaunchResult time_launch_overhead(int launches, int samples) {
  // One sample per call, as many launches as allowed: a long minimum sample length makes the
  // probe ask for more than `launches`, which caps it.
  TimingPlan plan;
  plan.samples = 1;
  plan.min_sample_s = 1.0;
  plan.max_launches = launches;
  LaunchResult result;
  std::vector<double> back_to_back;
  for (int s = 0; s < samples; ++s) {
    const Timed timed = time_launches([] { empty_kernel<<<1, 1>>>(); }, plan, "empty kernel");
    back_to_back.push_back(timed.per_launch_s.front());
  }
  result.back_to_back_s = median(back_to_back);
  result.launches_per_sample = launches;
  std::vector<double> round_trip;
  for (int i = 0; i < std::max(samples, 1) * 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    empty_kernel<<<1, 1>>>();
    check_cuda_status(cudaStreamSynchronize(nullptr), "empty kernel");
    round_trip.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  result.launch_sync_s = median(round_trip);
  result.samples = samples;
  return result;
}

}  // namespace capsim::calibrate
