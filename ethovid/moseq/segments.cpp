#include "ethovid/moseq/segments.hpp"

#include <algorithm>
#include <set>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

namespace {
constexpr int kMaxSegLength = 10000;
constexpr double kMaxPaddingPercent = 50;
}  // namespace

int choose_seg_length(const std::vector<std::int64_t>& lengths) {
  std::int64_t total = 0;
  std::set<std::int64_t> candidates;
  for (auto n : lengths) {
    total += n;
    candidates.insert(std::min<std::int64_t>(n, kMaxSegLength));
  }
  std::int64_t chosen = kMaxSegLength;
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    std::int64_t padding = 0;
    for (auto n : lengths) padding += (*it - n % *it) % *it;
    if (100.0 * static_cast<double>(padding) / static_cast<double>(total) <= kMaxPaddingPercent) {
      chosen = *it;
      break;
    }
  }
  // Grow L until every recording's last piece is empty or at least kMinFragment frames.
  for (;;) {
    std::int64_t smallest = 0;
    for (auto n : lengths) {
      const std::int64_t rest = n % chosen;
      if (rest > 0 && rest < kMinFragment && (smallest == 0 || rest < smallest)) smallest = rest;
    }
    if (smallest == 0) break;
    chosen += smallest;
  }
  return static_cast<int>(chosen);
}

SegmentPlan plan_segments(const std::vector<std::int64_t>& lengths, std::optional<int> seg_length) {
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    if (lengths[i] <= kMinFragment) {
      throw ConfigError("recording " + std::to_string(i) + " has " + std::to_string(lengths[i]) +
                        " frames; the model needs more than " + std::to_string(kMinFragment));
    }
  }
  SegmentPlan plan;
  plan.seg_length = seg_length ? *seg_length : choose_seg_length(lengths);
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    for (std::int64_t start = 0; start < lengths[r]; start += plan.seg_length) {
      plan.segments.push_back({static_cast<int>(r), start, std::min<std::int64_t>(start + plan.rows(), lengths[r])});
    }
  }
  return plan;
}

Eigen::MatrixXd cut_segment(const Eigen::MatrixXd& data, const Segment& s, int rows, Eigen::VectorXd* mask) {
  Eigen::MatrixXd out(rows, data.cols());
  const auto real = s.end - s.start;
  out.topRows(real) = data.middleRows(s.start, real);
  for (Eigen::Index i = real; i < rows; ++i) out.row(i) = data.row(s.end - 1);
  if (mask != nullptr) {
    *mask = Eigen::VectorXd::Zero(rows);
    mask->head(real).setOnes();
  }
  return out;
}

void paste_segment(const Eigen::MatrixXd& rows, const Segment& s, Eigen::MatrixXd& recording) {
  recording.middleRows(s.start, s.end - s.start) = rows.topRows(s.end - s.start);
}

}  // namespace ethovid::moseq
