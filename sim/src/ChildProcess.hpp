// run_in_child(): runs a piece of work in a forked child process and brings its text back through
// a pipe. The simulations need it: SimGrid allows one engine per process, so a run that simulates
// several workloads gives each its own process.
#pragma once

#include <functional>
#include <string>

namespace capsim::sim_detail {

/// What the child's work produced: its text, or the message of the ConfigurationError it threw.
struct ChildOutcome {
  bool ok = false;
  std::string text;  ///< the work's result when ok, else the error message
};

/// How the child's work reports progress: a fraction in [0, 1].
using ChildProgress = std::function<void(double)>;

/// Forks; the child runs `work` and writes its result (or a ConfigurationError's message) to a
/// pipe, then _exits without running destructors or atexit handlers. The parent reads until the
/// pipe closes and reaps the child; each fraction the work reports through its argument reaches
/// `on_progress` (when given) in the parent as it arrives. Throws std::runtime_error when fork or
/// pipe fail, when the work threw another exception, or when the child died without an answer
/// (a crash).
ChildOutcome run_in_child(const std::function<std::string(const ChildProgress&)>& work,
                          const ChildProgress& on_progress = {});

}  // namespace capsim::sim_detail
