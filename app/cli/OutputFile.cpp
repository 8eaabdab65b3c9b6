#include <fstream>

#include "Commands.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::cli {

void write_output_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) {
    throw InputError({"--out " + path, 0, 0}, "", "cannot write the file", "a writable path");
  }
}

}  // namespace capsim::cli
