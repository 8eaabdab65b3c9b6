#include "ChildProcess.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "capsim/models/Errors.hpp"

namespace capsim::sim_detail {
namespace {

// Each record's first byte says what follows: a progress record is 'P' and one double (native
// layout: parent and child are the same program); the last record runs to the end of the pipe.
constexpr char kProgress = 'P';
constexpr char kOk = 'O';
constexpr char kConfiguration = 'C';
constexpr char kOther = 'X';

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(
      std::string("run_in_child: ").append(what).append(": ").append(std::strerror(errno)));
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent went away; nothing left to tell
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void child(int fd, const std::function<std::string(const ChildProgress&)>& work) {
  std::string message;
  const ChildProgress report = [fd](double fraction) {
    char record[1 + sizeof(double)];
    record[0] = kProgress;
    std::memcpy(record + 1, &fraction, sizeof(double));
    write_all(fd, std::string(record, sizeof record));
  };
  try {
    message = std::string(1, kOk).append(work(report));
  } catch (const ConfigurationError& error) {
    message = std::string(1, kConfiguration).append(error.what());
  } catch (const std::exception& error) {
    message = std::string(1, kOther).append(error.what());
  } catch (...) {
    message = std::string(1, kOther).append("unknown exception");
  }
  write_all(fd, message);
  close(fd);
  _exit(0);  // no destructors or atexit handlers: they belong to the parent
}

// Reads to the end of the pipe, handing progress records to `on_progress` as they arrive;
// returns the last record.
std::string read_all(int fd, const ChildProgress& on_progress) {
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    std::size_t used = 0;
    while (text.size() - used >= 1 + sizeof(double) && text[used] == kProgress) {
      double fraction = 0;
      std::memcpy(&fraction, text.data() + used + 1, sizeof(double));
      if (on_progress) on_progress(fraction);
      used += 1 + sizeof(double);
    }
    text.erase(0, used);
  }
  return text;
}

}  // namespace

ChildOutcome run_in_child(const std::function<std::string(const ChildProgress&)>& work,
                          const ChildProgress& on_progress) {
  int fds[2];
  if (pipe(fds) != 0) fail("pipe");
  std::fflush(nullptr);  // buffered output would otherwise be written twice
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    fail("fork");
  }
  if (pid == 0) {
    close(fds[0]);
    child(fds[1], work);
  }
  close(fds[1]);
  const std::string message = read_all(fds[0], on_progress);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (message.empty()) {
    const std::string how =
        WIFSIGNALED(status)
            ? std::string("killed by signal ").append(std::to_string(WTERMSIG(status)))
            : std::string("exit status ").append(std::to_string(WEXITSTATUS(status)));
    throw std::runtime_error(std::string("the simulation's child process ended without an answer (")
                                 .append(how)
                                 .append(")"));
  }
  const std::string text = message.substr(1);
  if (message[0] == kOk) return {true, text};
  if (message[0] == kConfiguration) return {false, text};
  throw std::runtime_error(text);
}

}  // namespace capsim::sim_detail
