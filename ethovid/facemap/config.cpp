// YAML configuration for `facemap compute` (see facemap.hpp for the keys). Every value is checked
// for its type, and unknown keys are refused, so a typo never silently changes a run.
#include "ethovid/core/error.hpp"
#include "ethovid/core/yaml_config.hpp"
#include "ethovid/facemap/facemap.hpp"

namespace ethovid::facemap {

namespace {

template <typename T>
T scalar(const YAML::Node& node, const std::filesystem::path& file, const std::string& key) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(file.string() + ": key '" + key + "' (line " +
                      std::to_string(node.Mark().line + 1) + ") has the wrong type");
  }
}

Roi roi_from(const YAML::Node& node, const std::filesystem::path& file, const std::string& key) {
  if (!node.IsSequence() || node.size() != 4) {
    throw ConfigError(file.string() + ": " + key + " (line " + std::to_string(node.Mark().line + 1) +
                      ") must be [x, y, width, height]");
  }
  return {scalar<int>(node[0], file, key), scalar<int>(node[1], file, key),
          scalar<int>(node[2], file, key), scalar<int>(node[3], file, key)};
}

}  // namespace

void apply_config_file(const std::filesystem::path& file, ComputeOptions& options) {
  const YAML::Node root = core::load_yaml(file);
  if (!root || root.IsNull()) return;
  core::check_known_keys(root, file, "the config",
                         {"motion_rois", "pupil_roi", "sbin", "svd_components", "motion_svd",
                          "movie_svd", "timestamps", "camera", "max_frame_mismatch", "session_id",
                          "fps"});
  if (const auto rois = root["motion_rois"]) {
    if (!rois.IsSequence()) throw ConfigError(file.string() + ": motion_rois must be a list of [x, y, width, height]");
    options.motion_rois.clear();
    for (std::size_t i = 0; i < rois.size(); ++i) {
      options.motion_rois.push_back(roi_from(rois[i], file, "motion_rois[" + std::to_string(i) + "]"));
    }
  }
  if (const auto roi = root["pupil_roi"]) options.pupil_roi = roi_from(roi, file, "pupil_roi");
  if (const auto v = root["sbin"]) options.sbin = scalar<int>(v, file, "sbin");
  if (const auto v = root["svd_components"]) options.svd_components = scalar<int>(v, file, "svd_components");
  if (const auto v = root["motion_svd"]) options.motion_svd = scalar<bool>(v, file, "motion_svd");
  if (const auto v = root["movie_svd"]) options.movie_svd = scalar<bool>(v, file, "movie_svd");
  if (const auto v = root["timestamps"]) {
    // A relative sync folder is relative to the config file, as users write configs beside data.
    std::filesystem::path dir = scalar<std::string>(v, file, "timestamps");
    if (dir.is_relative()) dir = file.parent_path() / dir;
    options.alignment.timestamps_dir = dir;
  }
  if (const auto v = root["camera"]) options.alignment.camera_id = scalar<std::string>(v, file, "camera");
  if (const auto v = root["max_frame_mismatch"]) {
    options.alignment.max_frame_mismatch = scalar<std::int64_t>(v, file, "max_frame_mismatch");
  }
  if (const auto v = root["session_id"]) options.session_id = scalar<std::string>(v, file, "session_id");
  if (const auto v = root["fps"]) options.fps = scalar<double>(v, file, "fps");
  options.config_file = file;
}

}  // namespace ethovid::facemap
