// The raw results of capsim-calibrate's benchmark groups: plain structs shared by the CUDA timing
// code (.cu) and the host code that plans, sums up and writes them (.cpp). SI units throughout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace capsim::calibrate {

/// One GEMM shape timed with cuBLAS (bf16, fp16, tf32) or cuBLASLt (fp8), column-major.
struct GemmResult {
  std::string dtype;   ///< "bf16", "fp16", "tf32" or "fp8" (e4m3 inputs, bf16 output)
  std::string layout;  ///< operand transposes, "NN" or "TN" (cuBLAS op of A then B)
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t batch = 1;       ///< > 1: strided batched (attention shapes)
  double seconds = 0;           ///< median time of one GEMM (of the whole batch)
  int samples = 0;              ///< timed samples the median is taken over
  int launches_per_sample = 0;  ///< back-to-back GEMMs in each sample
};

/// One memory-bound kernel: "copy" (b = a) or "triad" (a = b + s c), over float4 vectors.
struct MemoryResult {
  std::string kernel;
  double bytes = 0;        ///< size of one array
  double moved_bytes = 0;  ///< read + written per run (2x bytes for copy, 3x for triad)
  double seconds = 0;      ///< median time of one run
  int samples = 0;
};

/// A cudaMemcpyAsync between host and device memory.
struct HostCopyResult {
  std::string direction;  ///< "h2d" or "d2h"
  bool pinned = false;    ///< page-locked host memory (else pageable malloc memory)
  double bytes = 0;
  double seconds = 0;  ///< median
  int samples = 0;
};

/// Kernel launch overhead: an empty kernel launched back to back, and launch + synchronize.
struct LaunchResult {
  double back_to_back_s = 0;  ///< per launch, median over samples of many launches
  double launch_sync_s = 0;   ///< one launch followed by cudaStreamSynchronize, host clock
  int launches_per_sample = 0;
  int samples = 0;
};

/// One NCCL collective over all GPUs of the host, nccl-tests conventions.
struct CollectiveResult {
  std::string op;  ///< "all_reduce", "all_gather", "reduce_scatter" or "all_to_all"
  int ranks = 0;
  double bytes = 0;      ///< per rank: the larger of its send and receive buffer
  double seconds = 0;    ///< median over samples of the slowest rank
  double algbw_Bps = 0;  ///< bytes / seconds
  double busbw_Bps = 0;  ///< algbw x the op's bus factor (2(n-1)/n all-reduce, (n-1)/n others)
};

/// A device-to-device copy between two GPUs (cudaMemcpyPeerAsync).
struct PeerCopyResult {
  int src = 0, dst = 0;
  bool peer_access = false;  ///< direct peer access enabled (else staged by the driver)
  double bytes = 0;
  double seconds = 0;
};

/// Sequential read of a file system path.
struct StorageResult {
  std::string mode;  ///< "buffered" or "direct" (O_DIRECT)
  std::string path;
  double bytes = 0;
  double seconds = 0;
  std::string note;  ///< why a mode was not measured, when it was not
};

/// NVML readings over one benchmark group (sampled every ~50 ms while it ran).
struct GroupTelemetry {
  std::string group;
  double seconds = 0;  ///< wall time of the group
  int samples = 0;
  double sm_clock_min_Hz = 0, sm_clock_median_Hz = 0, sm_clock_max_Hz = 0;
  double power_median_W = 0, power_max_W = 0;
  double temperature_max_C = 0;
  std::uint64_t throttle_reasons = 0;       ///< OR of NVML clock event reasons seen
  std::vector<std::string> throttle_names;  ///< the reasons that slow the GPU, by name
};

/// A benchmark group that did not run, and why.
struct SkippedGroup {
  std::string group;
  std::string reason;
};

}  // namespace capsim::calibrate
