#pragma once
// Puts frames on the session clock. With a sync directory, frame i gets the i-th timestamp of
// `timestamps_<camera>.csv`; without one, time = frame_index / fps and the summary says so.
// Frame count and timestamp rows must agree, unless `max_frame_mismatch` allows a small tail
// difference, which is then trimmed (both sides cut to the shorter) with a warning.
#include <cstdint>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/facemap/facemap.hpp"

namespace ethovid::facemap {

struct Timeline {
  std::vector<double> time_s;           // one per kept frame, strictly increasing
  std::int64_t frames_in_source = 0;    // frames the source had
  std::int64_t trimmed_frames = 0;      // source frames dropped at the tail
  core::Json alignment;                 // the summary's `timebase_alignment` block
  std::vector<std::string> warnings;
  std::vector<std::string> input_files; // the timestamps CSV, when used (for provenance)
  std::int64_t rows() const { return static_cast<std::int64_t>(time_s.size()); }
};

// `source` names the video or file in messages; `fps` may be 0 only with timestamps.
Timeline align_frames(std::int64_t frame_count, double fps, const AlignmentOptions& options,
                      const std::string& source);

// Fails early, before a long decode, when the container's frame count already cannot match the
// timestamps (the exact check runs again with the decoded count).
void precheck_alignment(std::int64_t header_frame_count, const AlignmentOptions& options,
                        const std::string& source);

}  // namespace ethovid::facemap
