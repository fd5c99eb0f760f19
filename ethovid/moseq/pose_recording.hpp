#pragma once
// What every pose loader returns: one recording per animal (track, individual) of a file, with
// coordinates, confidences and bodypart names in the file's order.
//
// Loaders (pose_files.hpp): SLEAP .slp and analysis .h5, DeepLabCut .h5 (pandas "table" and
// "fixed" layouts) and .csv (single- and multi-animal headers), NWB with ndx-pose, and the CSVs of
// lightning-pose and deepof (DeepLabCut's CSV layout). A missing keypoint is NaN with confidence 0.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::moseq {

struct PoseRecording {
  std::string name;                    // file stem, plus the track or individual when there are several
  std::filesystem::path source;
  std::vector<std::string> bodyparts;  // keypoint names, in the file's order
  std::int64_t frames = 0;
  std::int64_t first_frame = 0;        // the video frame of row 0 (a SLEAP track starts where it appears)
  int dims = 2;                        // 2 (x, y) or 3 (x, y, z)
  std::vector<double> coordinates;     // frames x keypoints x dims, row-major; NaN where missing
  std::vector<double> confidences;     // frames x keypoints; 0 where missing
  std::optional<double> fps;           // when the file states it
  std::filesystem::path video;         // the video the file names for this recording (SLEAP), as written there

  int keypoints() const { return static_cast<int>(bodyparts.size()); }
  double& at(std::int64_t frame, int keypoint, int dim) {
    return coordinates[(frame * keypoints() + keypoint) * dims + dim];
  }
  double at(std::int64_t frame, int keypoint, int dim) const {
    return coordinates[(frame * keypoints() + keypoint) * dims + dim];
  }
  double& confidence(std::int64_t frame, int keypoint) { return confidences[frame * keypoints() + keypoint]; }
  double confidence(std::int64_t frame, int keypoint) const { return confidences[frame * keypoints() + keypoint]; }

  // Frames [first, last) only; first_frame moves with them.
  void crop(std::int64_t first, std::int64_t last);
  // The rows from the first to the last with any observed keypoint (all rows when none is).
  void crop_to_observed();
  // Rows with at least one observed keypoint.
  std::int64_t observed_frames() const;

  // Sized for `frames` frames of `bodyparts`, every keypoint missing.
  static PoseRecording empty(std::string name, std::filesystem::path source, std::vector<std::string> bodyparts,
                             std::int64_t frames, int dims = 2);
};

}  // namespace ethovid::moseq
