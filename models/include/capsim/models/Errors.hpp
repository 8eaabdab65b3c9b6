// Typed errors thrown by the core. Front ends print what() and exit with code 2.
//
// Every message names where the problem is (file, line, column or key path), what was wrong and
// what is expected, so a user can fix the input without reading the code.
#pragma once

#include <stdexcept>
#include <string>

namespace capsim {

/// A place in an input: a file (or "--set", "<text>") and a 1-based line/column (0 = unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  /// "file:line:col", "file:line" or "file", whichever parts are known.
  std::string to_string() const;
};

/// Bad user input: a scenario, catalog or override value that cannot be used as given.
class InputError : public std::runtime_error {
 public:
  /// `key_path` is dotted ("workloads[0].parallelism.tp"); `problem` says what is wrong and
  /// `expected` what would be accepted (may be empty).
  InputError(SourceLocation where, std::string key_path, std::string problem,
             std::string expected = {});

  const SourceLocation& where() const { return where_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& problem() const { return problem_; }

 private:
  SourceLocation where_;
  std::string key_path_;
  std::string problem_;
};

/// A configuration that parses but cannot run: parallel sizes that do not multiply to the GPU
/// count, a model that does not fit in memory, a fabric the switches cannot build.
class ConfigurationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace capsim
