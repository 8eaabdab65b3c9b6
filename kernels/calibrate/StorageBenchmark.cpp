#include "StorageBenchmark.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace capsim::calibrate {
namespace {

constexpr size_t kRequestBytes = 16u << 20;
constexpr size_t kDirectAlignment = 4096;  // O_DIRECT wants block-aligned buffers and sizes

std::string errno_text() { return std::strerror(errno); }

// A 4 KiB-aligned buffer of one request, filled with non-zero pseudo-random bytes.
struct AlignedBuffer {
  void* data = nullptr;
  AlignedBuffer() {
    if (posix_memalign(&data, kDirectAlignment, kRequestBytes) != 0) {
      throw std::runtime_error("cannot allocate a 16 MiB read buffer");
    }
    auto* words = static_cast<unsigned long long*>(data);
    unsigned long long x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < kRequestBytes / sizeof x; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      words[i] = x;
    }
  }
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

void write_file(const std::string& file, size_t bytes, const AlignedBuffer& buffer) {
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + file + ": " + errno_text());
  for (size_t done = 0; done < bytes;) {
    const ssize_t n = write(fd, buffer.data, std::min(kRequestBytes, bytes - done));
    if (n <= 0) {
      const std::string error = errno_text();
      close(fd);
      throw std::runtime_error("cannot write " + file + ": " + error);
    }
    done += size_t(n);
  }
  fsync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // the read must come from the device
  close(fd);
}

StorageResult read_file(const std::string& file, size_t limit, bool direct, AlignedBuffer& buffer) {
  StorageResult r;
  r.mode = direct ? "direct" : "buffered";
  r.path = file;
  const int fd = open(file.c_str(), O_RDONLY | (direct ? O_DIRECT : 0));
  if (fd < 0) {
    r.note = "open failed: " + errno_text();
    return r;
  }
  if (!direct) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  const auto start = std::chrono::steady_clock::now();
  size_t done = 0;
  while (done < limit) {
    const ssize_t n = read(fd, buffer.data, kRequestBytes);
    if (n < 0) {
      r.note = "read failed: " + errno_text();
      break;
    }
    if (n == 0) break;
    done += size_t(n);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.bytes = double(done);
  close(fd);
  return r;
}

}  // namespace

std::vector<StorageResult> time_storage(const std::string& path, double file_bytes) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("--storage " + path + ": " + errno_text());
  }
  AlignedBuffer buffer;
  const size_t bytes = size_t(file_bytes) / kRequestBytes * kRequestBytes;
  std::string file = path;
  const bool temporary = S_ISDIR(info.st_mode);
  if (temporary) {
    file = path + "/capsim-calibrate-read-test." + std::to_string(getpid());
    write_file(file, bytes, buffer);
  } else if (!S_ISREG(info.st_mode)) {
    throw std::runtime_error("--storage " + path + ": not a directory or a regular file");
  }
  std::vector<StorageResult> results;
  results.push_back(read_file(file, bytes, false, buffer));
  // O_DIRECT bypasses the page cache the buffered read filled.
  results.push_back(read_file(file, bytes, true, buffer));
  if (temporary) unlink(file.c_str());
  return results;
}

}  // namespace capsim::calibrate
