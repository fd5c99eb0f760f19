#pragma once
// Reads tracks.jsonl (the format `faces track` writes; see track.hpp): one JSON object per line.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::faces {

struct TrackDetectionRecord {
  std::int64_t frame_idx = 0;
  std::array<double, 4> bbox{};  // x1, y1, x2, y2 normalised to 0-1
  double conf = 0;               // NaN when the line has none
  std::optional<std::array<std::array<double, 2>, 5>> landmarks;  // normalised, when present
};

struct TrackRecord {
  int track_id = 0;
  std::vector<TrackDetectionRecord> detections;  // frame order
};

// FormatError naming the file, the line and the field for a line that is not JSON, a missing or
// mistyped field, a box with x2 <= x1 or y2 <= y1, detections out of frame order, or a track id
// given twice. MissingInputError when the file does not exist.
std::vector<TrackRecord> read_tracks_file(const std::filesystem::path& path);

// The sha256 of the video that `faces track` recorded in the faces_track_summary.json beside
// `tracks_file` (its provenance's first input), or nullopt when there is no such summary (tracks
// made by other tools). FormatError when the summary is there but unreadable.
std::optional<std::string> tracked_video_sha256(const std::filesystem::path& tracks_file);

// InputMismatchError naming both files and both hashes when the tracks beside their summary were
// made from a video other than the one whose sha256 is `video_sha256`.
void check_tracks_match_video(const std::filesystem::path& tracks_file, const std::string& video,
                              const std::string& video_sha256);

}  // namespace ethovid::faces
