#pragma once
// One row of the focus event log (issue 12 §4): the reference prototype's 16 columns, then the
// frame's clock and the features of frame_features.hpp. docs/focus.md states the schema.
#include <cstdint>
#include <string>

#include "ethovid/focus/frame_features.hpp"
#include "ethovid/focus/state_smoothing.hpp"

namespace ethovid::focus {

// The reference's session modes: RUNNING (measuring and counting), PAUSED (the loop runs, the
// counters do not), STOPPED (the run has ended; a start begins a new run_id).
enum class SessionMode { Running, Paused, Stopped };
std::string session_mode_name(SessionMode mode);  // "RUNNING", "PAUSED", "STOPPED"

struct Intervention {
  std::string type;    // what to do: the interventions.yaml rule's type, e.g. "nudge", "pause", "break"
  std::string kind;    // why it fired: "rule" (a state held long enough) or "test" (POST /intervention/test)
  std::string reason;  // one line for a person, e.g. "DISTRACTED for 10.4 s (level 2 of 3)"
  int level = 0;       // escalation level, 1 = first
};

struct EventRecord {
  std::int64_t ts_us = 0;      // wall clock when the frame was processed, UTC microseconds
                               // (the log's `date` and partition are its UTC date)
  std::string session_id;
  std::string run_id;          // a new one at every start of the session
  SessionMode session_mode = SessionMode::Running;
  bool camera_on = true;
  FocusState state_raw = FocusState::Away;
  FocusState state_smooth = FocusState::Away;
  std::string policy_reason;   // why state_raw is what it is, e.g. "yaw +31.0 deg beyond 22.9"
  bool drowsy = false;
  bool intervention_fired = false;
  Intervention intervention;   // empty strings unless intervention_fired
  std::int64_t frame_index = 0;  // frame of the source (a camera counts the frames it delivered)
  double video_time_s = 0;       // the session clock: the video's timestamps, the camera's clock
  FrameFeatures features;
};

}  // namespace ethovid::focus
