// Summaries of repeated measurements.
#pragma once

#include <vector>

namespace capsim::calibrate {

/// The median of `values` (mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

/// The smallest and largest of `values`; {0, 0} for none.
struct Range {
  double low = 0, high = 0;
};
Range range(const std::vector<double>& values);

}  // namespace capsim::calibrate
