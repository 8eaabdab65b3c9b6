// ProgressBar: "\r[=========>          ] 45% simulating pretrain" on one line of stderr.
#include "ProgressBar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace capsim::cli {
namespace {

constexpr int kWidth = 30;
constexpr std::chrono::milliseconds kQuiet{1000};  // nothing is drawn for shorter runs
constexpr std::chrono::milliseconds kEvery{100};   // at most ten redraws a second

}  // namespace

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::ostream& err, bool enabled)
    : err_(err), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_(start_) {}

void ProgressBar::update(double fraction, const std::string& stage) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < kQuiet || (drawn_ && now - last_ < kEvery)) return;
  last_ = now;
  drawn_ = true;
  const double done = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(std::floor(done * kWidth));
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar.push_back('>');
  bar.resize(kWidth, ' ');
  err_ << "\r[" << bar << "] " << static_cast<int>(std::floor(done * 100)) << "% "
       << stage.substr(0, 40) << "\033[K" << std::flush;
}

void ProgressBar::finish() {
  if (drawn_) err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace capsim::cli
