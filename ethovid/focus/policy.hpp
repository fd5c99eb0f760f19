#pragma once
// The three ways the focus stage turns a frame's features into a state (issue 12 §2). Every
// policy runs on frame timestamps (the session clock, seconds), never on frame counts.
//   rules       the reference prototype's baseline: AWAY without a face, DISTRACTED when the
//               nose is off the box centre by more than `nose_offset_threshold`, else FOCUSED,
//               smoothed by the majority over the last `window_s` seconds;
//   calibrated  (the default) head yaw and pitch against this person's neutral pose, learned
//               while the face is seen, with limits in radians (driver monitoring's 0.40 yaw and
//               0.31 pitch); AWAY once the face has been missing for `away_after_s`; scores
//               smoothed by a first-order filter with hysteresis (StateSmoother);
//   model       the trained model (focus_model.hpp) decides per frame; its probabilities go
//               through the same filter and hysteresis.
// Every policy flags `drowsy` when the eyes stay closed longer than a blink or PERCLOS is high.
#include <filesystem>
#include <memory>
#include <string>

#include "ethovid/focus/frame_features.hpp"
#include "ethovid/focus/state_smoothing.hpp"

namespace ethovid::focus {

enum class PolicyKind { Rules, Calibrated, Model };
PolicyKind parse_policy_kind(
    const std::string& name);  // "rules" | "calibrated" | "model"; ConfigError
std::string policy_kind_name(PolicyKind kind);

struct SmoothingOptions {
  double time_constant_s = 0.25;
  double enter = 0.63;  // distracted (or away) once the filtered score is above
  double leave = 0.37;  // focused again once it is below
};

struct DrowsyOptions {
  double eyes_closed_s = 1.0;  // closed longer than any blink (blinks last 0.1-0.4 s)
  double perclos_above = 0.15;
};

struct RulesOptions {
  // The nose tip off the face box centre by a tenth of the box width: about 23 degrees of yaw on an
  // average face (nose tip about 35 mm in front of a face about 150 mm wide whose box is ~ that
  // width), the calibrated policy's 0.40 rad.
  double nose_offset_threshold = 0.10;
  double window_s = 1.0;
  // > 0: the window is this many frames of the source's nominal rate instead (the reference's
  // window in frames); it is still applied on timestamps, window_frames / fps seconds long.
  int window_frames = 0;
};

struct CalibratedOptions {
  double yaw_limit_rad = 0.40;
  double pitch_limit_rad = 0.31;
  double away_after_s = 2.0;
  double calibration_s = 60;           // running mean over the first minute of face time
  double min_calibration_s = 3;        // "calibrated" once this much face time has been seen
  double adapt_time_constant_s = 600;  // afterwards the neutral follows slowly ...
  double max_neutral_yaw_rad = 0.6;    // ... and is clamped to a camera placement that makes sense
  double max_neutral_pitch_rad = 0.5;
};

struct PolicyConfig {
  PolicyKind kind = PolicyKind::Calibrated;
  RulesOptions rules;
  CalibratedOptions calibrated;
  SmoothingOptions smoothing;
  DrowsyOptions drowsy;
  std::filesystem::path model;  // for PolicyKind::Model
};

struct PolicyDecision {
  FocusState raw = FocusState::Away;
  FocusState smooth = FocusState::Away;
  bool drowsy = false;
  bool calibrated = true;  // false while the calibrated policy is still learning the neutral pose
  std::string reason;      // one line: why `raw` is what it is
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual PolicyDecision decide(double t, const FrameFeatures& features) = 0;
  virtual void
  reset() = 0;  // a new run: forget the smoothing (the calibrated policy keeps its neutral pose)
};

// ConfigError for bad options; for `model`, FocusModel's errors and a ConfigError naming a feature
// the model needs that frames do not have, or a class that is not a focus state.
std::unique_ptr<Policy> make_policy(const PolicyConfig& config);

// `config` with a rules window given in frames turned into seconds at `fps` (30 when unknown).
PolicyConfig with_window_in_seconds(PolicyConfig config, double fps);

// The drowsy flag and its reason ("" when not drowsy).
std::pair<bool, std::string> drowsiness(const FrameFeatures& features,
                                        const DrowsyOptions& options);

}  // namespace ethovid::focus
