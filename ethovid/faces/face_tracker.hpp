#pragma once
// Multi-object tracking of face detections through a video, for `faces track`: links the boxes a
// detector finds on every N-th frame into one track per person.
//
// ByteTrack-style two-stage association: confident detections are matched first and may start
// tracks; weak detections (a face turning away, motion blur, partial occlusion) are only used to
// continue a track that the confident ones left unmatched, so they keep identities alive without
// adding false tracks. Each track has a constant-velocity Kalman filter on the box centre and
// size; detections are matched by IoU against the box predicted to the new frame, which is what
// lets two faces cross, or a face come back after a short miss, without swapping identities.
#include <cstdint>
#include <vector>

#include <opencv2/core/types.hpp>

namespace ethovid::faces {

struct TrackerOptions {
  float high_score = 0.6f;  // detections at or above: first association stage, may start tracks
  float low_score = 0.3f;   // between low and high: only second-stage association (ByteTrack)
  float match_iou = 0.3f;   // minimum IoU (against the motion-predicted box) to associate
  int max_missed_updates = 15;  // a track with no detection for more update() calls than this ends
  int min_hits = 2;  // a track is reported only if it matched at least this many detections
};

struct TrackedDetection {
  std::int64_t frame_idx = 0;
  cv::Rect2f box;  // pixels, as given
  float score = 0;
  int detection_index = 0;  // index into the vector passed to update() for that frame
};

struct Track {
  int track_id = 0;  // 1, 2, 3 ... in order of creation among reported tracks
  std::vector<TrackedDetection> detections;  // frame order

  std::int64_t first_frame() const { return detections.front().frame_idx; }
  std::int64_t last_frame() const { return detections.back().frame_idx; }
};

class FaceTracker {
 public:
  // The options are asserted to be consistent (0 <= low <= high, min_hits >= 1, ...): the command
  // validates user-given values before it builds a tracker.
  explicit FaceTracker(TrackerOptions options = {});
  ~FaceTracker();
  FaceTracker(FaceTracker&&) noexcept;
  FaceTracker& operator=(FaceTracker&&) noexcept;

  // Detections of one processed frame. Frame indices must be strictly increasing; frames may be
  // skipped (a detector stride, or unreadable frames): the motion model predicts across the gap.
  // Returns, for each input detection, the internal id of the track it joined, or -1 if it joined
  // none (a low-score detection that matched nothing, a score below low_score, or an empty box).
  // boxes.size() != scores.size() or a non-increasing frame_idx is a programming error (assert).
  std::vector<int> update(std::int64_t frame_idx, const std::vector<cv::Rect2f>& boxes,
                          const std::vector<float>& scores);

  // Ends all tracks and returns those with >= min_hits detections, renumbered 1.. by first frame
  // (ties by the first detection's x), detections in frame order. The tracker is then empty and
  // may be fed a new video from any frame index.
  std::vector<Track> finish();

 private:
  struct LiveTrack;  // motion model and detections so far; defined in the .cpp (keeps Eigen out)

  std::vector<int> associate(const std::vector<int>& tracks, const std::vector<int>& detections,
                             std::int64_t frame_idx, const std::vector<cv::Rect2f>& boxes,
                             const std::vector<float>& scores, std::vector<int>& joined);
  void start_track(std::int64_t frame_idx, const cv::Rect2f& box, float score, int index);
  void end_tracks_missed_too_long();
  void end_track(LiveTrack& track);

  TrackerOptions options_;
  std::vector<LiveTrack> live_;
  std::vector<Track> ended_;  // reportable ended tracks, track_id still the internal id
  std::int64_t last_frame_ = 0;
  bool has_frame_ = false;
  int next_id_ = 1;
};

}  // namespace ethovid::faces
