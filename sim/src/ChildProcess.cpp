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

// The child's first byte says what follows.
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

[[noreturn]] void child(int fd, const std::function<std::string()>& work) {
  std::string message;
  try {
    message = std::string(1, kOk).append(work());
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

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

ChildOutcome run_in_child(const std::function<std::string()>& work) {
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
  const std::string message = read_all(fds[0]);
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
