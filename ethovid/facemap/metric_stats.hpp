#pragma once
// Per-metric statistics for the summary, accumulated online (Welford) while rows stream out, so
// no column is held twice. NaN counts as missing and is left out of mean/std/min/max.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"

namespace ethovid::facemap {

class RunningStats {
 public:
  void add(double value);
  std::int64_t count() const { return count_; }
  std::int64_t missing() const { return missing_; }
  core::Json to_json() const;  // {count, missing, mean, std, min, max}; null stats when empty

 private:
  std::int64_t count_ = 0;
  std::int64_t missing_ = 0;
  double mean_ = 0;
  double m2_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

// The summary's `statistics` block. `missing_samples` counts rows in which some metric is missing
// for a reason other than by design (the first frame has no motion; pupil values are absent
// during blinks); the caller decides that per row.
core::Json statistics_block(const std::vector<std::string>& metric_names,
                            const std::vector<RunningStats>& stats, std::int64_t total_samples,
                            std::int64_t missing_samples);

}  // namespace ethovid::facemap
