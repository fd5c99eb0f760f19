#include "ethovid/focus/frame_features.hpp"

#include <cmath>
#include <utility>

namespace ethovid::focus {

namespace {

using Getter = double (*)(const FrameFeatures&);

const std::vector<std::pair<std::string, Getter>>& getters() {
  static const std::vector<std::pair<std::string, Getter>> table = {
      {"face_present", [](const FrameFeatures& f) { return f.face_present ? 1.0 : 0.0; }},
      {"face_count", [](const FrameFeatures& f) { return static_cast<double>(f.face_count); }},
      {"face_size", [](const FrameFeatures& f) { return f.face_size; }},
      {"head_yaw_deg", [](const FrameFeatures& f) { return f.head_yaw_deg; }},
      {"head_pitch_deg", [](const FrameFeatures& f) { return f.head_pitch_deg; }},
      {"head_roll_deg", [](const FrameFeatures& f) { return f.head_roll_deg; }},
      {"nose_offset_signed", [](const FrameFeatures& f) { return f.nose_offset_signed; }},
      {"nose_offset_abs", [](const FrameFeatures& f) { return f.nose_offset_abs; }},
      {"ear_left", [](const FrameFeatures& f) { return f.ear_left; }},
      {"ear_right", [](const FrameFeatures& f) { return f.ear_right; }},
      {"eyes_closed_prob", [](const FrameFeatures& f) { return f.eyes_closed_prob; }},
      {"eye_closure", [](const FrameFeatures& f) { return f.eye_closure; }},
      {"brightness", [](const FrameFeatures& f) { return f.brightness; }},
      {"perclos", [](const FrameFeatures& f) { return f.perclos; }},
      {"blink_rate_per_min", [](const FrameFeatures& f) { return f.blink_rate_per_min; }},
      {"time_since_face_s", [](const FrameFeatures& f) { return f.time_since_face_s; }},
      {"eyes_closed_s", [](const FrameFeatures& f) { return f.eyes_closed_s; }},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& numeric_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, getter] : getters()) out.push_back(name);
    return out;
  }();
  return names;
}

std::optional<double> feature_value(const FrameFeatures& features, std::string_view name) {
  for (const auto& [n, getter] : getters()) {
    if (n == name) return getter(features);
  }
  return std::nullopt;
}

nlohmann::json features_json(const FrameFeatures& features) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, getter] : getters()) {
    const double v = getter(features);
    out[name] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  }
  out["face_present"] = features.face_present;
  out["detector_ran"] = features.detector_ran;
  return out;
}

}  // namespace ethovid::focus
