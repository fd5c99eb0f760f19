#pragma once
// `ethovid moseq results`: the fitted model's per-frame results, per recording, from the
// checkpoint (syllables numbered by frequency, 0 = most frequent). Files in the project folder:
//   results.h5         keypoint-moseq's layout: a group per recording with `syllable` (T,),
//                      `latent_state` (T x L), `centroid` (T x D), `heading` (T,)
//   results.parquet    recording, frame, syllable, centroid_x, centroid_y[, centroid_z], heading,
//                      latent_state_0..L-1: one row per frame of every recording
//   syllable_stats.csv syllable, occurrences, frequency (share of occurrences), frames,
//                      duration mean/median (frames and ms), velocity (mean centroid speed, px/s)
//   moseq_summary.json provenance, iterations, kappas, convergence (log-likelihood per phase),
//                      median syllable duration, recordings
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/moseq/checkpoint.hpp"
#include "ethovid/moseq/model_data.hpp"

namespace ethovid::moseq {

struct RecordingResults {
  std::string name;
  std::int64_t first_frame = 0;  // the video frame of row 0
  std::vector<int> syllable;  // T
  Eigen::MatrixXd latent;     // T x L
  Eigen::MatrixXd centroid;   // T x D
  Eigen::VectorXd heading;    // T
};

// One occurrence (run) of a syllable.
struct Occurrence {
  std::size_t recording = 0;
  std::int64_t onset = 0, length = 0;
};

// Each syllable's occurrences over the recordings, in time order.
std::map<int, std::vector<Occurrence>> syllable_occurrences(const std::vector<RecordingResults>& recordings);

// A project's fitted model with its data and per-recording results (syllables by frequency).
struct FittedModel {
  MoseqConfig config;
  ModelData data;
  FitState state;
  ArHmmState ordered;  // the state with syllables renumbered by frequency
  std::vector<RecordingResults> recordings;
};

// MissingInputError without a checkpoint; ConfigError when config.yml changed since the fit.
FittedModel load_fitted_model(const std::filesystem::path& project);

struct ResultsSummary {
  bool skipped = false;                      // up to date: nothing was recomputed (recordings empty)
  std::vector<RecordingResults> recordings;
  core::Json summary;
  std::filesystem::path h5, parquet, stats, summary_path;
};

inline constexpr const char* kResultsH5 = "results.h5";
inline constexpr const char* kResultsParquet = "results.parquet";
inline constexpr const char* kSyllableStats = "syllable_stats.csv";
inline constexpr const char* kMoseqSummary = "moseq_summary.json";

// What a fit is made from: config.yml and the pose files (path, sha256, size).
core::Provenance project_provenance(const std::filesystem::path& project);

// What a fitted project's outputs are made from: config.yml, the pose files and checkpoint.h5
// (path, sha256, size), for their provenance and the up-to-date check.
core::Provenance fitted_model_provenance(const std::filesystem::path& project);

// Up to date (skipped) when moseq_summary.json was made from the same config, pose files and
// checkpoint and every output exists, unless `force`.
ResultsSummary extract_results(const std::filesystem::path& project, bool force = false);

}  // namespace ethovid::moseq
