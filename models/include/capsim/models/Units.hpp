// Quantities with units, as written in scenario and catalog files ("400Gbps", "80GiB", "30min").
//
// parse_quantity is the one place where text with a unit becomes a number. Inside the code every
// value is SI (bytes, bytes/s, seconds, watts, joules, FLOP/s) or US dollars; names carry the unit.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace capsim {

enum class Quantity {
  Bytes,           ///< "80GiB", "141GB", "2TB" -> bytes (k/M/G/T/P decimal, Ki/Mi/Gi/Ti/Pi binary)
  Bandwidth,       ///< "400Gbps", "400Gb/s", "3.35TB/s", "25GiB/s" -> bytes per second
  Time,            ///< "500ms", "1.5s", "30min", "2h", "90d", "5y" (365 days) -> seconds
  Power,           ///< "700W", "10.2kW", "1.5MW" -> watts
  Energy,          ///< "1.2kWh", "3MWh", "500J" -> joules
  FlopRate,        ///< "989TFLOP/s", "1.98PFLOP/s" -> FLOP per second
  Money,           ///< "$36k", "$248000", "$1.2M" -> US dollars
  MoneyPerHour,    ///< "$2.99/h" -> US dollars per hour
  MoneyPerEnergy,  ///< "$0.08/kWh" -> US dollars per kWh
  Fraction,        ///< "75%" or 0.75 -> a fraction in [0, 1]
  Ratio,           ///< "2:1" or 2 -> a positive ratio (oversubscription)
  Count,           ///< 512, "15T", "1.5B" -> a non-negative number (k, M, B or G, T suffixes)
  Number,          ///< a plain number without unit (PUE 1.1)
};

/// Thrown by parse_quantity; callers add where the text came from.
class UnitError : public std::invalid_argument {
 public:
  UnitError(std::string problem, std::string expected)
      : std::invalid_argument(problem + "; expected " + expected),
        problem_(std::move(problem)),
        expected_(std::move(expected)) {}
  const std::string& problem() const { return problem_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string problem_;
  std::string expected_;
};

/// Parses `text` as a quantity of `kind` and returns it in SI (see Quantity). Throws UnitError
/// for a missing or wrong unit, a malformed number, a negative value, or a fraction over 100%.
double parse_quantity(std::string_view text, Quantity kind);

/// How a value of `kind` should be written, for error messages ("a data rate such as 400Gbps").
std::string expected_form(Quantity kind);

/// Renders an SI value with a readable unit for reports ("3.35 TB/s", "2.5 h", "$1.20M").
std::string format_quantity(double value, Quantity kind);

}  // namespace capsim
