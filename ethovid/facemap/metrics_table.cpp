#include "ethovid/facemap/metrics_table.hpp"

#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double value_at(const core::Column& column, std::size_t row) {
  switch (column.spec.type) {
    case core::ColumnType::kFloat64: return column.f64[row];
    case core::ColumnType::kFloat32: return column.f32[row];
    case core::ColumnType::kInt64: return static_cast<double>(column.i64[row]);
    case core::ColumnType::kInt8:
    case core::ColumnType::kBool: return column.i8[row];
    default: return std::nan("");
  }
}

}  // namespace

MetricsTableWriter::MetricsTableWriter(std::filesystem::path path,
                                       std::vector<core::ColumnSpec> metrics, RangePolicy policy)
    : path_(std::move(path)), policy_(policy), last_time_(-INFINITY) {
  std::vector<core::ColumnSpec> schema{{"time", core::ColumnType::kFloat64, 0},
                                       {"frame_index", core::ColumnType::kInt64, 0}};
  for (const auto& spec : metrics) {
    names_.push_back(spec.name);
    schema.push_back(spec);
  }
  stats_.resize(names_.size());
  out_of_range_.assign(names_.size(), 0);
  first_out_of_range_.resize(names_.size());
  writer_ = std::make_unique<core::ParquetStreamWriter>(path_, schema);
}

void MetricsTableWriter::check_ranges(std::size_t index, const core::Column& column,
                                      const std::vector<std::int64_t>& frame_index) {
  const bool is_energy = ends_with(column.name(), "motion_energy");
  const bool is_area = ends_with(column.name(), "pupil_area");
  if (!is_energy && !is_area) return;
  for (std::size_t i = 0; i < frame_index.size(); ++i) {
    const double v = value_at(column, i);
    if (std::isnan(v)) continue;
    if ((is_energy && (v < 0 || v > 1)) || (is_area && v < 0)) {
      const std::string what = column.name() + " = " + std::to_string(v) + " at frame " +
                               std::to_string(frame_index[i]) +
                               (is_energy ? " is outside [0, 1]" : " is negative");
      if (policy_ == RangePolicy::kError) {
        throw MetricsRangeError(path_.filename().string() + ": " + what);
      }
      if (out_of_range_[index]++ == 0) first_out_of_range_[index] = what;
    }
  }
}

void MetricsTableWriter::append(const std::vector<double>& time,
                                const std::vector<std::int64_t>& frame_index,
                                std::vector<core::Column> metrics) {
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (!(time[i] > last_time_) && (any_rows_ || i > 0)) {
      throw MetricsRangeError(path_.filename().string() + ": time " + std::to_string(time[i]) +
                              " s at frame " + std::to_string(frame_index[i]) +
                              " is not after the previous " + std::to_string(last_time_) + " s");
    }
    last_time_ = time[i];
  }
  any_rows_ = any_rows_ || !time.empty();
  core::Table batch;
  batch.add(core::Column::float64("time", time));
  batch.add(core::Column::int64("frame_index", frame_index));
  for (std::size_t c = 0; c < metrics.size(); ++c) {
    check_ranges(c, metrics[c], frame_index);
    for (std::size_t i = 0; i < time.size(); ++i) stats_[c].add(value_at(metrics[c], i));
    batch.add(std::move(metrics[c]));
  }
  writer_->append(batch);
}

void MetricsTableWriter::close() { writer_->close(); }

std::vector<std::string> MetricsTableWriter::range_warnings() const {
  std::vector<std::string> lines;
  for (std::size_t c = 0; c < names_.size(); ++c) {
    if (out_of_range_[c] == 0) continue;
    lines.push_back(std::to_string(out_of_range_[c]) + " value(s) of " + names_[c] +
                    " out of range, kept as they are; first: " + first_out_of_range_[c]);
  }
  return lines;
}

}  // namespace ethovid::facemap
