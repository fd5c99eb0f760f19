#include "ethovid/moseq/pose_files.hpp"

#include <algorithm>
#include <cctype>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

std::vector<PoseRecording> load_pose_file(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw MissingInputError("pose file " + path.string() + " does not exist");
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

}  // namespace ethovid::moseq
