// The timed GPU's description from the CUDA runtime, cuBLAS and (when present) NVML.
#pragma once

#include "NvmlMonitor.hpp"
#include "ProfileWriter.hpp"

namespace capsim::calibrate {

/// Number of CUDA devices; throws std::runtime_error when there is none or no driver.
int cuda_device_count();

/// Selects `device` and describes it. Throws std::runtime_error on CUDA errors.
DeviceDescription describe_device(int device);

/// Adds NVML's driver version, clocks and power limit to `description`.
void add_nvml_info(DeviceDescription& description, const NvmlMonitor& nvml);

/// Free device memory of the current device, bytes.
double free_device_memory();

}  // namespace capsim::calibrate
