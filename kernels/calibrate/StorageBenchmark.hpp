// Sequential read throughput of a file system (--storage PATH), buffered and with O_DIRECT, for
// the storage models. Host code only.
#pragma once

#include <string>
#include <vector>

#include "Measurements.hpp"

namespace capsim::calibrate {

/// Reads `path` sequentially in 16 MiB requests, buffered and direct. A directory gets a
/// temporary file of `file_bytes` pseudo-random bytes, written, synced, evicted from the page
/// cache (posix_fadvise DONTNEED), read twice and removed; a regular file is read as it is (up to
/// `file_bytes`). A mode that fails is returned with its `note`; bad paths throw
/// std::runtime_error.
std::vector<StorageResult> time_storage(const std::string& path, double file_bytes);

}  // namespace capsim::calibrate
