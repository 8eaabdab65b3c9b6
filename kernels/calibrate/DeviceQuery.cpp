#include "DeviceQuery.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "Timing.hpp"

namespace capsim::calibrate {

int cuda_device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("no usable CUDA device: ") + cudaGetErrorString(status));
  }
  if (count == 0) throw std::runtime_error("no CUDA device on this host");
  return count;
}

DeviceDescription describe_device(int device) {
  DeviceDescription d;
  d.device_count = cuda_device_count();
  if (device >= d.device_count) {
    throw std::runtime_error("--device " + std::to_string(device) + ": this host has " +
                             std::to_string(d.device_count) + " CUDA device(s)");
  }
  check_cuda_status(cudaSetDevice(device), "cudaSetDevice");
  cudaDeviceProp p{};
  check_cuda_status(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
  d.name = p.name;
  d.memory_bytes = double(p.totalGlobalMem);
  d.sm_count = p.multiProcessorCount;
  d.compute_major = p.major;
  d.compute_minor = p.minor;
  d.l2_cache_bytes = double(p.l2CacheSize);
  char bus_id[32] = {};
  check_cuda_status(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device), "cudaDeviceGetPCIBusId");
  d.pci_bus_id = bus_id;
  check_cuda_status(cudaDriverGetVersion(&d.cuda_driver_version), "cudaDriverGetVersion");
  check_cuda_status(cudaRuntimeGetVersion(&d.cuda_runtime_version), "cudaRuntimeGetVersion");
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  d.cublas_version = major * 10000 + minor * 100 + patch;
  return d;
}

void add_nvml_info(DeviceDescription& description, const NvmlMonitor& nvml) {
  const NvmlDeviceInfo info = nvml.info();
  description.driver_version = info.driver_version;
  description.power_limit_W = info.power_limit_W;
  description.max_sm_clock_Hz = info.max_sm_clock_Hz;
  description.max_memory_clock_Hz = info.max_memory_clock_Hz;
}

double free_device_memory() {
  size_t free = 0, total = 0;
  check_cuda_status(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return double(free);
}

}  // namespace capsim::calibrate
