// Memory-bound device kernels (copy, triad), host<->device copies and kernel launch overhead.
#pragma once

#include <string>

#include "Measurements.hpp"
#include "Timing.hpp"

namespace capsim::calibrate {

/// Times "copy" (b = a) or "triad" (a = b + s c) over float4 arrays of `bytes` each (rounded down
/// to 16 bytes); allocates and frees the arrays. `busy_s` gets the device time spent.
MemoryResult time_memory_kernel(const std::string& kernel, double bytes, const TimingPlan& plan,
                                double& busy_s);

/// Times cudaMemcpyAsync of `bytes` between device memory and pinned (cudaMallocHost) or
/// pageable (touched malloc) host memory; `direction` is "h2d" or "d2h".
HostCopyResult time_host_copy(const std::string& direction, bool pinned, double bytes,
                              const TimingPlan& plan);

/// Times an empty kernel: `launches` back to back per sample, and launch + synchronize.
LaunchResult time_launch_overhead(int launches, int samples);

}  // namespace capsim::calibrate
