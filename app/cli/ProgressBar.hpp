// The terminal progress bar of `capsim run`: the core's ProgressCallback drawn on stderr, only
// when stderr is a terminal (or --progress forces it) and only once the run has taken more than a
// second, so quick runs and piped output stay clean.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace capsim::cli {

class ProgressBar {
 public:
  /// Draws on `err`; `enabled` false draws nothing (not a terminal and not forced).
  ProgressBar(std::ostream& err, bool enabled);
  /// Redraws the bar: `fraction` done in [0, 1] and what is being worked on.
  void update(double fraction, const std::string& stage);
  /// Clears the bar's line if one was drawn.
  void finish();

 private:
  std::ostream& err_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

/// Whether stderr is a terminal.
bool stderr_is_terminal();

}  // namespace capsim::cli
