#pragma once
// realistic_syllables.hpp's keypoints as `moseq run` meets them: one DeepLabCut CSV per
// sequence, and the labels of a fitted project read back in the truth's order, to score them.
#include <filesystem>
#include <string>
#include <vector>

#include "dlc_csv.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/moseq/results.hpp"
#include "realistic_syllables.hpp"

namespace ethovid::moseq {

// dir/seq<n>.csv for every sequence; bodyparts nose, k1 .. k<K-2>, tail_base.
inline std::vector<std::filesystem::path> write_realistic_pose_files(const std::filesystem::path& dir,
                                                                     const RealisticTruth& truth) {
  std::vector<std::string> parts{"nose"};
  for (int k = 1; k + 1 < truth.options.keypoints; ++k) parts.push_back("k" + std::to_string(k));
  parts.push_back("tail_base");
  std::filesystem::create_directories(dir);
  std::vector<std::filesystem::path> files;
  for (std::size_t n = 0; n < truth.data.size(); ++n) {
    files.push_back(dir / ("seq" + std::to_string(n) + ".csv"));
    write_dlc_csv(files.back(), truth.data[n].Y, parts, truth.options.confidence);
  }
  return files;
}

// The fitted syllables per frame of recordings seq0, seq1, ... (as written above).
inline std::vector<std::vector<int>> fitted_realistic_labels(const std::filesystem::path& project, std::size_t sequences) {
  const FittedModel model = load_fitted_model(project);
  std::vector<std::vector<int>> labels(sequences);
  for (const auto& r : model.recordings) {
    for (std::size_t n = 0; n < sequences; ++n) {
      if (r.name == "seq" + std::to_string(n)) labels[n] = r.syllable;
    }
  }
  for (std::size_t n = 0; n < sequences; ++n) {
    if (labels[n].empty()) throw MissingInputError(project.string() + " has no recording seq" + std::to_string(n));
  }
  return labels;
}

}  // namespace ethovid::moseq
