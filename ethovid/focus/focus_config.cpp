// app.yaml for `focus run` (docs/focus.md lists every key with its default). Each value is checked
// for its type and unknown keys are refused, so a typo never silently changes a session.
//   source: {camera: 0} or {video: FILE, realtime: false, fps: 0}
//   events_dir, session_id, models, interventions, flush_s, log_hz, stream_fps, jpeg_quality
//   policy: calibrated | rules | model      model: FILE (for policy: model)
//   rules: {nose_offset_threshold, window_s, window_frames}
//   calibrated: {yaw_limit_rad, pitch_limit_rad, away_after_s, calibration_s, min_calibration_s,
//                adapt_time_constant_s, max_neutral_yaw_rad, max_neutral_pitch_rad}
//   smoothing: {time_constant_s, enter, leave}      drowsy: {eyes_closed_s, perclos_above}
//   features: {redetect_every, max_jump, max_scale_change, eye_network}
// Relative paths are relative to the config file.
#include "ethovid/core/yaml_config.hpp"
#include "ethovid/focus/focus_session.hpp"

namespace ethovid::focus {

namespace {

struct Reader {
  const std::filesystem::path& file;

  template <typename T>
  void get(const YAML::Node& map, const char* key, const std::string& where, T& out) const {
    if (const YAML::Node v = map[key]) out = core::yaml_scalar<T>(v, file, where + key);
  }
  void path(const YAML::Node& map, const char* key, std::filesystem::path& out) const {
    std::string text;
    get(map, key, "", text);
    if (text.empty()) return;
    out = text;
    if (out.is_relative()) out = file.parent_path() / out;
  }
  YAML::Node section(const YAML::Node& root, const char* key,
                     std::initializer_list<const char*> allowed) const {
    const YAML::Node node = root[key];
    core::check_known_keys(node, file, std::string("'") + key + "'", allowed);
    return node ? node : YAML::Node(YAML::NodeType::Map);
  }
};

}  // namespace

void apply_focus_config(const std::filesystem::path& file, SessionOptions& o) {
  const YAML::Node root = core::load_yaml(file);
  if (!root || root.IsNull()) return;
  core::check_known_keys(root, file, "the config",
                         {"source", "events_dir", "session_id", "models", "interventions",
                          "flush_s", "log_hz", "stream_fps", "jpeg_quality", "policy", "model",
                          "rules", "calibrated", "smoothing", "drowsy", "features"});
  const Reader r{file};
  const YAML::Node source = r.section(root, "source", {"camera", "video", "realtime", "fps"});
  if (source["camera"])
    o.source.camera = core::yaml_scalar<int>(source["camera"], file, "source.camera");
  if (source["video"]) {
    std::filesystem::path video;
    r.path(source, "video", video);
    o.source.video = video.string();
  }
  r.get(source, "realtime", "source.", o.source.realtime);
  r.get(source, "fps", "source.", o.source.fps);
  r.path(root, "events_dir", o.events_dir);
  r.get(root, "session_id", "", o.session_id);
  r.path(root, "models", o.model_config);
  r.path(root, "interventions", o.interventions);
  r.get(root, "flush_s", "", o.flush_s);
  r.get(root, "log_hz", "", o.log_hz);
  r.get(root, "stream_fps", "", o.stream_fps);
  r.get(root, "jpeg_quality", "", o.jpeg_quality);
  if (root["policy"])
    o.policy.kind =
        parse_policy_kind(core::yaml_scalar<std::string>(root["policy"], file, "policy"));
  r.path(root, "model", o.policy.model);

  const YAML::Node rules =
      r.section(root, "rules", {"nose_offset_threshold", "window_s", "window_frames"});
  r.get(rules, "nose_offset_threshold", "rules.", o.policy.rules.nose_offset_threshold);
  r.get(rules, "window_s", "rules.", o.policy.rules.window_s);
  r.get(rules, "window_frames", "rules.", o.policy.rules.window_frames);
  CalibratedOptions& c = o.policy.calibrated;
  const YAML::Node cal = r.section(
      root, "calibrated",
      {"yaw_limit_rad", "pitch_limit_rad", "away_after_s", "calibration_s", "min_calibration_s",
       "adapt_time_constant_s", "max_neutral_yaw_rad", "max_neutral_pitch_rad"});
  r.get(cal, "yaw_limit_rad", "calibrated.", c.yaw_limit_rad);
  r.get(cal, "pitch_limit_rad", "calibrated.", c.pitch_limit_rad);
  r.get(cal, "away_after_s", "calibrated.", c.away_after_s);
  r.get(cal, "calibration_s", "calibrated.", c.calibration_s);
  r.get(cal, "min_calibration_s", "calibrated.", c.min_calibration_s);
  r.get(cal, "adapt_time_constant_s", "calibrated.", c.adapt_time_constant_s);
  r.get(cal, "max_neutral_yaw_rad", "calibrated.", c.max_neutral_yaw_rad);
  r.get(cal, "max_neutral_pitch_rad", "calibrated.", c.max_neutral_pitch_rad);
  const YAML::Node smoothing = r.section(root, "smoothing", {"time_constant_s", "enter", "leave"});
  r.get(smoothing, "time_constant_s", "smoothing.", o.policy.smoothing.time_constant_s);
  r.get(smoothing, "enter", "smoothing.", o.policy.smoothing.enter);
  r.get(smoothing, "leave", "smoothing.", o.policy.smoothing.leave);
  const YAML::Node drowsy = r.section(root, "drowsy", {"eyes_closed_s", "perclos_above"});
  r.get(drowsy, "eyes_closed_s", "drowsy.", o.policy.drowsy.eyes_closed_s);
  r.get(drowsy, "perclos_above", "drowsy.", o.policy.drowsy.perclos_above);
  const YAML::Node features = r.section(
      root, "features", {"redetect_every", "max_jump", "max_scale_change", "eye_network"});
  r.get(features, "redetect_every", "features.", o.features.redetect_every);
  r.get(features, "max_jump", "features.", o.features.max_jump);
  r.get(features, "max_scale_change", "features.", o.features.max_scale_change);
  r.get(features, "eye_network", "features.", o.features.eye_network);
}

}  // namespace ethovid::focus
