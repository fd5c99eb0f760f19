#include "ethovid/facemap/alignment.hpp"

#include <cmath>
#include <cstdlib>

#include "ethovid/core/error.hpp"
#include "ethovid/core/timebase.hpp"

namespace ethovid::facemap {

namespace {

constexpr std::int64_t kHeaderSlack = 2;

// `header_slack` is added to the user's --max-frame-mismatch for the container's own count only;
// the message states both, so `--max-frame-mismatch 0` is reported as 0, not as the sum.
void check_counts(std::int64_t frames, const core::CameraTimestamps& stamps,
                  std::int64_t max_frame_mismatch, std::int64_t header_slack,
                  const std::string& source) {
  const auto rows = static_cast<std::int64_t>(stamps.time_s.size());
  if (std::llabs(rows - frames) <= max_frame_mismatch + header_slack) return;
  std::string allowed = "--max-frame-mismatch " + std::to_string(max_frame_mismatch);
  if (header_slack > 0) {
    allowed += ", plus " + std::to_string(header_slack) +
               " for a container header's frame count, which can be off by that much";
  }
  throw TimestampAlignmentError(stamps.file.filename().string() + " has " +
                                std::to_string(rows) + " rows, " + source + " has " +
                                std::to_string(frames) + " frames (" + allowed + ")");
}

}  // namespace

void precheck_alignment(std::int64_t header_frame_count, const AlignmentOptions& options,
                        const std::string& source) {
  if (!options.timestamps_dir || header_frame_count <= 0) return;
  const auto stamps = core::read_sync_dir(*options.timestamps_dir, options.camera_id);
  // Containers can misreport their length by a frame or two; allow that here only (the decoded
  // count is checked exactly later).
  check_counts(header_frame_count, stamps, options.max_frame_mismatch, kHeaderSlack, source);
}

Timeline align_frames(std::int64_t frame_count, double fps, const AlignmentOptions& options,
                      const std::string& source) {
  Timeline timeline;
  timeline.frames_in_source = frame_count;
  if (!options.timestamps_dir) {
    if (!(fps > 0)) {
      throw ConfigError(source + " has no frame rate; give --fps or --timestamps DIR");
    }
    timeline.time_s.resize(frame_count);
    for (std::int64_t i = 0; i < frame_count; ++i) timeline.time_s[i] = i / fps;
    timeline.alignment = {{"sync_applied", false},
                          {"camera_id", nullptr},
                          {"time_source", "frame_index / fps"},
                          {"fps", fps},
                          {"source_frames", frame_count},
                          {"timestamp_rows", nullptr},
                          {"trimmed_frames", 0}};
    return timeline;
  }
  const auto stamps = core::read_sync_dir(*options.timestamps_dir, options.camera_id);
  check_counts(frame_count, stamps, options.max_frame_mismatch, 0, source);
  const auto rows = static_cast<std::int64_t>(stamps.time_s.size());
  const std::int64_t kept = std::min(rows, frame_count);
  timeline.time_s.assign(stamps.time_s.begin(), stamps.time_s.begin() + kept);
  timeline.trimmed_frames = frame_count - kept;
  if (rows != frame_count) {
    timeline.warnings.push_back(stamps.file.filename().string() + " has " + std::to_string(rows) +
                                " rows and " + source + " " + std::to_string(frame_count) +
                                " frames; the tail was trimmed to " + std::to_string(kept) +
                                " frames (--max-frame-mismatch " +
                                std::to_string(options.max_frame_mismatch) + ")");
  }
  timeline.input_files.push_back(stamps.file.string());
  timeline.alignment = {{"sync_applied", true},
                        {"camera_id", stamps.camera_id},
                        {"time_source", stamps.file.filename().string()},
                        {"timestamps_file", stamps.file.string()},
                        {"source_frames", frame_count},
                        {"timestamp_rows", rows},
                        {"first_timestamp_frame_index", stamps.frame_index.empty() ? 0 : stamps.frame_index.front()},
                        {"trimmed_frames", timeline.trimmed_frames},
                        {"trimmed_timestamp_rows", rows - kept}};
  return timeline;
}

}  // namespace ethovid::facemap
