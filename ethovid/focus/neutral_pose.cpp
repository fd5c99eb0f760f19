#include "ethovid/focus/neutral_pose.hpp"

#include <algorithm>
#include <cmath>

namespace ethovid::focus {

namespace {
constexpr double kMaxSampleWeightS = 0.5;
}

NeutralPose::NeutralPose(const CalibratedOptions& options) : options_(options) {}

void NeutralPose::forget_time() { last_t_.reset(); }

void NeutralPose::add(double t, double yaw_rad, double pitch_rad, bool within_limits) {
  if (!std::isfinite(yaw_rad) || !std::isfinite(pitch_rad)) return;
  // The first sample of a stretch covers a typical frame (1/30 s); later ones the gap since.
  const double dt = last_t_ ? std::clamp(t - *last_t_, 0.0, kMaxSampleWeightS) : 1.0 / 30;
  last_t_ = t;
  if (dt <= 0) return;
  double gain;
  if (seen_s_ < options_.calibration_s) {
    // The running mean over the first minute: every frame weighs its time. Frames far outside the
    // limits around the estimate (a glance at a phone) stay out once a few seconds are known.
    const bool outlier = seen_s_ >= options_.min_calibration_s &&
                         (std::abs(yaw_rad - yaw_) > 2 * options_.yaw_limit_rad ||
                          std::abs(pitch_rad - pitch_) > 2 * options_.pitch_limit_rad);
    if (outlier) return;
    gain = dt / (seen_s_ + dt);
  } else {
    if (!within_limits) return;
    gain = 1 - std::exp(-dt / options_.adapt_time_constant_s);
  }
  seen_s_ += dt;
  yaw_ = std::clamp(yaw_ + gain * (yaw_rad - yaw_), -options_.max_neutral_yaw_rad,
                    options_.max_neutral_yaw_rad);
  pitch_ = std::clamp(pitch_ + gain * (pitch_rad - pitch_), -options_.max_neutral_pitch_rad,
                      options_.max_neutral_pitch_rad);
}

}  // namespace ethovid::focus
