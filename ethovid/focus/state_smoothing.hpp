#pragma once
// The focus stage's smoothing of per-frame decisions into states that do not flicker (issue 12
// §2). Everything runs on frame timestamps in seconds, never on frame counts, so a dropped or
// duplicated frame changes nothing:
//   ScoreFilter     first-order low-pass of the distraction score, each frame's score held until
//                   the next frame: y(t) += (1 - e^(-dt/tau)) (x_prev - y), tau 0.25 s by default
//                   (driver monitoring's filtered distraction score);
//   Hysteresis      distracted once the filtered score rises above `enter` (0.63), focused again
//                   only below `leave` (0.37);
//   MajorityWindow  the `policy: rules` smoothing: the most frequent raw state over the last
//                   `window_s` seconds, weighted by how long each frame's state lasted.
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace ethovid::focus {

enum class FocusState { Focused, Distracted, Away };

// "FOCUSED", "DISTRACTED", "AWAY": the names the event log and the API use.
std::string state_name(FocusState state);
// The state of one of those names; nullopt for any other text.
std::optional<FocusState> parse_state(std::string_view name);

class ScoreFilter {
 public:
  explicit ScoreFilter(double time_constant_s = 0.25);
  // The filtered score at a frame at time t (s) whose score is x (x takes effect from t on).
  // The first frame starts the filter at x; a frame at or before the previous time leaves the
  // output as it was and replaces the score held.
  double update(double t, double x);
  std::optional<double> value() const { return last_t_ ? std::optional<double>(y_) : std::nullopt; }

 private:
  double tau_;
  double y_ = 0, held_ = 0;
  std::optional<double> last_t_;
};

class Hysteresis {
 public:
  Hysteresis(double enter = 0.63, double leave = 0.37);  // ConfigError unless 0 <= leave < enter <= 1
  // True while distracted.
  bool update(double filtered_score);
  bool distracted() const { return distracted_; }

 private:
  double enter_, leave_;
  bool distracted_ = false;
};

// The smoothing of `policy: calibrated` and `policy: model`: two scores in [0, 1] per frame, how
// much the frame says "away" and "distracted", each through its own ScoreFilter and Hysteresis.
// AWAY while the away score's hysteresis holds, else DISTRACTED while the distraction score's
// does, else FOCUSED.
class StateSmoother {
 public:
  StateSmoother(double time_constant_s = 0.25, double enter = 0.63, double leave = 0.37);
  FocusState update(double t, double away_score, double distraction_score);
  double distraction() const { return distraction_filter_.value().value_or(0); }

 private:
  ScoreFilter away_filter_, distraction_filter_;
  Hysteresis away_, distracted_;
};

class MajorityWindow {
 public:
  explicit MajorityWindow(double window_s);  // ConfigError unless > 0
  // The smoothed state after a frame at time t with state `raw`. Each frame's state counts for
  // the time until the next frame (the newest for the typical frame gap); ties go to the newest.
  FocusState update(double t, FocusState raw);

 private:
  struct Sample {
    double t;
    FocusState state;
  };
  double window_s_;
  std::deque<Sample> samples_;
};

}  // namespace ethovid::focus
