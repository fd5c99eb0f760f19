#pragma once
// A person's neutral head pose for `policy: calibrated`: where they look when they look at their
// screen, which depends on where the camera sits. A running mean over the first `calibration_s`
// seconds of face time, then a slow update (time constant `adapt_time_constant_s`) from the
// frames within the limits only, so a long look away does not become the new neutral; clamped to
// `max_neutral_*`. Samples are weighted by the time they cover (at most 0.5 s each), so the
// estimate does not depend on the frame rate.
#include <optional>

#include "ethovid/focus/policy.hpp"

namespace ethovid::focus {

class NeutralPose {
 public:
  explicit NeutralPose(const CalibratedOptions& options);
  // Adds a frame's pose (radians) seen at t; `within_limits` says the frame was not distracted.
  void add(double t, double yaw_rad, double pitch_rad, bool within_limits);
  void forget_time();  // the next sample starts a new stretch (the face was lost)
  double yaw() const { return yaw_; }
  double pitch() const { return pitch_; }
  double seen_s() const { return seen_s_; }  // face time learnt from
  bool calibrated() const { return seen_s_ >= options_.min_calibration_s; }

 private:
  CalibratedOptions options_;
  double yaw_ = 0, pitch_ = 0, seen_s_ = 0;
  std::optional<double> last_t_;
};

}  // namespace ethovid::focus
