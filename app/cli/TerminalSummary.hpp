// The short summary `capsim run` prints: each workload's headline and where its time goes.
#pragma once

#include <ostream>

#include "capsim/sim/Result.hpp"

namespace capsim::cli {

void print_summary(const Result& result, std::ostream& out);

}  // namespace capsim::cli
