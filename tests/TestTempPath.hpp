// A scratch path private to the running test. ctest runs every test case as its own process,
// in parallel, so a fixed file name in the temp folder is a race between test cases.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace capsim {

inline std::string test_temp_path(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "";
  return (std::filesystem::temp_directory_path() /
          ("capsim-" + std::to_string(getpid()) + "-" + test + "-" + suffix))
      .string();
}

}  // namespace capsim
