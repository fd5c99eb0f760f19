#pragma once
// Grid movies (PROJECT/plots/grid_movies/syllable_N.mp4): for each of the most frequent
// syllables, up to 9 of its occurrences side by side, each cropped around the animal's centroid
// and turned by its heading so the animal faces right, from 5 frames before onset to 5 after the
// end (at most 30 frames of the syllable). A recording's video is
//   - the video its pose file names (SLEAP): that path, relative to the pose file's folder
//     when relative, or a file of that name in the videos folder or beside the pose file (the
//     path stored is often the labelling machine's);
//   - else the file in the videos folder whose name (without extension) is the longest start
//     of the recording's name or of its pose file's name.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/results.hpp"

namespace ethovid::moseq {

struct GridMovieOptions {
  std::optional<std::filesystem::path> videos;  // a folder of videos, if given
  std::filesystem::path output_dir;
  int max_syllables = 16;
};

struct GridMovieResult {
  std::vector<std::filesystem::path> files;
  std::vector<std::string> recordings_without_video;
};

GridMovieResult write_grid_movies(const FittedModel& model, const KeypointSlds& slds, const GridMovieOptions& options);

}  // namespace ethovid::moseq
