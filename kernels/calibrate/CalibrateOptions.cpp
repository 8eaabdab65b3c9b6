#include "CalibrateOptions.hpp"

#include <cctype>
#include <charconv>

namespace capsim::calibrate {
namespace {

const std::string kTry = " (see capsim-calibrate --help)";

// "4GiB", "512MiB", "1000000": bytes, binary suffixes only (what a file size is quoted in).
double parse_bytes(const std::string& text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  const auto [stop, error] = std::from_chars(begin, end, value);
  const std::string suffix(stop, end);
  double scale = 0;
  if (suffix.empty() || suffix == "B") scale = 1;
  if (suffix == "KiB") scale = 1024.0;
  if (suffix == "MiB") scale = 1024.0 * 1024;
  if (suffix == "GiB") scale = 1024.0 * 1024 * 1024;
  if (error != std::errc() || scale == 0 || !(value > 0)) {
    throw UsageError("--storage-bytes: '" + text +
                     "' is not a size; expected a positive number of bytes such as 4GiB or "
                     "512MiB" +
                     kTry);
  }
  return value * scale;
}

}  // namespace

CalibrateOptions parse_options(const std::vector<std::string>& args) {
  CalibrateOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        throw UsageError(arg + " needs a value" + kTry);
      }
      return args[++i];
    };
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--out") {
      options.out = value();
    } else if (arg == "--storage") {
      options.storage = value();
    } else if (arg == "--storage-bytes") {
      options.storage_bytes = parse_bytes(value());
    } else if (arg == "--device") {
      const std::string& text = value();
      int device = -1;
      const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), device);
      if (error != std::errc() || stop != text.data() + text.size() || device < 0) {
        throw UsageError("--device: '" + text + "' is not a device index; expected 0, 1, ..." +
                         kTry);
      }
      options.device = device;
    } else {
      throw UsageError("unknown argument '" + arg + "'" + kTry);
    }
  }
  if (options.storage_bytes > 0 && options.storage.empty()) {
    throw UsageError("--storage-bytes needs --storage PATH" + kTry);
  }
  return options;
}

std::string usage_text() {
  return "usage: capsim-calibrate [--quick] [--out FILE] [--storage PATH [--storage-bytes SIZE]]\n"
         "                        [--device N]\n"
         "\n"
         "Measures this host's GPU and writes a calibration profile (JSON) that capsim reads\n"
         "with --calibration or a scenario's run.calibration key (docs/calibration.md).\n"
         "\n"
         "  --quick            the short grid: under 3 minutes on an H100\n"
         "  --out FILE         profile path (default: calibration-<device>.json); written\n"
         "                     whole or not at all\n"
         "  --storage PATH     also time sequential reads of PATH, buffered and O_DIRECT (a\n"
         "                     folder gets a temporary file, a file is read as it is)\n"
         "  --storage-bytes SIZE  how much to read there (default 1GiB with --quick, else 4GiB)\n"
         "  --device N         CUDA device to time (default 0); NCCL uses every GPU\n"
         "  --help             this text\n"
         "\n"
         "Measures: GEMMs (bf16, fp16, tf32 with cuBLAS; fp8 e4m3 with cuBLASLt), strided\n"
         "batched GEMMs of attention shapes, copy and triad kernels from L2-resident sizes to\n"
         "GiBs, pinned and pageable host<->device copies, kernel launch overhead, and with two\n"
         "or more GPUs and libnccl.so.2 peer copies and NCCL collectives. NVML (when present)\n"
         "samples clocks, power and temperature around each group to flag throttling.\n";
}

std::string default_profile_name(const std::string& device_name) {
  std::string slug;
  for (const char c : device_name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      slug += char(std::tolower(static_cast<unsigned char>(c)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return "calibration-" + (slug.empty() ? std::string("gpu") : slug) + ".json";
}

}  // namespace capsim::calibrate
