#include "ethovid/focus/policy.hpp"

#include <cmath>
#include <cstdio>
#include <optional>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/model_policy.hpp"
#include "ethovid/focus/neutral_pose.hpp"

namespace ethovid::focus {

namespace {

constexpr double kRadToDeg = 57.29577951308232;

std::string format(const char* pattern, double a, double b = 0) {
  char text[96];
  std::snprintf(text, sizeof text, pattern, a, b);
  return text;
}

class RulesPolicy : public Policy {
 public:
  RulesPolicy(const RulesOptions& rules, const DrowsyOptions& drowsy)
      : rules_(rules), drowsy_(drowsy), window_(rules.window_s) {
    if (!(rules.nose_offset_threshold > 0))
      throw ConfigError("rules: nose_offset_threshold must be > 0");
  }

  PolicyDecision decide(double t, const FrameFeatures& f) override {
    PolicyDecision d;
    if (!f.face_present) {
      d.raw = FocusState::Away, d.reason = "no face";
    } else if (f.nose_offset_abs > rules_.nose_offset_threshold) {
      d.raw = FocusState::Distracted;
      d.reason =
          format("nose offset %.3f above %.3f", f.nose_offset_abs, rules_.nose_offset_threshold);
    } else {
      d.raw = FocusState::Focused, d.reason = "nose offset within limit";
    }
    d.smooth = window_.update(t, d.raw);
    d.drowsy = drowsiness(f, drowsy_).first;
    return d;
  }
  void reset() override { window_ = MajorityWindow(rules_.window_s); }

 private:
  RulesOptions rules_;
  DrowsyOptions drowsy_;
  MajorityWindow window_;
};

class CalibratedPolicy : public Policy {
 public:
  CalibratedPolicy(const CalibratedOptions& o, const SmoothingOptions& s,
                   const DrowsyOptions& drowsy)
      : o_(o), s_(s), drowsy_(drowsy), neutral_(o), smoother_(s.time_constant_s, s.enter, s.leave) {
    if (!(o.yaw_limit_rad > 0) || !(o.pitch_limit_rad > 0) || !(o.away_after_s >= 0) ||
        !(o.calibration_s > 0) || !(o.adapt_time_constant_s > 0)) {
      throw ConfigError(
          "calibrated: the limits, calibration_s and adapt_time_constant_s must be > 0, "
          "away_after_s >= 0");
    }
  }

  PolicyDecision decide(double t, const FrameFeatures& f) override {
    PolicyDecision d;
    double away = 0;
    if (!first_t_) first_t_ = t;
    if (!f.face_present) {
      neutral_.forget_time();
      // A face never seen has been missing since the run began.
      const double missing =
          std::isfinite(f.time_since_face_s) ? f.time_since_face_s : t - *first_t_;
      if (missing >= o_.away_after_s) {
        d.raw = FocusState::Away, away = 1;
        d.reason = format("no face for %.1f s", missing);
      } else {
        // A face lost for less than away_after_s (a frame the detector missed, a quick lean) keeps
        // the last decision.
        d.raw = last_raw_, d.reason = format("no face for %.1f s, holding", missing);
      }
    } else if (!std::isfinite(f.head_yaw_deg) || !std::isfinite(f.head_pitch_deg)) {
      d.raw = last_raw_ == FocusState::Away ? FocusState::Focused : last_raw_;
      d.reason = "head pose unknown, holding";
    } else {
      const double yaw = f.head_yaw_deg / kRadToDeg, pitch = f.head_pitch_deg / kRadToDeg;
      const double dyaw = yaw - neutral_.yaw(), dpitch = pitch - neutral_.pitch();
      const bool within =
          std::abs(dyaw) <= o_.yaw_limit_rad && std::abs(dpitch) <= o_.pitch_limit_rad;
      neutral_.add(t, yaw, pitch, within);
      if (std::abs(dyaw) > o_.yaw_limit_rad) {
        d.raw = FocusState::Distracted;
        d.reason = format("yaw %+.2f rad from neutral, limit %.2f", dyaw, o_.yaw_limit_rad);
      } else if (std::abs(dpitch) > o_.pitch_limit_rad) {
        d.raw = FocusState::Distracted;
        d.reason = format("pitch %+.2f rad from neutral, limit %.2f", dpitch, o_.pitch_limit_rad);
      } else {
        d.raw = FocusState::Focused, d.reason = "head pose within limits";
      }
    }
    last_raw_ = d.raw;
    d.smooth = smoother_.update(t, away, d.raw == FocusState::Distracted ? 1.0 : 0.0);
    const auto [drowsy, why] = drowsiness(f, drowsy_);
    d.drowsy = drowsy;
    if (drowsy) d.reason += "; " + why;
    d.calibrated = neutral_.calibrated();
    return d;
  }
  void reset() override {
    smoother_ = StateSmoother(s_.time_constant_s, s_.enter, s_.leave);
    last_raw_ = FocusState::Focused;
    first_t_.reset();
  }

 private:
  CalibratedOptions o_;
  SmoothingOptions s_;
  DrowsyOptions drowsy_;
  NeutralPose neutral_;
  StateSmoother smoother_;
  FocusState last_raw_ = FocusState::Focused;
  std::optional<double> first_t_;  // the run's first frame
};

}  // namespace

PolicyKind parse_policy_kind(const std::string& name) {
  if (name == "rules") return PolicyKind::Rules;
  if (name == "calibrated") return PolicyKind::Calibrated;
  if (name == "model") return PolicyKind::Model;
  throw ConfigError("unknown policy '" + name + "' (rules, calibrated or model)");
}

std::string policy_kind_name(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::Rules:
      return "rules";
    case PolicyKind::Calibrated:
      return "calibrated";
    case PolicyKind::Model:
      return "model";
  }
  return "?";
}

std::pair<bool, std::string> drowsiness(const FrameFeatures& f, const DrowsyOptions& o) {
  if (std::isfinite(f.eyes_closed_s) && f.eyes_closed_s > o.eyes_closed_s) {
    return {true, format("eyes closed %.1f s", f.eyes_closed_s)};
  }
  if (std::isfinite(f.perclos) && f.perclos > o.perclos_above) {
    return {true, format("PERCLOS %.2f above %.2f", f.perclos, o.perclos_above)};
  }
  return {false, ""};
}

PolicyConfig with_window_in_seconds(PolicyConfig config, double fps) {
  if (config.rules.window_frames > 0)
    config.rules.window_s = config.rules.window_frames / (fps > 0 ? fps : 30.0);
  return config;
}

std::unique_ptr<Policy> make_policy(const PolicyConfig& config) {
  switch (config.kind) {
    case PolicyKind::Rules:
      return std::make_unique<RulesPolicy>(config.rules, config.drowsy);
    case PolicyKind::Calibrated:
      return std::make_unique<CalibratedPolicy>(config.calibrated, config.smoothing, config.drowsy);
    case PolicyKind::Model:
      return make_model_policy(config);
  }
  throw ConfigError("unknown policy");
}

}  // namespace ethovid::focus
