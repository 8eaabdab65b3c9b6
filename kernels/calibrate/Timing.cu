// time_launches: CUDA events around back-to-back launches on the default stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "Timing.hpp"

namespace capsim::calibrate {

void check_cuda_status(int status, const std::string& what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(what + ": " + cudaGetErrorString(static_cast<cudaError_t>(status)));
  }
}

namespace {

// Events are created once per call: creating them costs microseconds, not device time.
class EventPair {
 public:
  EventPair() {
    check_cuda_status(cudaEventCreate(&start_), "cudaEventCreate");
    check_cuda_status(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  ~EventPair() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;

  // Seconds that `launches` calls of `launch` took on the device.
  double time(const std::function<void()>& launch, int launches, const std::string& what) {
    check_cuda_status(cudaEventRecord(start_), what + ": cudaEventRecord");
    for (int i = 0; i < launches; ++i) launch();
    check_cuda_status(cudaGetLastError(), what);
    check_cuda_status(cudaEventRecord(stop_), what + ": cudaEventRecord");
    check_cuda_status(cudaEventSynchronize(stop_), what);
    float ms = 0;
    check_cuda_status(cudaEventElapsedTime(&ms, start_, stop_), what + ": cudaEventElapsedTime");
    return ms * 1e-3;
  }

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace

Timed time_launches(const std::function<void()>& launch, const TimingPlan& plan,
                    const std::string& what) {
  EventPair events;
  Timed timed;
  timed.busy_s += events.time(launch, 1, what);  // warm-up: heuristics, module load, caches
  const double probe_s = std::max(events.time(launch, 1, what), 1e-7);
  timed.busy_s += probe_s;
  timed.launches_per_sample =
      std::clamp(static_cast<int>(std::ceil(plan.min_sample_s / probe_s)), 1, plan.max_launches);
  for (int sample = 0; sample < plan.samples; ++sample) {
    const double seconds = events.time(launch, timed.launches_per_sample, what);
    timed.busy_s += seconds;
    timed.per_launch_s.push_back(seconds / timed.launches_per_sample);
  }
  return timed;
}

}  // namespace capsim::calibrate
