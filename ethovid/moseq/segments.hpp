#pragma once
// Recordings cut into segments of equal length for the model (keypoint-moseq's format_data):
// segment i of a recording covers frames [i*L, min(i*L + L + overlap, N)), is padded to L + overlap
// frames by repeating its last frame, and has mask 0 on the padding. Results go back to the
// recording in segment order, each later segment overwriting the overlap.
#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Dense>

namespace ethovid::moseq {

inline constexpr int kSegmentOverlap = 30;
inline constexpr int kMinFragment = 4;  // the shortest piece of a recording the model takes

struct Segment {
  int recording = 0;
  std::int64_t start = 0, end = 0;  // real frames [start, end)
};

struct SegmentPlan {
  int seg_length = 0;  // L; each segment has L + overlap rows
  int overlap = kSegmentOverlap;
  std::vector<Segment> segments;
  int rows() const { return seg_length + overlap; }
};

// The largest L <= 10000 among the recording lengths whose padding is at most 50 % of the data,
// then grown until no recording leaves a last piece shorter than 4 frames (keypoint-moseq's rule).
int choose_seg_length(const std::vector<std::int64_t>& lengths);

// ConfigError when a recording has 4 frames or fewer.
SegmentPlan plan_segments(const std::vector<std::int64_t>& lengths, std::optional<int> seg_length);

// The rows of `data` (a recording, T x F) for one segment, padded; `mask` gets 1/0 per row.
Eigen::MatrixXd cut_segment(const Eigen::MatrixXd& data, const Segment& segment, int rows, Eigen::VectorXd* mask = nullptr);

// Writes a segment's rows back into the recording's array (T x F).
void paste_segment(const Eigen::MatrixXd& rows, const Segment& segment, Eigen::MatrixXd& recording);

}  // namespace ethovid::moseq
