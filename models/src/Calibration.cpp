// Reading the measurement files of shared/calibration (formats in its README.md).
#include "capsim/models/Calibration.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

std::vector<std::string> split_csv(const std::string& text) {
  std::vector<std::string> fields;
  std::stringstream stream(text);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(field);
  if (!text.empty() && text.back() == ',') fields.emplace_back();
  return fields;
}

// Reads one measurement file line by line and says where a problem is.
class CsvReader {
 public:
  explicit CsvReader(std::string path) : path_(std::move(path)), in_(path_) {
    if (!in_) throw InputError({path_, 0, 0}, "", "cannot open the measurement file");
  }

  // The next non-blank line's fields (trailing '\r' removed); false at the end.
  bool next(std::vector<std::string>& fields) {
    std::string text;
    while (std::getline(in_, text)) {
      ++line_;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos) continue;
      fields = split_csv(text);
      return true;
    }
    return false;
  }

  [[noreturn]] void fail(const std::string& column, const std::string& problem,
                         const std::string& expected = {}) const {
    throw InputError({path_, line_, 0}, column, problem, expected);
  }

  void expect_columns(const std::vector<std::string>& fields, std::size_t count,
                      const std::string& kind) const {
    if (fields.size() != count) {
      fail("", "a " + kind + " row has " + std::to_string(fields.size()) + " columns",
           std::to_string(count) + " comma-separated columns");
    }
  }

  double number(const std::string& text, const std::string& column, double minimum,
                const std::string& expected) const {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
      fail(column, "'" + text + "' is not a number", expected);
    }
    if (value < minimum) fail(column, "'" + text + "' is out of range", expected);
    return value;
  }

  double positive(const std::string& text, const std::string& column,
                  const std::string& expected) const {
    const double value = number(text, column, 0, expected);
    if (!(value > 0)) fail(column, "'" + text + "' is not positive", expected);
    return value;
  }

  double whole(const std::string& text, const std::string& column, double minimum) const {
    const std::string expected = "a whole number >= " + std::to_string(int(minimum));
    const double value = number(text, column, minimum, expected);
    if (value != std::floor(value)) fail(column, "'" + text + "' is not whole", expected);
    return value;
  }

  const std::string& path() const { return path_; }
  int line() const { return line_; }

 private:
  std::string path_;
  std::ifstream in_;
  int line_ = 0;
};

// "# device,<name>,..." — returns the fields after "# device".
std::vector<std::string> device_line(CsvReader& reader, const std::string& expected) {
  std::vector<std::string> fields;
  if (!reader.next(fields) || fields.size() < 2 || fields[0] != "# device") {
    reader.fail("", "the first line is not the device line", expected);
  }
  return fields;
}

void header_line(CsvReader& reader, const std::string& header) {
  std::vector<std::string> fields;
  if (!reader.next(fields) || fields != split_csv(header)) {
    reader.fail("", "the second line is not the column header", "'" + header + "'");
  }
}

const std::string kSweepHeader = "kind,dtype,m,n,k,bytes,seconds,rate";
const std::string kAttentionHeader = "kind,b,h,sq,skv,d,causal,seconds,tflops";
const std::string kPowerHeader = "kind,load,seconds,power_w_median,power_w_max,sm_clock_mhz_median";
const std::string kSecondsForm = "a positive time in seconds, such as 7.2e-06";

}  // namespace

CublasSweep read_cublas_sweep(const std::string& path) {
  CsvReader reader(path);
  CublasSweep sweep;
  sweep.file = path;
  const auto device = device_line(reader, "'# device,<name>,sms=<count>'");
  sweep.device = device[1];
  const std::string sms = device.size() == 3 ? device[2] : "";
  if (sms.rfind("sms=", 0) != 0) {
    reader.fail("sms", "the device line does not give the SM count",
                "'# device,<name>,sms=<count>'");
  }
  sweep.sm_count = int(reader.whole(sms.substr(4), "sms", 1));
  header_line(reader, kSweepHeader);

  std::vector<std::string> f;
  while (reader.next(f)) {
    reader.expect_columns(f, 8, "'" + f[0] + "'");
    if (f[0] == "gemm") {
      GemmMeasurement g;
      g.dtype = f[1];
      if (g.dtype == "bf16" || g.dtype == "fp16") {
        g.precision = MatmulPrecision::BF16;
      } else if (g.dtype == "tf32") {
        g.precision = MatmulPrecision::TF32;
      } else {
        reader.fail("dtype", "'" + f[1] + "' is not a measured GEMM type", "bf16, fp16 or tf32");
      }
      g.m = reader.whole(f[2], "m", 1);
      g.n = reader.whole(f[3], "n", 1);
      g.k = reader.whole(f[4], "k", 1);
      g.seconds = reader.positive(f[6], "seconds", kSecondsForm);
      reader.number(f[7], "rate", 0, "a rate in TFLOP/s");
      g.line = reader.line();
      sweep.gemms.push_back(g);
    } else if (f[0] == "copy") {
      CopyMeasurement c;
      c.bytes = reader.whole(f[5], "bytes", 1);
      c.seconds = reader.positive(f[6], "seconds", kSecondsForm);
      reader.number(f[7], "rate", 0, "a rate in TB/s");
      c.line = reader.line();
      sweep.copies.push_back(c);
    } else {
      reader.fail("kind", "'" + f[0] + "' is not a measurement kind", "gemm or copy");
    }
  }
  return sweep;
}

AttentionPowerSweep read_attention_power(const std::string& path) {
  CsvReader reader(path);
  AttentionPowerSweep sweep;
  sweep.file = path;
  sweep.device = device_line(reader, "'# device,<name>,torch,<version>'")[1];
  header_line(reader, kAttentionHeader);

  std::vector<std::string> f;
  while (reader.next(f)) {
    if (f[0] == "kind") {
      // The power rows come under their own header.
      if (f != split_csv(kPowerHeader) && f != split_csv(kAttentionHeader)) {
        reader.fail("", "unknown column header", "'" + kPowerHeader + "'");
      }
      continue;
    }
    if (f[0] == "power") {
      reader.expect_columns(f, 6, "power");
      PowerMeasurement p;
      p.load = f[1];
      p.sampled_s = reader.positive(f[2], "seconds", "the sampling time in seconds");
      p.median_W = reader.positive(f[3], "power_w_median", "a power in W");
      p.max_W = reader.positive(f[4], "power_w_max", "a power in W");
      p.sm_clock_Hz = 1e6 * reader.positive(f[5], "sm_clock_mhz_median", "a clock in MHz");
      p.line = reader.line();
      sweep.power.push_back(p);
      continue;
    }
    const bool decode = f[0] == "decode_attn_bytes_TBps";
    if (!decode && f[0] != "sdpa_fwd" && f[0] != "sdpa_fwd_bwd") {
      reader.fail("kind", "'" + f[0] + "' is not a measurement kind",
                  "sdpa_fwd, sdpa_fwd_bwd, decode_attn_bytes_TBps or power");
    }
    reader.expect_columns(f, 9, "'" + f[0] + "'");
    const double batch = reader.whole(f[1], "b", 1);
    const double heads = reader.whole(f[2], "h", 1);
    const double query_len = reader.whole(f[3], "sq", 1);
    const double key_len = reader.whole(f[4], "skv", 1);
    const double head_dim = reader.whole(f[5], "d", 1);
    const double causal = reader.whole(f[6], "causal", 0);
    if (causal > 1) reader.fail("causal", "'" + f[6] + "' is not 0 or 1", "0 or 1");
    const double seconds = reader.positive(f[7], "seconds", kSecondsForm);
    const double rate = reader.number(f[8], decode ? "TBps" : "tflops", 0, "a rate");
    if (decode) {
      sweep.decode.push_back(
          {batch, heads, key_len, head_dim, seconds, rate * 1e12, reader.line()});
      continue;
    }
    if (f[0] == "sdpa_fwd_bwd" && sweep.skipped_outlier_line == 0) {
      sweep.skipped_outlier_line = reader.line();  // includes one-time set-up (README)
      continue;
    }
    sweep.attention.push_back({f[0] == "sdpa_fwd_bwd", batch, heads, query_len, key_len, head_dim,
                               causal == 1, seconds, reader.line()});
  }
  return sweep;
}

KernelMeasurements read_kernel_measurements(const std::string& cublas_path,
                                            const std::string& attention_path) {
  return {read_cublas_sweep(cublas_path), read_attention_power(attention_path)};
}

}  // namespace capsim
