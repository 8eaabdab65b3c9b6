// Pseudo-random device data in [-1, 1]: a counter-based hash (splitmix64) per element, so the
// values are reproducible and no cuRAND is needed. Never all-zero: zeros draw less power.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace capsim::calibrate {

__device__ inline float random_unit(size_t index, unsigned long long seed) {
  unsigned long long z = seed * 0xD1B54A32D192ED03ull + index * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) / static_cast<float>(1ull << 23) - 1.0f;
}

template <typename T>
__global__ void fill_random_kernel(T* data, size_t count, unsigned long long seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    data[i] = T(random_unit(i, seed));
  }
}

/// Fills `count` elements of device memory at `data`; asynchronous on the default stream.
template <typename T>
void fill_random(T* data, size_t count, unsigned long long seed) {
  fill_random_kernel<<<1024, 256>>>(data, count, seed);
}

}  // namespace capsim::calibrate
