#include "ethovid/facemap/metric_stats.hpp"

#include <cassert>
#include <cmath>

namespace ethovid::facemap {

void RunningStats::add(double value) {
  if (std::isnan(value)) {
    ++missing_;
    return;
  }
  ++count_;
  const double delta = value - mean_;
  mean_ += delta / count_;
  m2_ += delta * (value - mean_);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

core::Json RunningStats::to_json() const {
  if (count_ == 0) {
    return {{"count", 0}, {"missing", missing_}, {"mean", nullptr}, {"std", nullptr},
            {"min", nullptr}, {"max", nullptr}};
  }
  // Population standard deviation, as numpy's default (ddof=0).
  return {{"count", count_}, {"missing", missing_}, {"mean", mean_},
          {"std", std::sqrt(m2_ / count_)}, {"min", min_}, {"max", max_}};
}

core::Json statistics_block(const std::vector<std::string>& metric_names,
                            const std::vector<RunningStats>& stats, std::int64_t total_samples,
                            std::int64_t missing_samples) {
  assert(metric_names.size() == stats.size());
  core::Json per_metric = core::Json::object();
  for (std::size_t i = 0; i < stats.size(); ++i) per_metric[metric_names[i]] = stats[i].to_json();
  const double coverage =
      total_samples > 0 ? 1.0 - static_cast<double>(missing_samples) / total_samples : 0.0;
  return {{"total_samples", total_samples},
          {"missing_samples", missing_samples},
          {"coverage_ratio", coverage},
          {"metrics", metric_names},
          {"per_metric", per_metric}};
}

}  // namespace ethovid::facemap
