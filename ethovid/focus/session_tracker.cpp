#include "ethovid/focus/session_tracker.hpp"

#include <algorithm>

namespace ethovid::focus {

SessionTracker::SessionTracker(double max_gap_s, std::size_t max_segments)
    : max_gap_s_(max_gap_s), max_segments_(max_segments) {}

void SessionTracker::restart() { *this = SessionTracker(max_gap_s_, max_segments_); }

std::optional<StateChange> SessionTracker::on_frame(double t, FocusState state, bool counting) {
  if (!counting) {
    last_t_.reset();
    focused_stretch_s_ = 0;
    return std::nullopt;
  }
  // The previous frame's state lasted until now.
  if (last_t_ && state_ && t > *last_t_) {
    const double dt = std::min(t - *last_t_, max_gap_s_);
    switch (*state_) {
      case FocusState::Focused:
        counters_.focused_s += dt;
        focused_stretch_s_ += dt;
        counters_.longest_focused_s = std::max(counters_.longest_focused_s, focused_stretch_s_);
        break;
      case FocusState::Distracted:
        counters_.distracted_s += dt;
        break;
      case FocusState::Away:
        counters_.away_s += dt;
        break;
    }
    if (!segments_.empty()) segments_.back().end = t;
  }
  last_t_ = t;
  if (state_ == state) return std::nullopt;

  StateChange change{state, state_, t};
  if (state == FocusState::Distracted) ++counters_.distractions;
  if (state != FocusState::Focused) focused_stretch_s_ = 0;
  state_ = state;
  state_since_ = t;
  segments_.push_back({state, t, t});
  if (segments_.size() > max_segments_) segments_.pop_front();
  return change;
}

nlohmann::json SessionTracker::timeline() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Segment& s : segments_)
    out.push_back({{"state", state_name(s.state)}, {"start_s", s.start}, {"end_s", s.end}});
  return out;
}

}  // namespace ethovid::focus
