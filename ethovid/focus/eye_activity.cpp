#include "ethovid/focus/eye_activity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ethovid/core/error.hpp"

namespace ethovid::focus {

EyeActivity::EyeActivity(EyeActivityOptions options) : options_(options) {
  if (!(options_.window_s > 0) || !(options_.blink_max_s > 0) || !(options_.max_gap_s > 0) ||
      !(options_.min_measured_s >= 0) || !(options_.closed_at > 0 && options_.closed_at <= 1)) {
    throw ConfigError(
        "eye activity: window_s, blink_max_s and max_gap_s must be > 0 and closed_at in (0, 1]");
  }
}

void EyeActivity::add_span(double start, double end, bool closed) {
  if (end <= start) return;
  spans_.push_back({start, end, closed});
  measured_s_ += end - start;
  if (closed) closed_total_s_ += end - start;
}

void EyeActivity::forget_before(double t) {
  while (!spans_.empty() && spans_.front().end <= t) {
    const Span& s = spans_.front();
    measured_s_ -= s.end - s.start;
    if (s.closed) closed_total_s_ -= s.end - s.start;
    spans_.pop_front();
  }
  if (!spans_.empty() && spans_.front().start < t) {  // cut the span that straddles the edge
    Span& s = spans_.front();
    measured_s_ -= t - s.start;
    if (s.closed) closed_total_s_ -= t - s.start;
    s.start = t;
  }
  while (!blinks_.empty() && blinks_.front() <= t) blinks_.pop_front();
  // Sums of many small differences drift; they cannot be negative.
  measured_s_ = std::max(measured_s_, 0.0);
  closed_total_s_ = std::clamp(closed_total_s_, 0.0, measured_s_);
}

EyeActivityValues EyeActivity::update(double t, double closure) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (last_t_ && t > *last_t_ && last_closed_) {
    add_span(*last_t_, std::min(t, *last_t_ + options_.max_gap_s), *last_closed_);
  }
  const bool measured = std::isfinite(closure);
  const bool closed = measured && closure >= options_.closed_at;
  // A closure ends at this frame: a short one was a blink. An unmeasured frame ends nothing
  // (the face may be back, eyes still shut, a frame later), but a gap longer than a blink does.
  if (closed_since_ && measured && !closed) {
    if (t - *closed_since_ <= options_.blink_max_s) blinks_.push_back(t);
    closed_since_.reset();
  } else if (closed_since_ && !measured && t - *closed_since_ > options_.blink_max_s) {
    closed_since_.reset();
  }
  if (closed && !closed_since_) closed_since_ = t;
  if (!last_t_ || t > *last_t_) last_t_ = t;
  last_closed_ = measured ? std::optional<bool>(closed) : std::nullopt;
  forget_before(t - options_.window_s);

  EyeActivityValues v{nan, nan, nan};
  if (measured_s_ >= options_.min_measured_s && measured_s_ > 0) {
    v.perclos = closed_total_s_ / measured_s_;
    v.blink_rate_per_min = static_cast<double>(blinks_.size()) / (measured_s_ / 60.0);
  }
  if (measured) v.closed_s = closed_since_ ? t - *closed_since_ : 0.0;
  return v;
}

}  // namespace ethovid::focus

namespace ethovid::focus {

OpenEyeReference::OpenEyeReference(double window_s, double initial, double min_span_s)
    : window_s_(window_s), initial_(initial), min_span_s_(min_span_s) {}

void OpenEyeReference::add(double t, double ear) {
  if (!std::isfinite(ear) || ear < 0) return;
  const int bin = std::min(kBins - 1, static_cast<int>(ear / kBinWidth));
  samples_.emplace_back(t, bin);
  ++counts_[bin];
  while (!samples_.empty() && samples_.front().first < t - window_s_) {
    --counts_[samples_.front().second];
    samples_.pop_front();
  }
}

double OpenEyeReference::value() const {
  const int n = static_cast<int>(samples_.size());
  if (n < 2 || samples_.back().first - samples_.front().first < min_span_s_) return initial_;
  int seen = 0;
  for (int b = 0; b < kBins; ++b) {
    seen += counts_[b];
    if (2 * seen >= n) return (b + 0.5) * kBinWidth;
  }
  return initial_;
}

}  // namespace ethovid::focus
