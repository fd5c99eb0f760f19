#pragma once
// `ethovid moseq plots`: pictures of a fitted project, in PROJECT/plots/:
//   scree.png                 cumulative explained variance of the pose PCs, with the latent_dim used
//   pcs.png                   the mean aligned pose and the poses 2 sd along each latent dimension
//   syllable_frequencies.png  share of occurrences per syllable (0 = most frequent)
//   syllable_dendrogram.png   syllables (>= 1 % of occurrences) clustered by the distance between
//                             their AR dynamics (Frobenius norm of A_i - A_j), average linkage
//   trajectories.png          per syllable, the mean pose from 3 frames before its onsets to 9
//                             after, in the animal's frame at onset (light to dark over time)
//   QA/<recording>.png        per bodypart, the share of frames missing and of frames flagged as
//                             outliers (both interpolated before the fit)
// The pose panels of pcs.png, and those of trajectories.png, share one scale (px).
// With `videos`, or when a pose file names its recording's video (SLEAP), grid movies
// (grid_movies.hpp) as well. plots/plots_summary.json lists the files with the provenance they
// were drawn from; a second run from the same config, pose files, checkpoint and options, with
// every file still there, is up to date (skipped) unless `force`.
#include <filesystem>
#include <optional>
#include <vector>

namespace ethovid::moseq {

struct PlotOptions {
  std::filesystem::path project;
  std::optional<std::filesystem::path> videos;  // a folder of the recordings' videos
  int max_syllables = 16;                        // in trajectories and grid movies
  bool force = false;
};

inline constexpr const char* kPlotsSummary = "plots/plots_summary.json";

struct PlotResult {
  bool skipped = false;
  std::vector<std::filesystem::path> files;
  std::vector<std::string> recordings_without_video;
};

PlotResult write_plots(const PlotOptions& options);

}  // namespace ethovid::moseq
