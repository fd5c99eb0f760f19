#include "ethovid/moseq/pose_files.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"
#include "ethovid/core/input_file.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

std::vector<PoseRecording> read_by_type(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  if (extension == ".slp") return load_sleap_labels(path);
  if (extension == ".nwb") return load_nwb_pose(path);
  if (extension == ".csv") return load_dlc_csv(path);
  if (extension == ".h5" || extension == ".hdf5") {
    // A SLEAP analysis export has `tracks` and `node_names` at the top; anything else is taken
    // as DeepLabCut's pandas layout (which names what is missing when it is not).
    const core::Hdf5File file(path);
    if (file.has("tracks") && file.has("node_names")) return load_sleap_analysis(path);
    return load_dlc_hdf5(path);
  }
  throw FormatError(path.string() + ": unknown pose file type '" + extension +
                    "' (expected .slp, .h5, .hdf5, .nwb or .csv)");
}

// What every format must give: frames, and coordinates that are numbers or NaN (missing).
void require_usable(const std::vector<PoseRecording>& recordings, const fs::path& path) {
  for (const PoseRecording& r : recordings) {
    if (r.frames == 0) throw FormatError(path.string() + ": recording " + r.name + " has no frames");
    for (std::int64_t t = 0; t < r.frames; ++t) {
      for (int k = 0; k < r.keypoints(); ++k) {
        for (int d = 0; d < r.dims; ++d) {
          if (std::isinf(r.at(t, k, d))) {
            throw FormatError(path.string() + ": recording " + r.name + ", frame " + std::to_string(t) + ", bodypart '" +
                              r.bodyparts[static_cast<std::size_t>(k)] + "' has an infinite coordinate; a missing point must be NaN or empty");
          }
        }
      }
    }
  }
}

}  // namespace

std::vector<PoseRecording> load_pose_file(const fs::path& path) {
  core::require_input_file(path, "pose file " + path.string() + " does not exist");
  std::vector<PoseRecording> recordings = read_by_type(path);
  require_usable(recordings, path);
  return recordings;
}

}  // namespace ethovid::moseq
