#pragma once
// What one run of a session adds up to, for /status, the UI and the overlay: time per smoothed
// state, the number of distractions (entries into DISTRACTED), the longest focused stretch, and
// the timeline of state segments. Each frame's state counts for the time until the next frame
// (at most `max_gap_s`, so a stall does not count as minutes of a state); frames that are not
// counted (PAUSED, camera off) add nothing and end the current stretch.
#include <cstddef>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>

#include "ethovid/focus/state_smoothing.hpp"

namespace ethovid::focus {

struct SessionCounters {
  double focused_s = 0, distracted_s = 0, away_s = 0;
  int distractions = 0;
  double longest_focused_s = 0;
};

struct StateChange {
  FocusState state;
  std::optional<FocusState> previous;  // nullopt for the run's first state
  double at_s;
};

class SessionTracker {
 public:
  explicit SessionTracker(double max_gap_s = 1.0, std::size_t max_segments = 2000);

  // A frame at t (session clock) whose smoothed state is `state`; `counting` false while the
  // session is paused or the camera off. Returns the change of state this frame made, if any.
  std::optional<StateChange> on_frame(double t, FocusState state, bool counting);
  void restart();  // a new run

  const SessionCounters& counters() const { return counters_; }
  std::optional<FocusState> state() const { return state_; }
  double state_since_s() const { return state_since_; }
  // [{"state", "start_s", "end_s"}, ...], the newest `max_segments` segments.
  nlohmann::json timeline() const;

 private:
  struct Segment {
    FocusState state;
    double start, end;
  };
  double max_gap_s_;
  std::size_t max_segments_;
  SessionCounters counters_;
  std::optional<FocusState> state_;
  double state_since_ = 0;
  std::optional<double> last_t_;
  double focused_stretch_s_ = 0;
  std::deque<Segment> segments_;
};

}  // namespace ethovid::focus
