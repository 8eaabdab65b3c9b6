// Test helpers for the end-to-end tests of the `capsim` executable: run the real binary as a child
// process in a fresh temporary working directory and capture its exit status, stdout and stderr;
// read files and JSON it wrote; parse the numbers it prints back into SI values.
//
// Header-only: every tests/app/*_test.cpp is its own executable.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace capsim::test {

namespace fs = std::filesystem;
using Json = nlohmann::json;

/// The `capsim` executable the build put in build/bin/.
inline fs::path capsim_binary() { return fs::path(CAPSIM_BIN_DIR) / "capsim"; }

/// scenarios/ of the source tree.
inline fs::path scenarios_dir() { return fs::path(CAPSIM_SOURCE_DIR) / "scenarios"; }

inline fs::path quickstart_path() { return scenarios_dir() / "quickstart.yaml"; }

/// What one run of the binary did.
struct CliResult {
  int exit_code = -1;      ///< the exit status; 128 + signal when killed by a signal
  int signal = 0;          ///< the signal that killed it, 0 if it exited
  bool timed_out = false;  ///< killed by run_capsim because it ran too long
  std::string out;         ///< stdout
  std::string err;         ///< stderr

  /// For assertion messages: how it ended and what it printed.
  std::string describe() const {
    std::ostringstream text;
    if (timed_out) text << "timed out; ";
    if (signal != 0) {
      text << "killed by signal " << signal << " (" << strsignal(signal) << ")";
    } else {
      text << "exit code " << exit_code;
    }
    text << "\n--- stdout ---\n" << out << "\n--- stderr ---\n" << err << "\n---";
    return text.str();
  }
};

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Runs `capsim ARGS...` with `cwd` as its working directory, stdin from /dev/null, and the
/// catalog of the source tree (CAPSIM_CATALOG_DIR), so results do not depend on the caller's
/// environment. A run longer than `timeout_s` is killed and reported as timed out.
inline CliResult run_capsim(const std::vector<std::string>& args, const fs::path& cwd,
                            double timeout_s = 120) {
  CliResult result;
  const fs::path out_path = cwd / ".capsim-test-stdout";
  const fs::path err_path = cwd / ".capsim-test-stderr";
  const std::string binary = capsim_binary().string();
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string catalog = std::string(CAPSIM_SOURCE_DIR) + "/models/catalog";

  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    result.err = std::string("fork failed: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec (plus setenv, harmless in a fresh fork).
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int in_fd = open("/dev/null", O_RDONLY);
    const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(126);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    setenv("CAPSIM_CATALOG_DIR", catalog.c_str(), 1);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  }
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return result;
}

/// Every path under `root` (files and folders), relative to it, sorted.
inline std::vector<std::string> tree(const fs::path& root) {
  std::vector<std::string> paths;
  if (!fs::exists(root)) return paths;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    paths.push_back(fs::relative(entry.path(), root).string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

inline std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// Whether `text` contains `part`, with both shown on failure (gmock is not linked).
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

/// Parses a number the CLI printed with a unit ("1.66 s", "993 ms", "31.6 min", "104.1 days",
/// "$1.66M", "$44.8", "315k", "57.6%") into SI (seconds, dollars, a count, a fraction). Written
/// independently of capsim's own unit code. Returns nullopt for text it does not understand.
inline std::optional<double> parse_printed(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ','), text.end());
  double sign = 1;
  if (!text.empty() && text[0] == '$') text.erase(0, 1);
  if (!text.empty() && text[0] == '-') {
    sign = -1;
    text.erase(0, 1);
  }
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  unit.erase(0, unit.find_first_not_of(' '));
  static const std::map<std::string, double> kFactors = {
      {"", 1},     {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},    {"s", 1},
      {"min", 60}, {"h", 3600},  {"d", 86400}, {"days", 86400}, {"k", 1e3},
      {"M", 1e6},  {"B", 1e9},   {"T", 1e12},  {"%", 0.01}};
  const auto factor = kFactors.find(unit);
  if (factor == kFactors.end()) return std::nullopt;
  return sign * number * factor->second;
}

/// Asserts that `printed` (a value as the CLI shows it, to 3 or 4 significant digits) equals
/// `expected` within the rounding of its digits.
inline ::testing::AssertionResult printed_matches(const std::string& printed, double expected) {
  const auto value = parse_printed(printed);
  if (!value) return ::testing::AssertionFailure() << "cannot parse '" << printed << "'";
  const double tolerance = 0.0051 * std::fabs(expected) + 1e-12;
  if (std::fabs(*value - expected) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "'" << printed << "' reads as " << *value << " but the JSON has " << expected;
}

/// Relative comparison for figures that must agree by arithmetic (only rounding may differ).
inline ::testing::AssertionResult near_rel(double actual, double expected, double rel = 1e-9) {
  const double scale = std::max(std::fabs(actual), std::fabs(expected));
  if (std::fabs(actual - expected) <= rel * scale + 1e-300) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << actual << " != " << expected << " (relative difference "
         << std::fabs(actual - expected) / scale << ", allowed " << rel << ")";
}

/// A fixture with a fresh temporary working directory per test, removed afterwards; set
/// CAPSIM_KEEP_TEST_DIRS=1 to keep the folders of failed tests for inspection.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(capsim_binary()))
        << capsim_binary() << " is missing: build the `capsim` target first";
    std::string pattern = (fs::temp_directory_path() / "capsim-cli-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (HasFailure() && std::getenv("CAPSIM_KEEP_TEST_DIRS") != nullptr) {
      std::cerr << "[ kept     ] the test's working directory " << dir_ << "\n";
      return;
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  CliResult capsim(const std::vector<std::string>& args) { return run_capsim(args, dir_); }

  /// Writes `text` to `name` in the working directory and returns its absolute path.
  std::string write_file(const std::string& name, const std::string& text) {
    write_text(dir_ / name, text);
    return (dir_ / name).string();
  }

  Json read_json(const fs::path& relative) {
    return Json::parse(read_text(dir_ / relative));  // throws (failing the test) if invalid
  }

  fs::path dir_;
};

}  // namespace capsim::test
