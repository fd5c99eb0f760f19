#pragma once
// Session timebase: a sync directory holds one `timestamps_<camera_id>.csv` per camera with the
// header `frame_index,timestamp` (timestamp in seconds, float). Rows must have unique,
// non-negative frame indices and strictly increasing time; anything else is a
// TimestampAlignmentError naming the file and the row numbers (1-based, header = row 1).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ethovid::core {

struct CameraTimestamps {
  std::filesystem::path file;
  std::string camera_id;
  std::vector<std::int64_t> frame_index;  // sorted ascending
  std::vector<double> time_s;             // strictly increasing
};

// Reads one timestamps CSV.
CameraTimestamps read_timestamps_csv(const std::filesystem::path& file, std::string camera_id);

// Reads `timestamps_<camera_id>.csv` from `sync_dir`. With an empty camera_id the directory must
// hold exactly one such file (else TimestampAlignmentError listing the cameras found).
// A missing directory or file is MissingInputError.
CameraTimestamps read_sync_dir(const std::filesystem::path& sync_dir, const std::string& camera_id);

}  // namespace ethovid::core
