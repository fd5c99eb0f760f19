#pragma once
// Streams facemap_metrics.parquet: `time` (s, session clock), `frame_index`, then the metric
// columns, batch by batch, keeping running statistics of every metric for the summary and
// enforcing the value ranges the contract promises.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ethovid/core/table.hpp"
#include "ethovid/facemap/metric_stats.hpp"

namespace ethovid::facemap {

// What an out-of-range value is: an error for values ethovid computed (a bug or bad input must
// not pass), a summary warning for values imported from another tool's file.
enum class RangePolicy { kError, kWarn };

class MetricsTableWriter {
 public:
  MetricsTableWriter(std::filesystem::path path, std::vector<core::ColumnSpec> metrics,
                     RangePolicy policy = RangePolicy::kError);

  // `metrics` in the order given to the constructor, each `time.size()` rows. Checks: time
  // strictly increasing (also across batches), motion energy in [0, 1], pupil area >= 0;
  // a violation is a MetricsRangeError naming the column, the frame and the value.
  void append(const std::vector<double>& time, const std::vector<std::int64_t>& frame_index,
              std::vector<core::Column> metrics);
  void close();

  const std::vector<std::string>& metric_names() const { return names_; }
  const std::vector<RunningStats>& stats() const { return stats_; }
  std::vector<std::string> range_warnings() const;  // one line per column, with counts

 private:
  void check_ranges(std::size_t index, const core::Column& column,
                    const std::vector<std::int64_t>& frame_index);

  std::filesystem::path path_;
  std::vector<std::string> names_;
  std::vector<RunningStats> stats_;
  std::unique_ptr<core::ParquetStreamWriter> writer_;
  RangePolicy policy_;
  std::vector<std::int64_t> out_of_range_;        // per metric, under RangePolicy::kWarn
  std::vector<std::string> first_out_of_range_;   // per metric, the first offending value
  double last_time_;
  bool any_rows_ = false;
};

}  // namespace ethovid::facemap
