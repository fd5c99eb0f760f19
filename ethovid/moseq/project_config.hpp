#pragma once
// A moseq project folder and its config.yml, with keypoint-moseq's keys and defaults (sections
// ANATOMY, FITTING, HYPER PARAMS, OTHER; docs/moseq.md), plus `pose_files`: the pose files the
// project was set up with. Written with plain YAML types only (strings, numbers, booleans, lists
// and maps), so any YAML reader loads it.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ethovid::moseq {

struct MoseqConfig {
  // ANATOMY
  std::vector<std::string> bodyparts;
  std::vector<std::string> use_bodyparts;
  std::vector<std::pair<std::string, std::string>> skeleton;
  std::vector<std::string> anterior_bodyparts;
  std::vector<std::string> posterior_bodyparts;
  // FITTING
  double added_noise_level = 0.1;
  long PCA_fitting_num_frames = 1000000;
  double conf_threshold = 0.5;
  // HYPER PARAMS
  double error_estimator_slope = -0.5, error_estimator_intercept = 0.25;
  double nu_s = 5, nu_sigma = 1e5, sigmasq_0 = 0.1, sigmasq_C = 0.1;
  int nlags = 3;
  std::optional<int> latent_dim;  // unset: the components explaining 90 % of the variance
  double S_0_scale = 0.01, K_0_scale = 10.0;
  double alpha = 5.7, gamma = 1e3, kappa = 1e6;
  int num_states = 100;
  double sigmasq_loc = 0.5;
  // OTHER
  double fps = 30;
  double outlier_scale_factor = 6.0;
  double conf_pseudocount = 1e-3;
  bool fix_heading = false;
  std::optional<int> seg_length;  // unset: chosen from the recording lengths
  std::vector<std::filesystem::path> pose_files;
};

inline constexpr const char* kConfigFile = "config.yml";

// ConfigError naming the key (and the file) for unknown keys, wrong types, bodyparts that are not
// in `bodyparts`, and out-of-range values.
MoseqConfig load_moseq_config(const std::filesystem::path& project);
void check_moseq_config(const MoseqConfig& config, const std::string& source);
// Writes PROJECT/config.yml atomically.
void write_moseq_config(const std::filesystem::path& project, const MoseqConfig& config);

struct SetupOptions {
  std::filesystem::path project;
  std::vector<std::filesystem::path> pose_files;
  std::optional<double> fps;  // else what the files state, else the video's (named or beside), else 30
  bool force = false;         // replace an existing config.yml
};

struct SetupResult {
  MoseqConfig config;
  std::filesystem::path config_path;
  std::size_t recordings = 0;
  std::vector<std::string> recording_names;  // one per animal: a multi-animal file gives several
  std::string fps_source;  // "--fps", "the pose files" or "default (30)"
  bool fps_defaulted = false;  // neither --fps, the files nor a video beside them state a rate
  bool up_to_date = false;  // config.yml was already set up from these files (and --fps): kept as it is
};

// `ethovid moseq setup`: reads every pose file (so a bad one fails now, not in the fit), checks
// that they share their bodyparts, and writes the project's config.yml. Anterior and posterior
// bodyparts are guessed from the names (nose/head/snout..., tail/abdomen...), else the first and
// last bodypart; edit config.yml to change them. An existing config.yml set up from the same pose
// files (and the same --fps, when given) is kept as it is, edits included (up_to_date); one set up
// from other files is a ConfigError unless `force`.
SetupResult setup_project(const SetupOptions& options);

}  // namespace ethovid::moseq
