#include "capsim/models/Errors.hpp"

#include <sstream>

namespace capsim {

std::string SourceLocation::to_string() const {
  std::ostringstream text;  // a stream, not string +=, which trips GCC 12's -Wrestrict
  text << (file.empty() ? "<input>" : file);
  if (line > 0) {
    text << ':' << line;
    if (column > 0) text << ':' << column;
  }
  return text.str();
}

namespace {
std::string compose(const SourceLocation& where, const std::string& key_path,
                    const std::string& problem, const std::string& expected) {
  std::string text = where.to_string() + ": ";
  if (!key_path.empty()) text += key_path + ": ";
  text += problem;
  if (!expected.empty()) text += "; expected " + expected;
  return text;
}
}  // namespace

InputError::InputError(SourceLocation where, std::string key_path, std::string problem,
                       std::string expected)
    : std::runtime_error(compose(where, key_path, problem, expected)),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      problem_(std::move(problem)) {}

}  // namespace capsim
