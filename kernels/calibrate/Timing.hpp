// Timing device work with CUDA events: a warm-up, a probe that sizes the samples, then samples
// of back-to-back launches. The median of the samples is taken by the caller (Statistics.hpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace capsim::calibrate {

/// How long and how often to time one piece of work.
struct TimingPlan {
  int samples = 5;             ///< timed samples
  double min_sample_s = 2e-4;  ///< a sample repeats the work until it lasts at least this long
  int max_launches = 1000;     ///< at most this many launches per sample
};

/// Seconds per launch of each sample, and how many launches each sample held.
struct Timed {
  std::vector<double> per_launch_s;
  int launches_per_sample = 0;
  double busy_s = 0;  ///< device time spent, warm-up and probe included
};

/// Times `launch` (which enqueues work on the default stream) as `plan` says. Throws
/// std::runtime_error naming `what` when a CUDA call fails.
Timed time_launches(const std::function<void()>& launch, const TimingPlan& plan,
                    const std::string& what);

/// Throws std::runtime_error("<what>: <CUDA error string>") unless `status` is cudaSuccess
/// (status is a cudaError_t passed as int so that host-only files need no CUDA header).
void check_cuda_status(int status, const std::string& what);

}  // namespace capsim::calibrate
