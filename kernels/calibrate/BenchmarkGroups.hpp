// Runs capsim-calibrate's benchmark groups in order, one progress line per group on stderr, NVML
// telemetry around each, and collects their results into a CalibrationRun.
#pragma once

#include <ostream>

#include "BenchmarkPlan.hpp"
#include "CalibrateOptions.hpp"
#include "NvmlMonitor.hpp"
#include "ProfileWriter.hpp"

namespace capsim::calibrate {

/// Measures the GPU `options.device` as `plan` says. A group (or GEMM shape) that fails is
/// listed in run.skipped with the error and the others still run; a group that cannot apply
/// (NCCL on one GPU, fp8 before compute capability 8.9) is listed with the reason.
CalibrationRun run_benchmarks(const CalibrateOptions& options, const BenchmarkPlan& plan,
                              std::ostream& progress);

}  // namespace capsim::calibrate
