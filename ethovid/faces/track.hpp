#pragma once
// `ethovid faces track`: detection on every N-th frame of a video, linked into face tracks.
//
// tracks.jsonl, one line per track:
//   {"track_id": 1, "first_frame": 0, "last_frame": 250, "detections": [
//     {"frame_idx": 0, "bbox": [x1, y1, x2, y2], "landmarks": [[x, y] x 5], "conf": 0.99}, ...]}
// bbox and landmarks are normalised to 0-1 by the frame's width and height; landmarks are the
// five alignment points (eye centres, nose tip, mouth corners; image-left first).
#include <cstdint>
#include <filesystem>
#include <string>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/progress.hpp"
#include "ethovid/faces/face_tracker.hpp"

namespace ethovid::faces {

struct TrackOptions {
  std::string video;                   // file, or image sequence as a printf pattern
  std::filesystem::path output_dir;
  int stride = 1;                      // detect on frames 0, N, 2N, ...
  std::filesystem::path model_config;  // empty: the bundled models
  TrackerOptions tracker;
  bool force = false;
  const core::ProgressHook* progress = nullptr;  // optional: a follower of the progress, and cancel
};

struct TrackResult {
  bool skipped = false;  // outputs were up to date
  std::filesystem::path tracks_path;
  std::filesystem::path summary_path;
  std::int64_t tracks = 0;
  std::int64_t detections = 0;
  core::Json summary;
};

// MissingInputError / VideoFormatError for a bad video, ConfigError for a stride < 1 or
// inconsistent tracker scores.
TrackResult track_faces(const TrackOptions& options);

inline constexpr const char* kTracksFile = "tracks.jsonl";
inline constexpr const char* kTrackSummaryFile = "faces_track_summary.json";

}  // namespace ethovid::faces
