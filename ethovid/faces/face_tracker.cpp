#include "ethovid/faces/face_tracker.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>

#include <Eigen/Dense>

namespace ethovid::faces {

namespace {

// Kalman noise, as fractions of the face size (mean of width and height), because how far a face
// moves or how much a detector's box jitters in pixels grows with the face's size in the image.
// Per frame, so that a gap of several frames adds the noise of all of them.
constexpr double kPositionNoise = 1.0 / 20;  // unmodelled change of centre and size, per frame
// Change of velocity per frame; twice ByteTrack's (pedestrians), as heads start and stop quickly.
constexpr double kVelocityNoise = 1.0 / 80;
constexpr double kMeasurementNoise = 1.0 / 20;  // detector box jitter
// The velocity of a new track is unknown: a face may move up to about its own size per frame, so
// the second detection alone then sets the velocity (rather than being mistaken for noise).
constexpr double kInitialVelocityStd = 1.0;
constexpr double kMinBoxSide = 1.0;  // px; a coasting box that was shrinking stays a box

using Vector4 = Eigen::Matrix<double, 4, 1>;
using Vector8 = Eigen::Matrix<double, 8, 1>;
using Matrix4 = Eigen::Matrix<double, 4, 4>;
using Matrix8 = Eigen::Matrix<double, 8, 8>;
using Matrix48 = Eigen::Matrix<double, 4, 8>;

// Constant-velocity Kalman filter on (cx, cy, w, h) and their velocities in px per frame. Each
// of the four coordinates is an independent position/velocity pair with the same noise.
class BoxKalman {
 public:
  explicit BoxKalman(const cv::Rect2f& box) {
    x_.head<4>() = measurement(box);
    x_.tail<4>().setZero();
    const double size = scale();
    p_.setZero();
    p_.diagonal().head<4>().setConstant(sq(2 * kMeasurementNoise * size));
    p_.diagonal().tail<4>().setConstant(sq(kInitialVelocityStd * size));
  }

  // Advances the state by `frames` frames. The process noise is that of white-noise acceleration
  // integrated over the gap (plus a position random walk), so uncertainty grows with the gap.
  void predict(double frames) {
    Matrix8 f = Matrix8::Identity();
    f.topRightCorner<4, 4>() = frames * Matrix4::Identity();
    const double size = scale();
    const double position_var = sq(kPositionNoise * size);
    const double velocity_var = sq(kVelocityNoise * size);
    Matrix8 q = Matrix8::Zero();
    q.topLeftCorner<4, 4>().diagonal().setConstant(position_var * frames +
                                                   velocity_var * frames * frames * frames / 3);
    q.topRightCorner<4, 4>().diagonal().setConstant(velocity_var * frames * frames / 2);
    q.bottomLeftCorner<4, 4>() = q.topRightCorner<4, 4>();
    q.bottomRightCorner<4, 4>().diagonal().setConstant(velocity_var * frames);
    x_ = f * x_;
    p_ = f * p_ * f.transpose() + q;
    // A face that was shrinking keeps a positive size however long it coasts.
    x_(2) = std::max(x_(2), kMinBoxSide);
    x_(3) = std::max(x_(3), kMinBoxSide);
  }

  void correct(const cv::Rect2f& box) {
    Matrix48 h = Matrix48::Zero();
    h.leftCols<4>().setIdentity();
    const Matrix4 r = Matrix4::Identity() * sq(kMeasurementNoise * scale());
    const Matrix4 s = h * p_ * h.transpose() + r;
    const Eigen::Matrix<double, 8, 4> gain = p_ * h.transpose() * s.inverse();
    x_ += gain * (measurement(box) - h * x_);
    p_ = (Matrix8::Identity() - gain * h) * p_;
    p_ = (p_ + p_.transpose()) / 2;  // against round-off drifting it off symmetric
  }

  cv::Rect2f box() const {
    const double w = x_(2);
    const double h = x_(3);
    return {static_cast<float>(x_(0) - w / 2), static_cast<float>(x_(1) - h / 2),
            static_cast<float>(w), static_cast<float>(h)};
  }

 private:
  static double sq(double v) { return v * v; }

  static Vector4 measurement(const cv::Rect2f& box) {
    return {box.x + box.width / 2.0, box.y + box.height / 2.0, box.width, box.height};
  }

  double scale() const { return std::max((x_(2) + x_(3)) / 2, kMinBoxSide); }

  Vector8 x_;
  Matrix8 p_;
};

double iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const double overlap = (a & b).area();
  const double unite = static_cast<double>(a.area()) + b.area() - overlap;
  return unite > 0 ? overlap / unite : 0;
}

// Minimum-cost assignment (Hungarian method with row/column potentials, O(rows^2 * cols)) of
// every row of `cost` to a distinct column; needs rows <= cols. Returns the column of each row.
std::vector<int> min_cost_assignment(const Eigen::MatrixXd& cost) {
  const int rows = static_cast<int>(cost.rows());
  const int cols = static_cast<int>(cost.cols());
  assert(rows <= cols);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // 1-based: column 0 is a virtual column that holds the row being inserted.
  std::vector<double> row_potential(rows + 1, 0), col_potential(cols + 1, 0);
  std::vector<int> row_of_col(cols + 1, 0), previous_col(cols + 1, 0);
  for (int row = 1; row <= rows; ++row) {
    row_of_col[0] = row;
    int col = 0;
    std::vector<double> slack(cols + 1, kInf);
    std::vector<bool> visited(cols + 1, false);
    // Grow a tree of tight edges (Dijkstra on reduced costs) until it reaches a free column.
    do {
      visited[col] = true;
      const int tree_row = row_of_col[col];
      double delta = kInf;
      int next_col = 0;
      for (int j = 1; j <= cols; ++j) {
        if (visited[j]) continue;
        const double reduced =
            cost(tree_row - 1, j - 1) - row_potential[tree_row] - col_potential[j];
        if (reduced < slack[j]) {
          slack[j] = reduced;
          previous_col[j] = col;
        }
        if (slack[j] < delta) {
          delta = slack[j];
          next_col = j;
        }
      }
      for (int j = 0; j <= cols; ++j) {
        if (visited[j]) {
          row_potential[row_of_col[j]] += delta;
          col_potential[j] -= delta;
        } else {
          slack[j] -= delta;
        }
      }
      col = next_col;
    } while (row_of_col[col] != 0);
    // Flip the augmenting path back to the virtual column.
    do {
      const int previous = previous_col[col];
      row_of_col[col] = row_of_col[previous];
      col = previous;
    } while (col != 0);
  }
  std::vector<int> col_of_row(rows, -1);
  for (int j = 1; j <= cols; ++j) {
    if (row_of_col[j] != 0) col_of_row[row_of_col[j] - 1] = j - 1;
  }
  return col_of_row;
}

// Matches predicted track boxes to detection boxes, maximising the summed IoU margin over
// `min_iou` of the matched pairs; pairs below `min_iou` never match. Summing the margin rather
// than counting matches means one clear match is not broken up for two marginal ones, and an
// optimal assignment rather than a greedy highest-IoU-first one means a track does not take the
// detection that its neighbour needs when two faces are close. Returns (track, detection) pairs.
std::vector<std::pair<int, int>> match_by_iou(const std::vector<cv::Rect2f>& tracks,
                                              const std::vector<cv::Rect2f>& detections,
                                              double min_iou) {
  // Makes a pair just at min_iou (or any overlap when min_iou is 0) preferable to no match.
  constexpr double kMatchBonus = 1e-6;
  const bool transpose = tracks.size() > detections.size();  // the solver wants rows <= cols
  const auto& row_boxes = transpose ? detections : tracks;
  const auto& col_boxes = transpose ? tracks : detections;
  Eigen::MatrixXd cost = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(row_boxes.size()),
                                               static_cast<Eigen::Index>(col_boxes.size()));
  for (std::size_t i = 0; i < row_boxes.size(); ++i) {
    for (std::size_t j = 0; j < col_boxes.size(); ++j) {
      const double overlap = iou(row_boxes[i], col_boxes[j]);
      // Zero cost is as good as leaving the row unmatched: the solver must place every row.
      if (overlap > 0 && overlap >= min_iou) {
        cost(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
            -(overlap - min_iou + kMatchBonus);
      }
    }
  }
  std::vector<std::pair<int, int>> matches;
  if (row_boxes.empty()) return matches;
  const std::vector<int> col_of_row = min_cost_assignment(cost);
  for (int i = 0; i < static_cast<int>(col_of_row.size()); ++i) {
    const int j = col_of_row[i];
    if (j < 0 || cost(i, j) >= 0) continue;  // placed on a pair that does not match
    matches.emplace_back(transpose ? j : i, transpose ? i : j);
  }
  return matches;
}

bool is_usable_box(const cv::Rect2f& box) {
  return std::isfinite(box.x) && std::isfinite(box.y) && std::isfinite(box.width) &&
         std::isfinite(box.height) && box.width > 0 && box.height > 0;
}

}  // namespace

struct FaceTracker::LiveTrack {
  LiveTrack(int id, const cv::Rect2f& box) : motion(box) { detections.track_id = id; }

  BoxKalman motion;
  Track detections;  // track_id: the internal id
  int missed = 0;    // update() calls since the last detection
};

FaceTracker::FaceTracker(TrackerOptions options) : options_(options) {
  assert(options_.low_score >= 0 && options_.low_score <= options_.high_score);
  assert(options_.match_iou >= 0 && options_.match_iou <= 1);
  assert(options_.max_missed_updates >= 0 && options_.min_hits >= 1);
}

FaceTracker::~FaceTracker() = default;
FaceTracker::FaceTracker(FaceTracker&&) noexcept = default;
FaceTracker& FaceTracker::operator=(FaceTracker&&) noexcept = default;

std::vector<int> FaceTracker::update(std::int64_t frame_idx, const std::vector<cv::Rect2f>& boxes,
                                     const std::vector<float>& scores) {
  assert(boxes.size() == scores.size());
  assert(!has_frame_ || frame_idx > last_frame_);
  if (has_frame_) {
    const auto gap = static_cast<double>(frame_idx - last_frame_);
    for (LiveTrack& track : live_) track.motion.predict(gap);
  }
  has_frame_ = true;
  last_frame_ = frame_idx;

  std::vector<int> high, low;
  for (int i = 0; i < static_cast<int>(boxes.size()); ++i) {
    if (!is_usable_box(boxes[i])) continue;
    if (scores[i] >= options_.high_score) {
      high.push_back(i);
    } else if (scores[i] >= options_.low_score) {
      low.push_back(i);
    }
  }
  std::vector<int> joined(boxes.size(), -1);
  std::vector<int> all_tracks(live_.size());
  std::iota(all_tracks.begin(), all_tracks.end(), 0);
  const std::vector<int> left = associate(all_tracks, high, frame_idx, boxes, scores, joined);
  const std::vector<int> unmatched = associate(left, low, frame_idx, boxes, scores, joined);
  for (int t : unmatched) ++live_[t].missed;
  end_tracks_missed_too_long();
  // Only after association, so that a new track cannot take a detection of this same frame.
  for (int i : high) {
    if (joined[i] != -1) continue;
    start_track(frame_idx, boxes[i], scores[i], i);
    joined[i] = live_.back().detections.track_id;
  }
  return joined;
}

// One association stage: matches the live tracks `tracks` (indices into live_) to the detections
// `detections` (indices into boxes), records the matches, and returns the tracks left unmatched.
std::vector<int> FaceTracker::associate(const std::vector<int>& tracks,
                                        const std::vector<int>& detections, std::int64_t frame_idx,
                                        const std::vector<cv::Rect2f>& boxes,
                                        const std::vector<float>& scores,
                                        std::vector<int>& joined) {
  std::vector<cv::Rect2f> predicted, detected;
  for (int t : tracks) predicted.push_back(live_[t].motion.box());
  for (int d : detections) detected.push_back(boxes[d]);
  std::vector<bool> matched(tracks.size(), false);
  for (const auto& [local_track, local_detection] :
       match_by_iou(predicted, detected, options_.match_iou)) {
    const int d = detections[local_detection];
    LiveTrack& track = live_[tracks[local_track]];
    track.motion.correct(boxes[d]);
    track.detections.detections.push_back({frame_idx, boxes[d], scores[d], d});
    track.missed = 0;
    joined[d] = track.detections.track_id;
    matched[local_track] = true;
  }
  std::vector<int> left;
  for (std::size_t k = 0; k < tracks.size(); ++k) {
    if (!matched[k]) left.push_back(tracks[k]);
  }
  return left;
}

void FaceTracker::start_track(std::int64_t frame_idx, const cv::Rect2f& box, float score,
                              int index) {
  live_.emplace_back(next_id_++, box);
  live_.back().detections.detections.push_back({frame_idx, box, score, index});
}

void FaceTracker::end_tracks_missed_too_long() {
  const auto gone = [&](const LiveTrack& track) {
    return track.missed > options_.max_missed_updates;
  };
  for (LiveTrack& track : live_) {
    if (gone(track)) end_track(track);
  }
  std::erase_if(live_, gone);
}

void FaceTracker::end_track(LiveTrack& track) {
  // Too short a track is most likely a false detection; it is not kept.
  if (static_cast<int>(track.detections.detections.size()) >= options_.min_hits) {
    ended_.push_back(std::move(track.detections));
  }
}

std::vector<Track> FaceTracker::finish() {
  for (LiveTrack& track : live_) end_track(track);
  std::vector<Track> tracks = std::move(ended_);
  *this = FaceTracker(options_);
  // Internal ids break the remaining ties, so the order never depends on the sort.
  std::sort(tracks.begin(), tracks.end(), [](const Track& a, const Track& b) {
    const auto key = [](const Track& t) {
      return std::tuple(t.first_frame(), t.detections.front().box.x, t.track_id);
    };
    return key(a) < key(b);
  });
  for (std::size_t k = 0; k < tracks.size(); ++k) tracks[k].track_id = static_cast<int>(k) + 1;
  return tracks;
}

}  // namespace ethovid::faces
