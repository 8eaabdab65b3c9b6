#include "capsim/models/Units.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

namespace capsim {
namespace {

struct UnitFactor {
  std::string_view suffix;
  double factor;  // multiply the written number by this to get SI
};

constexpr double kKilo = 1e3, kMega = 1e6, kGiga = 1e9, kTera = 1e12, kPeta = 1e15;
constexpr double kKi = 1024.0, kMi = kKi * 1024, kGi = kMi * 1024, kTi = kGi * 1024,
                 kPi = kTi * 1024;
constexpr double kHour_s = 3600.0, kDay_s = 86400.0, kYear_s = 365.0 * kDay_s;

constexpr std::array kByteUnits = {
    UnitFactor{"B", 1},      UnitFactor{"kB", kKilo}, UnitFactor{"KB", kKilo},
    UnitFactor{"MB", kMega}, UnitFactor{"GB", kGiga}, UnitFactor{"TB", kTera},
    UnitFactor{"PB", kPeta}, UnitFactor{"KiB", kKi},  UnitFactor{"MiB", kMi},
    UnitFactor{"GiB", kGi},  UnitFactor{"TiB", kTi},  UnitFactor{"PiB", kPi}};

// Bit rates are divided by 8: inside the code every bandwidth is bytes per second.
constexpr std::array kBandwidthUnits = {
    UnitFactor{"bps", 1 / 8.0},    UnitFactor{"kbps", kKilo / 8}, UnitFactor{"Mbps", kMega / 8},
    UnitFactor{"Gbps", kGiga / 8}, UnitFactor{"Tbps", kTera / 8}, UnitFactor{"b/s", 1 / 8.0},
    UnitFactor{"kb/s", kKilo / 8}, UnitFactor{"Mb/s", kMega / 8}, UnitFactor{"Gb/s", kGiga / 8},
    UnitFactor{"Tb/s", kTera / 8}, UnitFactor{"B/s", 1},          UnitFactor{"kB/s", kKilo},
    UnitFactor{"MB/s", kMega},     UnitFactor{"GB/s", kGiga},     UnitFactor{"TB/s", kTera},
    UnitFactor{"PB/s", kPeta},     UnitFactor{"KiB/s", kKi},      UnitFactor{"MiB/s", kMi},
    UnitFactor{"GiB/s", kGi},      UnitFactor{"TiB/s", kTi}};

constexpr std::array kTimeUnits = {
    UnitFactor{"ns", 1e-9},  UnitFactor{"us", 1e-6},      UnitFactor{"ms", 1e-3},
    UnitFactor{"s", 1},      UnitFactor{"min", 60},       UnitFactor{"h", kHour_s},
    UnitFactor{"d", kDay_s}, UnitFactor{"w", 7 * kDay_s}, UnitFactor{"y", kYear_s}};

constexpr std::array kPowerUnits = {UnitFactor{"W", 1}, UnitFactor{"kW", kKilo},
                                    UnitFactor{"MW", kMega}};

constexpr std::array kEnergyUnits = {
    UnitFactor{"J", 1}, UnitFactor{"Wh", kHour_s}, UnitFactor{"kWh", kKilo* kHour_s},
    UnitFactor{"MWh", kMega* kHour_s}, UnitFactor{"GWh", kGiga* kHour_s}};

constexpr std::array kFlopRateUnits = {UnitFactor{"FLOP/s", 1}, UnitFactor{"GFLOP/s", kGiga},
                                       UnitFactor{"TFLOP/s", kTera}, UnitFactor{"PFLOP/s", kPeta},
                                       UnitFactor{"EFLOP/s", 1e18}};

// Plain magnitudes for money and counts: "$36k", "15T" tokens, "1.5B".
constexpr std::array kMagnitudes = {UnitFactor{"", 1},      UnitFactor{"k", kKilo},
                                    UnitFactor{"M", kMega}, UnitFactor{"B", kGiga},
                                    UnitFactor{"G", kGiga}, UnitFactor{"T", kTera}};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits "3.35TB/s" into 3.35 and "TB/s" (spaces between number and unit allowed).
std::pair<double, std::string_view> split_number(std::string_view text, Quantity kind) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [rest, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || !std::isfinite(value)) {
    throw UnitError("'" + std::string(text) + "' is not a number with a unit", expected_form(kind));
  }
  return {value, trim(std::string_view(rest, static_cast<size_t>(end - rest)))};
}

template <size_t N>
std::optional<double> lookup(const std::array<UnitFactor, N>& units, std::string_view suffix) {
  for (const auto& unit : units) {
    if (unit.suffix == suffix) return unit.factor;
  }
  return std::nullopt;
}

template <size_t N>
double with_unit(std::string_view text, Quantity kind, const std::array<UnitFactor, N>& units) {
  auto [value, suffix] = split_number(text, kind);
  if (suffix.empty()) {
    throw UnitError("'" + std::string(text) + "' has no unit", expected_form(kind));
  }
  auto factor = lookup(units, suffix);
  if (!factor) {
    throw UnitError("'" + std::string(text) + "' has unit '" + std::string(suffix) +
                        "', which is not a unit of this kind",
                    expected_form(kind));
  }
  return value * *factor;
}

// "$2.99/h" -> 2.99 with the per-unit suffix checked; "$36k" -> 36000.
double money(std::string_view text, Quantity kind, std::string_view per) {
  if (text.empty() || text.front() != '$') {
    throw UnitError("'" + std::string(text) + "' does not start with '$'", expected_form(kind));
  }
  std::string_view body = trim(text.substr(1));
  if (!per.empty()) {
    if (body.size() <= per.size() || body.substr(body.size() - per.size()) != per) {
      throw UnitError("'" + std::string(text) + "' does not end in '" + std::string(per) + "'",
                      expected_form(kind));
    }
    body = trim(body.substr(0, body.size() - per.size()));
  }
  auto [value, suffix] = split_number(body, kind);
  auto factor = lookup(kMagnitudes, suffix);
  if (!factor) {
    throw UnitError(
        "'" + std::string(text) + "' has an unknown magnitude '" + std::string(suffix) + "'",
        expected_form(kind));
  }
  return value * *factor;
}

double parse_unchecked(std::string_view text, Quantity kind) {
  switch (kind) {
    case Quantity::Bytes:
      return with_unit(text, kind, kByteUnits);
    case Quantity::Bandwidth:
      return with_unit(text, kind, kBandwidthUnits);
    case Quantity::Time:
      return with_unit(text, kind, kTimeUnits);
    case Quantity::Power:
      return with_unit(text, kind, kPowerUnits);
    case Quantity::Energy:
      return with_unit(text, kind, kEnergyUnits);
    case Quantity::FlopRate:
      return with_unit(text, kind, kFlopRateUnits);
    case Quantity::Money:
      return money(text, kind, "");
    case Quantity::MoneyPerHour:
      return money(text, kind, "/h");
    case Quantity::MoneyPerEnergy:
      return money(text, kind, "/kWh");
    case Quantity::Fraction: {
      auto [value, suffix] = split_number(text, kind);
      if (suffix == "%") return value / 100.0;
      if (suffix.empty()) return value;
      throw UnitError("'" + std::string(text) + "' is not a fraction", expected_form(kind));
    }
    case Quantity::Ratio: {
      auto [value, suffix] = split_number(text, kind);
      if (suffix.empty()) return value;
      if (suffix.front() == ':') {
        auto [denominator, tail] = split_number(trim(suffix.substr(1)), kind);
        if (tail.empty() && denominator > 0) return value / denominator;
      }
      throw UnitError("'" + std::string(text) + "' is not a ratio", expected_form(kind));
    }
    case Quantity::Count: {
      auto [value, suffix] = split_number(text, kind);
      auto factor = lookup(kMagnitudes, suffix);
      if (!factor) {
        throw UnitError(
            "'" + std::string(text) + "' has an unknown magnitude '" + std::string(suffix) + "'",
            expected_form(kind));
      }
      return value * *factor;
    }
    case Quantity::Number: {
      auto [value, suffix] = split_number(text, kind);
      if (!suffix.empty()) {
        throw UnitError("'" + std::string(text) + "' has a unit where none belongs",
                        expected_form(kind));
      }
      return value;
    }
  }
  throw UnitError("unknown quantity kind", "a known quantity kind");
}

}  // namespace

double parse_quantity(std::string_view text, Quantity kind) {
  text = trim(text);
  if (text.empty()) throw UnitError("the value is empty", expected_form(kind));
  double value = parse_unchecked(text, kind);
  if (value < 0) {
    throw UnitError("'" + std::string(text) + "' is negative", expected_form(kind));
  }
  if (kind == Quantity::Fraction && value > 1.0) {
    throw UnitError("'" + std::string(text) + "' is more than 100%", expected_form(kind));
  }
  if (kind == Quantity::Ratio && value == 0) {
    throw UnitError("'" + std::string(text) + "' is zero", expected_form(kind));
  }
  return value;
}

std::string expected_form(Quantity kind) {
  switch (kind) {
    case Quantity::Bytes:
      return "a size such as \"80GiB\" or \"141GB\"";
    case Quantity::Bandwidth:
      return "a data rate such as \"400Gbps\" or \"3.35TB/s\"";
    case Quantity::Time:
      return "a duration such as \"500ms\", \"30min\", \"2h\" or \"90d\"";
    case Quantity::Power:
      return "a power such as \"700W\" or \"10.2kW\"";
    case Quantity::Energy:
      return "an energy such as \"1.5kWh\"";
    case Quantity::FlopRate:
      return "a compute rate such as \"989TFLOP/s\"";
    case Quantity::Money:
      return "an amount such as \"$36k\" or \"$248000\"";
    case Quantity::MoneyPerHour:
      return "an hourly price such as \"$2.99/h\"";
    case Quantity::MoneyPerEnergy:
      return "an energy price such as \"$0.08/kWh\"";
    case Quantity::Fraction:
      return "a fraction such as \"75%\" or 0.75";
    case Quantity::Ratio:
      return "a ratio such as \"2:1\" or 2";
    case Quantity::Count:
      return "a non-negative count such as 512 or \"15T\"";
    case Quantity::Number:
      return "a plain non-negative number such as 1.2";
  }
  return "a value";
}

namespace {

std::string printf_string(const char* format, double value, const char* unit) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value, unit);
  return buffer;
}

// Picks the largest unit not above the value and prints three significant digits.
template <size_t N>
std::string scaled(double value, const std::array<UnitFactor, N>& ladder) {
  const UnitFactor* chosen = &ladder.front();
  for (const auto& unit : ladder) {
    if (std::fabs(value) >= unit.factor) chosen = &unit;
  }
  const double shown = value / chosen->factor;
  // %.3g switches to exponent notation from 1000 on ("1.82e+03 d" for five years, "1e+03 GB/s"
  // for 999.9 GB/s), which reports must not show; whole numbers read better there.
  const char* format = std::fabs(shown) >= 999.5 ? "%.0f %s" : "%.3g %s";
  return printf_string(format, shown, std::string(chosen->suffix).c_str());
}

}  // namespace

std::string format_quantity(double v, Quantity kind) {
  static constexpr std::array kBytesLadder = {UnitFactor{"B", 1},     UnitFactor{"KiB", kKi},
                                              UnitFactor{"MiB", kMi}, UnitFactor{"GiB", kGi},
                                              UnitFactor{"TiB", kTi}, UnitFactor{"PiB", kPi}};
  static constexpr std::array kRateLadder = {UnitFactor{"B/s", 1},      UnitFactor{"kB/s", kKilo},
                                             UnitFactor{"MB/s", kMega}, UnitFactor{"GB/s", kGiga},
                                             UnitFactor{"TB/s", kTera}, UnitFactor{"PB/s", kPeta}};
  static constexpr std::array kTimeLadder = {
      UnitFactor{"ns", 1e-9}, UnitFactor{"us", 1e-6},   UnitFactor{"ms", 1e-3}, UnitFactor{"s", 1},
      UnitFactor{"min", 60},  UnitFactor{"h", kHour_s}, UnitFactor{"d", kDay_s}};
  static constexpr std::array kPowerLadder = {UnitFactor{"W", 1}, UnitFactor{"kW", kKilo},
                                              UnitFactor{"MW", kMega}};
  static constexpr std::array kEnergyLadder = {UnitFactor{"kWh", kKilo * kHour_s},
                                               UnitFactor{"MWh", kMega * kHour_s},
                                               UnitFactor{"GWh", kGiga * kHour_s}};
  static constexpr std::array kFlopLadder = {
      UnitFactor{"FLOP/s", 1}, UnitFactor{"GFLOP/s", kGiga}, UnitFactor{"TFLOP/s", kTera},
      UnitFactor{"PFLOP/s", kPeta}, UnitFactor{"EFLOP/s", 1e18}};
  static constexpr std::array kCountLadder = {UnitFactor{"", 1}, UnitFactor{"k", kKilo},
                                              UnitFactor{"M", kMega}, UnitFactor{"B", kGiga},
                                              UnitFactor{"T", kTera}};
  static constexpr std::array kMoneyLadder = {UnitFactor{"", 1}, UnitFactor{"k", kKilo},
                                              UnitFactor{"M", kMega}, UnitFactor{"B", kGiga}};
  switch (kind) {
    case Quantity::Bytes:
      return scaled(v, kBytesLadder);
    case Quantity::Bandwidth:
      return scaled(v, kRateLadder);
    case Quantity::Time:
      return scaled(v, kTimeLadder);
    case Quantity::Power:
      return scaled(v, kPowerLadder);
    case Quantity::Energy:
      return scaled(v, kEnergyLadder);
    case Quantity::FlopRate:
      return scaled(v, kFlopLadder);
    case Quantity::Money: {
      std::string text = scaled(v, kMoneyLadder);
      // Money is written without a space before its magnitude, as in input files ("$36k").
      text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
      return "$" + text;
    }
    case Quantity::MoneyPerHour:
      return printf_string("$%.3g%s", v, "/h");
    case Quantity::MoneyPerEnergy:
      return printf_string("$%.3g%s", v, "/kWh");
    case Quantity::Fraction:
      return printf_string("%.3g%s", v * 100, "%");
    case Quantity::Ratio:
      return printf_string("%.3g%s", v, ":1");
    case Quantity::Count: {
      if (std::fabs(v) < 1e4) return printf_string("%.6g%s", v, "");
      std::string text = scaled(v, kCountLadder);  // "15T", "524k", as in input files
      text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
      return text;
    }
    case Quantity::Number:
      return printf_string("%.6g%s", v, "");
  }
  return std::to_string(v);
}

}  // namespace capsim
