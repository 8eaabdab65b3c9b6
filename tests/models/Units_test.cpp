// parse_quantity / format_quantity against conversions worked out by hand.
#include "capsim/models/Units.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace capsim {
namespace {

// Relative comparison: SI values span 1e-9 (ns) to 1e15 (PFLOP/s).
void expect_near_rel(double actual, double expected) {
  EXPECT_NEAR(actual, expected, 1e-12 * std::max(1.0, std::abs(expected)))
      << "actual " << actual << ", expected " << expected;
}

TEST(ParseQuantity, Bytes) {
  expect_near_rel(parse_quantity("80GB", Quantity::Bytes), 80e9);
  EXPECT_EQ(parse_quantity("80GiB", Quantity::Bytes), 85899345920.0);  // 80 * 2^30
  expect_near_rel(parse_quantity("141GB", Quantity::Bytes), 141e9);
  expect_near_rel(parse_quantity("1.5TB", Quantity::Bytes), 1.5e12);
  EXPECT_EQ(parse_quantity("512B", Quantity::Bytes), 512.0);
  EXPECT_EQ(parse_quantity("2KiB", Quantity::Bytes), 2048.0);
  EXPECT_EQ(parse_quantity("1 TiB", Quantity::Bytes), 1099511627776.0);  // space allowed
  expect_near_rel(parse_quantity("240PB", Quantity::Bytes), 240e15);
  expect_near_rel(parse_quantity("  3.84TB  ", Quantity::Bytes), 3.84e12);  // trimmed
}

TEST(ParseQuantity, BandwidthDividesBitRatesByEight) {
  expect_near_rel(parse_quantity("400Gbps", Quantity::Bandwidth), 50e9);
  expect_near_rel(parse_quantity("400Gb/s", Quantity::Bandwidth), 50e9);
  expect_near_rel(parse_quantity("800Mbps", Quantity::Bandwidth), 100e6);
  expect_near_rel(parse_quantity("3.2Tbps", Quantity::Bandwidth), 400e9);
  expect_near_rel(parse_quantity("3.35TB/s", Quantity::Bandwidth), 3.35e12);
  expect_near_rel(parse_quantity("450GB/s", Quantity::Bandwidth), 450e9);
  EXPECT_EQ(parse_quantity("25GiB/s", Quantity::Bandwidth), 25.0 * 1024 * 1024 * 1024);
}

TEST(ParseQuantity, Time) {
  EXPECT_EQ(parse_quantity("30min", Quantity::Time), 1800.0);
  expect_near_rel(parse_quantity("500ms", Quantity::Time), 0.5);
  expect_near_rel(parse_quantity("130ns", Quantity::Time), 130e-9);
  expect_near_rel(parse_quantity("3us", Quantity::Time), 3e-6);
  EXPECT_EQ(parse_quantity("1.5s", Quantity::Time), 1.5);
  EXPECT_EQ(parse_quantity("2h", Quantity::Time), 7200.0);
  EXPECT_EQ(parse_quantity("90d", Quantity::Time), 90.0 * 86400);
  EXPECT_EQ(parse_quantity("1w", Quantity::Time), 7.0 * 86400);
  EXPECT_EQ(parse_quantity("5y", Quantity::Time), 5.0 * 365 * 86400);  // a year is 365 days
}

TEST(ParseQuantity, PowerEnergyAndFlops) {
  EXPECT_EQ(parse_quantity("700W", Quantity::Power), 700.0);
  expect_near_rel(parse_quantity("10.2kW", Quantity::Power), 10200.0);
  expect_near_rel(parse_quantity("1.5MW", Quantity::Power), 1.5e6);
  expect_near_rel(parse_quantity("1.2kWh", Quantity::Energy), 1.2 * 1000 * 3600);
  expect_near_rel(parse_quantity("3MWh", Quantity::Energy), 3e6 * 3600);
  EXPECT_EQ(parse_quantity("500J", Quantity::Energy), 500.0);
  expect_near_rel(parse_quantity("989TFLOP/s", Quantity::FlopRate), 989e12);
  expect_near_rel(parse_quantity("1.98PFLOP/s", Quantity::FlopRate), 1.98e15);
  expect_near_rel(parse_quantity("19.5TFLOP/s", Quantity::FlopRate), 19.5e12);
}

TEST(ParseQuantity, Money) {
  EXPECT_EQ(parse_quantity("$36k", Quantity::Money), 36000.0);
  EXPECT_EQ(parse_quantity("$248000", Quantity::Money), 248000.0);
  expect_near_rel(parse_quantity("$1.2M", Quantity::Money), 1.2e6);
  expect_near_rel(parse_quantity("$205.6k", Quantity::Money), 205600.0);
  expect_near_rel(parse_quantity("$2.99/h", Quantity::MoneyPerHour), 2.99);
  expect_near_rel(parse_quantity("$12.29/h", Quantity::MoneyPerHour), 12.29);
  expect_near_rel(parse_quantity("$0.08/kWh", Quantity::MoneyPerEnergy), 0.08);
}

TEST(ParseQuantity, FractionRatioCountNumber) {
  EXPECT_EQ(parse_quantity("75%", Quantity::Fraction), 0.75);
  EXPECT_EQ(parse_quantity("0.75", Quantity::Fraction), 0.75);
  EXPECT_EQ(parse_quantity("100%", Quantity::Fraction), 1.0);
  EXPECT_EQ(parse_quantity("0%", Quantity::Fraction), 0.0);
  EXPECT_EQ(parse_quantity("2:1", Quantity::Ratio), 2.0);
  EXPECT_EQ(parse_quantity("3:2", Quantity::Ratio), 1.5);
  EXPECT_EQ(parse_quantity("2", Quantity::Ratio), 2.0);
  EXPECT_EQ(parse_quantity("15T", Quantity::Count), 1.5e13);
  EXPECT_EQ(parse_quantity("1.5B", Quantity::Count), 1.5e9);
  EXPECT_EQ(parse_quantity("2k", Quantity::Count), 2000.0);
  EXPECT_EQ(parse_quantity("512", Quantity::Count), 512.0);
  EXPECT_EQ(parse_quantity("1.2", Quantity::Number), 1.2);
}

// Asserts that `text` is rejected as `kind` with a problem containing `problem_part` and an
// expectation that shows the accepted form.
void expect_unit_error(const std::string& text, Quantity kind, const std::string& problem_part) {
  try {
    double value = parse_quantity(text, kind);
    ADD_FAILURE() << "'" << text << "' was accepted as " << value;
  } catch (const UnitError& error) {
    EXPECT_NE(error.problem().find(problem_part), std::string::npos)
        << "'" << text << "': problem was: " << error.problem();
    EXPECT_EQ(error.expected(), expected_form(kind));
    EXPECT_NE(std::string(error.what()).find("expected"), std::string::npos);
  }
}

TEST(ParseQuantityErrors, MissingUnit) {
  expect_unit_error("80", Quantity::Bytes, "has no unit");
  expect_unit_error("400", Quantity::Bandwidth, "has no unit");
  expect_unit_error("30", Quantity::Time, "has no unit");
  expect_unit_error("700", Quantity::Power, "has no unit");
  expect_unit_error("989", Quantity::FlopRate, "has no unit");
}

TEST(ParseQuantityErrors, WrongUnitForTheKind) {
  expect_unit_error("80GB", Quantity::Bandwidth, "not a unit of this kind");
  expect_unit_error("400Gbps", Quantity::Bytes, "not a unit of this kind");
  expect_unit_error("80Gb", Quantity::Bytes, "not a unit of this kind");  // bits are not bytes
  expect_unit_error("700W", Quantity::Time, "not a unit of this kind");
  expect_unit_error("30m", Quantity::Time, "not a unit of this kind");  // minutes are "min"
  expect_unit_error("1.2kWh", Quantity::Power, "not a unit of this kind");
  expect_unit_error("80gb", Quantity::Bytes, "not a unit of this kind");  // units are case-exact
  expect_unit_error("1.2x", Quantity::Number, "unit where none belongs");
  expect_unit_error("15X", Quantity::Count, "unknown magnitude");
  expect_unit_error("$36q", Quantity::Money, "unknown magnitude");
  expect_unit_error("75 percent", Quantity::Fraction, "not a fraction");
}

TEST(ParseQuantityErrors, Negative) {
  expect_unit_error("-5GB", Quantity::Bytes, "negative");
  expect_unit_error("-1s", Quantity::Time, "negative");
  expect_unit_error("$-5k", Quantity::Money, "negative");
  expect_unit_error("-3", Quantity::Count, "negative");
  expect_unit_error("-10%", Quantity::Fraction, "negative");
}

TEST(ParseQuantityErrors, FractionOverOneHundredPercent) {
  expect_unit_error("150%", Quantity::Fraction, "more than 100%");
  expect_unit_error("1.5", Quantity::Fraction, "more than 100%");
}

TEST(ParseQuantityErrors, RatioZeroOrMalformed) {
  expect_unit_error("0", Quantity::Ratio, "zero");
  expect_unit_error("2:0", Quantity::Ratio, "not a ratio");
  expect_unit_error("2:1:1", Quantity::Ratio, "not a ratio");
  expect_unit_error("2/1", Quantity::Ratio, "not a ratio");
}

TEST(ParseQuantityErrors, Garbage) {
  expect_unit_error("abc", Quantity::Bytes, "not a number");
  expect_unit_error("GB80", Quantity::Bytes, "not a number");
  expect_unit_error("+5GB", Quantity::Bytes, "not a number");
  expect_unit_error("1e999GB", Quantity::Bytes, "not a number");  // out of range
  expect_unit_error("inf GB", Quantity::Bytes, "not a number");
  expect_unit_error("nan", Quantity::Number, "not a number");
}

TEST(ParseQuantityErrors, Empty) {
  expect_unit_error("", Quantity::Bytes, "empty");
  expect_unit_error("   ", Quantity::Money, "empty");
}

TEST(ParseQuantityErrors, MoneyNeedsDollarAndPerUnit) {
  expect_unit_error("36k", Quantity::Money, "does not start with '$'");
  expect_unit_error("2.99/h", Quantity::MoneyPerHour, "does not start with '$'");
  expect_unit_error("$2.99", Quantity::MoneyPerHour, "does not end in '/h'");
  expect_unit_error("$2.99/hr", Quantity::MoneyPerHour, "does not end in '/h'");
  expect_unit_error("$0.08", Quantity::MoneyPerEnergy, "does not end in '/kWh'");
  expect_unit_error("$", Quantity::Money, "not a number");
}

TEST(FormatQuantity, ReadableUnits) {
  EXPECT_EQ(format_quantity(50e9, Quantity::Bandwidth), "50 GB/s");
  EXPECT_EQ(format_quantity(3.35e12, Quantity::Bandwidth), "3.35 TB/s");
  EXPECT_EQ(format_quantity(85899345920.0, Quantity::Bytes), "80 GiB");
  EXPECT_EQ(format_quantity(512, Quantity::Bytes), "512 B");
  EXPECT_EQ(format_quantity(1800, Quantity::Time), "30 min");
  EXPECT_EQ(format_quantity(0.5, Quantity::Time), "500 ms");
  EXPECT_EQ(format_quantity(9000, Quantity::Time), "2.5 h");
  EXPECT_EQ(format_quantity(10200, Quantity::Power), "10.2 kW");
  EXPECT_EQ(format_quantity(989e12, Quantity::FlopRate), "989 TFLOP/s");
  EXPECT_EQ(format_quantity(36000, Quantity::Money), "$36k");
  EXPECT_EQ(format_quantity(1.2e6, Quantity::Money), "$1.2M");
  EXPECT_EQ(format_quantity(12, Quantity::Money), "$12");
  EXPECT_EQ(format_quantity(2.99, Quantity::MoneyPerHour), "$2.99/h");
  EXPECT_EQ(format_quantity(0.08, Quantity::MoneyPerEnergy), "$0.08/kWh");
  EXPECT_EQ(format_quantity(0.75, Quantity::Fraction), "75%");
  EXPECT_EQ(format_quantity(2, Quantity::Ratio), "2:1");
  EXPECT_EQ(format_quantity(512, Quantity::Count), "512");
}

TEST(FormatQuantity, NoExponentNotationAtTheTopOfALadder) {
  // Five years in days and 999.9 GB/s rounded to three digits used to print as "1.82e+03 d" and
  // "1e+03 GB/s".
  EXPECT_EQ(format_quantity(5 * 365 * 86400.0, Quantity::Time), "1825 d");
  EXPECT_EQ(format_quantity(999.9e9, Quantity::Bandwidth), "1000 GB/s");
  EXPECT_EQ(format_quantity(1000.0 * 1024 * 1024 * 1024, Quantity::Bytes), "1000 GiB");
}

TEST(FormatQuantity, RoundTripsThroughParseWithinThreeDigits) {
  const std::pair<double, Quantity> cases[] = {{50e9, Quantity::Bandwidth},
                                               {3.35e12, Quantity::Bandwidth},
                                               {85899345920.0, Quantity::Bytes},
                                               {141e9, Quantity::Bytes},
                                               {1800, Quantity::Time},
                                               {157680000, Quantity::Time},
                                               {130e-9, Quantity::Time},
                                               {700, Quantity::Power},
                                               {4.32e6, Quantity::Energy},
                                               {989e12, Quantity::FlopRate},
                                               {36000, Quantity::Money},
                                               {2.99, Quantity::MoneyPerHour},
                                               {0.08, Quantity::MoneyPerEnergy},
                                               {0.75, Quantity::Fraction},
                                               {2, Quantity::Ratio},
                                               {1.5e13, Quantity::Count},
                                               {1.2, Quantity::Number}};
  for (const auto& [value, kind] : cases) {
    const std::string text = format_quantity(value, kind);
    EXPECT_NEAR(parse_quantity(text, kind), value, 0.005 * value) << text;
  }
}

}  // namespace
}  // namespace capsim
