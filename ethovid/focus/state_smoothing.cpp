#include "ethovid/focus/state_smoothing.hpp"

#include <array>
#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::focus {

std::string state_name(FocusState state) {
  switch (state) {
    case FocusState::Focused: return "FOCUSED";
    case FocusState::Distracted: return "DISTRACTED";
    case FocusState::Away: return "AWAY";
  }
  return "UNKNOWN";
}

std::optional<FocusState> parse_state(std::string_view name) {
  for (FocusState s : {FocusState::Focused, FocusState::Distracted, FocusState::Away}) {
    if (state_name(s) == name) return s;
  }
  return std::nullopt;
}

ScoreFilter::ScoreFilter(double time_constant_s) : tau_(time_constant_s) {
  if (!(time_constant_s > 0)) {
    throw ConfigError("the score filter's time constant must be > 0 s, not " + std::to_string(time_constant_s));
  }
}

double ScoreFilter::update(double t, double x) {
  if (!last_t_) {
    y_ = x;
  } else if (t > *last_t_) {
    // The exact response of the continuous filter to the previous frame's score, held until
    // this frame: the same output at the same time whatever the frame rate or the frames lost.
    y_ += (1 - std::exp(-(t - *last_t_) / tau_)) * (held_ - y_);
  } else {
    held_ = x;  // the same instant again: the newer score is the one held from here
    return y_;
  }
  held_ = x;
  last_t_ = t;
  return y_;
}

Hysteresis::Hysteresis(double enter, double leave) : enter_(enter), leave_(leave) {
  if (!(leave >= 0 && leave < enter && enter <= 1)) {
    throw ConfigError("hysteresis thresholds must satisfy 0 <= leave < enter <= 1, not leave " +
                      std::to_string(leave) + " and enter " + std::to_string(enter));
  }
}

bool Hysteresis::update(double filtered_score) {
  if (!distracted_ && filtered_score > enter_) distracted_ = true;
  else if (distracted_ && filtered_score < leave_) distracted_ = false;
  return distracted_;
}

StateSmoother::StateSmoother(double time_constant_s, double enter, double leave)
    : away_filter_(time_constant_s),
      distraction_filter_(time_constant_s),
      away_(enter, leave),
      distracted_(enter, leave) {}

FocusState StateSmoother::update(double t, double away_score, double distraction_score) {
  const bool away = away_.update(away_filter_.update(t, away_score));
  const bool distracted = distracted_.update(distraction_filter_.update(t, distraction_score));
  if (away) return FocusState::Away;
  return distracted ? FocusState::Distracted : FocusState::Focused;
}

MajorityWindow::MajorityWindow(double window_s) : window_s_(window_s) {
  if (!(window_s > 0)) throw ConfigError("the smoothing window must be > 0 s, not " + std::to_string(window_s));
}

FocusState MajorityWindow::update(double t, FocusState raw) {
  if (!samples_.empty() && t <= samples_.back().t) {
    samples_.back().state = raw;  // the same instant again: the newer decision stands
  } else {
    samples_.push_back({t, raw});
  }
  // Keep the samples whose span reaches into (t - window, t]; the oldest kept one is clipped.
  while (samples_.size() > 1 && samples_[1].t <= t - window_s_) samples_.pop_front();
  std::array<double, 3> weight{};
  const double typical_gap = samples_.size() > 1 ? (t - samples_.front().t) / static_cast<double>(samples_.size() - 1) : 1;
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    const double start = std::max(samples_[i].t, t - window_s_);
    const double end = i + 1 < samples_.size() ? samples_[i + 1].t : t + typical_gap;
    weight[static_cast<std::size_t>(samples_[i].state)] += std::max(0.0, end - start);
  }
  FocusState best = raw;
  for (std::size_t s = 0; s < weight.size(); ++s) {
    if (weight[s] > weight[static_cast<std::size_t>(best)]) best = static_cast<FocusState>(s);
  }
  return best;
}

}  // namespace ethovid::focus
