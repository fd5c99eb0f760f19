#pragma once
// `ethovid focus report EVENTS_DIR`: a session summary from the event log (issue 12 §4), per
// session and per run: duration, time per state, distractions and their lengths, the longest
// focused stretch, PERCLOS per minute, drowsy time and the interventions, as focus_report.json
// (with provenance) and a PNG timeline (focus_timeline.png: state bands, PERCLOS, intervention
// marks).
//
// Time is measured on the session clock (video_time_s), the clock the policy and interventions
// run on: a recording analysed faster than real time has wall-clock ts gaps far shorter than
// the frames it covers. Each row counts from its own time until the next row of its run, capped
// at `max_gap_s` (or 1.5 x the run's median gap when rows are sparser, as with log_hz), so a
// stall or a gap in the log is not credited to one state; the run's last row counts the median
// gap. Only RUNNING rows with the camera on count towards states, distractions, drowsy time and
// PERCLOS; PAUSED and STOPPED rows count as paused time, camera-off rows as camera-off time.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/table.hpp"

namespace ethovid::focus {

struct ReportOptions {
  std::optional<std::string> session_id;  // only this session; all when empty
  double max_gap_s = 2.0;                 // the most one row counts for (> 0)
};

struct StretchStats {
  int count = 0;
  double mean_s = 0, median_s = 0, longest_s = 0;
  std::vector<double> lengths_s;  // in the order they happened
};

struct PerclosMinute {
  int minute = 0;                // from the run's start
  double perclos_mean = 0;       // mean of the logged rolling PERCLOS (NaN when none was known)
  double eyes_closed_share = 0;  // share of this minute's running time with eyes >= 80 % closed
  double running_s = 0;          // running time in this minute
};

struct ReportIntervention {
  double at_s = 0;  // from the run's start, session clock
  std::string type, kind, reason;
  std::int64_t level = 0;
};

struct TimelineSegment {
  std::string state;              // FOCUSED / DISTRACTED / AWAY, or PAUSED / STOPPED / CAMERA_OFF
  double start_s = 0, end_s = 0;  // from the run's start
};

struct RunReport {
  std::string session_id, run_id;
  std::string start_utc, end_utc;  // wall clock of the first and last row
  std::size_t rows = 0;
  double start_video_s = 0;  // the session clock at the run's first row
  double duration_s = 0;     // session clock, first row to the end of the last
  double running_s = 0, paused_s = 0;
  double camera_off_s = 0;  // RUNNING rows with the camera off (not counted as any state)
  double unlogged_s = 0;  // duration minus the time rows count for: gaps in the log beyond the cap
  std::map<std::string, double> time_per_state_s;  // FOCUSED, DISTRACTED, AWAY (always present)
  StretchStats distractions;
  double longest_focused_s = 0;
  std::vector<PerclosMinute> perclos_per_minute;
  double drowsy_s = 0;
  std::vector<ReportIntervention> interventions;
  std::vector<TimelineSegment> timeline;
};

struct SessionReport {
  std::string session_id;
  std::vector<RunReport> runs;
};

// The report of a log read by read_event_log (every column it needs: FormatError naming the
// missing ones). ConfigError when the session asked for is not in the log (naming the ones
// that are) or max_gap_s is not positive.
std::vector<SessionReport> build_session_report(const core::Table& log,
                                                const ReportOptions& options = {});

// The summary as focus_report.json holds it (without provenance).
core::Json report_json(const std::vector<SessionReport>& sessions);

// Reads EVENTS_DIR, writes OUT/focus_report.json (report_json + "events_dir", "provenance") and
// OUT/focus_timeline.png (one panel per run), creating OUT. Returns the JSON written; the
// sessions reported also go to `built` when given (for report_text).
core::Json write_session_report(const std::filesystem::path& events_dir,
                                const std::filesystem::path& out_dir,
                                const ReportOptions& options = {},
                                std::vector<SessionReport>* built = nullptr);

// A few lines for a person: per session and run, duration, time per state, distractions,
// longest focused stretch, drowsy time and interventions.
std::string report_text(const std::vector<SessionReport>& sessions);

}  // namespace ethovid::focus
