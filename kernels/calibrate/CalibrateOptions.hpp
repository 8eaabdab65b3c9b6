// capsim-calibrate's command line. Host code only (built and tested without CUDA).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace capsim::calibrate {

/// A bad command line; what() says what was wrong and what is expected.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CalibrateOptions {
  bool quick = false;        ///< the short grid (under 3 minutes on an H100)
  bool help = false;         ///< print usage and exit 0
  std::string out;           ///< profile path; empty = calibration-<device>.json
  std::string storage;       ///< file or folder to read for the storage group; empty = skip
  double storage_bytes = 0;  ///< bytes to read there; 0 = 1 GiB (--quick) or 4 GiB
  int device = 0;            ///< CUDA device index timed (NCCL uses every GPU)
};

/// Parses the arguments after the program name. Throws UsageError.
CalibrateOptions parse_options(const std::vector<std::string>& args);

/// The --help text.
std::string usage_text();

/// "calibration-<device>.json": the device name in lower case, runs of other characters as '-'.
std::string default_profile_name(const std::string& device_name);

}  // namespace capsim::calibrate
