// `focus report` (session_report.hpp) on a generated event log whose truth is known: time per
// state from RUNNING rows only, distractions and their lengths, the longest focused stretch,
// drowsy time, PERCLOS per minute, interventions by type, a gap in the log capped, the session
// filter, and the JSON and PNG written with provenance.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/focus/event_log.hpp"
#include "ethovid/focus/session_report.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

constexpr std::int64_t kStartUs = 1796400000LL * 1000000;  // 2026-12-04T16:00:00Z

// Session s1, run r1, 180 s at 10 rows/s:
//   0-60 FOCUSED, 60-75 DISTRACTED, 75-120 FOCUSED, 120-130 AWAY, 130-140 PAUSED (state
//   FOCUSED, not counted), 140-150 DISTRACTED, 150-180 FOCUSED; drowsy with eyes closed
//   (prob 0.9) in 160-170; logged PERCLOS 0.1 x the minute; nudges at 70 s (level 1) and
//   72.5 s (level 2), a test at 125 s.
// Run r2: 0-10 s FOCUSED, no rows from 10 to 20 s, 20-30 s FOCUSED.
// Session s2, run a: 5 s DISTRACTED, then 3 s with the camera off (still RUNNING).
void write_truth_log(const fs::path& dir) {
  EventLogWriter writer({dir, 1e9, 0, [] { return 0.0; }});
  auto base = [](const std::string& session, const std::string& run, int i, double t) {
    EventRecord r;
    r.session_id = session;
    r.run_id = run;
    r.ts_us = kStartUs + static_cast<std::int64_t>(std::llround(t * 1e6));
    r.video_time_s = t;
    r.frame_index = i;
    r.state_smooth = FocusState::Focused;
    r.features.eyes_closed_prob = 0.1;
    return r;
  };
  for (int i = 0; i < 1800; ++i) {
    const double t = i / 10.0;
    EventRecord r = base("s1", "r1", i, t);
    if ((i >= 600 && i < 750) || (i >= 1400 && i < 1500)) r.state_smooth = FocusState::Distracted;
    if (i >= 1200 && i < 1300) r.state_smooth = FocusState::Away;
    if (i >= 1300 && i < 1400) r.session_mode = SessionMode::Paused;
    if (i >= 1600 && i < 1700) {
      r.drowsy = true;
      r.features.eyes_closed_prob = 0.9;
    }
    r.features.perclos = 0.1 * (i / 600);
    if (i == 700 || i == 725) {
      r.intervention_fired = true;
      const int level = i == 700 ? 1 : 2;
      r.intervention = {"nudge", "rule",
                        "DISTRACTED for x s (level " + std::to_string(level) + " of 3)", level};
    }
    if (i == 1250) {
      r.intervention_fired = true;
      r.intervention = {"nudge", "test", "test intervention (POST /intervention/test)", 1};
    }
    writer.append(r);
  }
  for (int i = 0; i < 200; ++i) {
    const double t = i < 100 ? i / 10.0 : 20.0 + (i - 100) / 10.0;
    writer.append(base("s1", "r2", i, t));
  }
  for (int i = 0; i < 80; ++i) {
    EventRecord r = base("s2", "a", i, i / 10.0);
    r.state_smooth = FocusState::Distracted;
    if (i >= 50) r.camera_on = false;  // the camera turned off: says nothing of the person
    writer.append(r);
  }
  writer.close();
}

TEST(SessionReport, MatchesTheGeneratedTruth) {
  ScratchDir dir;
  write_truth_log(dir / "events");
  const core::Table log = read_event_log(dir / "events");
  const std::vector<SessionReport> sessions = build_session_report(log);
  ASSERT_EQ(sessions.size(), 2u);
  ASSERT_EQ(sessions[0].session_id, "s1");
  ASSERT_EQ(sessions[0].runs.size(), 2u);
  const RunReport& r = sessions[0].runs[0];
  EXPECT_EQ(r.run_id, "r1");
  EXPECT_EQ(r.rows, 1800u);
  EXPECT_NEAR(r.duration_s, 180.0, 1e-6);
  EXPECT_NEAR(r.running_s, 170.0, 1e-6);
  EXPECT_NEAR(r.paused_s, 10.0, 1e-6);
  EXPECT_NEAR(r.time_per_state_s.at("FOCUSED"), 135.0, 1e-6);
  EXPECT_NEAR(r.time_per_state_s.at("DISTRACTED"), 25.0, 1e-6);
  EXPECT_NEAR(r.time_per_state_s.at("AWAY"), 10.0, 1e-6);
  EXPECT_EQ(r.distractions.count, 2);
  ASSERT_EQ(r.distractions.lengths_s.size(), 2u);
  EXPECT_NEAR(r.distractions.lengths_s[0], 15.0, 1e-6);
  EXPECT_NEAR(r.distractions.lengths_s[1], 10.0, 1e-6);
  EXPECT_NEAR(r.distractions.mean_s, 12.5, 1e-6);
  EXPECT_NEAR(r.distractions.median_s, 12.5, 1e-6);
  EXPECT_NEAR(r.distractions.longest_s, 15.0, 1e-6);
  EXPECT_NEAR(r.longest_focused_s, 60.0, 1e-6);
  EXPECT_NEAR(r.drowsy_s, 10.0, 1e-6);
  ASSERT_EQ(r.perclos_per_minute.size(), 3u);
  for (int m = 0; m < 3; ++m) {
    EXPECT_EQ(r.perclos_per_minute[m].minute, m);
    EXPECT_NEAR(r.perclos_per_minute[m].perclos_mean, 0.1 * m, 1e-9);
  }
  EXPECT_NEAR(r.perclos_per_minute[2].running_s, 50.0, 1e-6);  // 10 s of minute 2 paused
  EXPECT_NEAR(r.perclos_per_minute[2].eyes_closed_share, 10.0 / 50.0, 1e-6);
  EXPECT_NEAR(r.perclos_per_minute[0].eyes_closed_share, 0.0, 1e-12);
  ASSERT_EQ(r.interventions.size(), 3u);
  EXPECT_NEAR(r.interventions[0].at_s, 70.0, 1e-6);
  EXPECT_EQ(r.interventions[1].level, 2);
  EXPECT_EQ(r.interventions[2].kind, "test");
  // The timeline: the seven stretches, in order, ending where the run does.
  ASSERT_EQ(r.timeline.size(), 7u);
  const char* labels[] = {"FOCUSED", "DISTRACTED", "FOCUSED", "AWAY",
                          "PAUSED",  "DISTRACTED", "FOCUSED"};
  const double starts[] = {0, 60, 75, 120, 130, 140, 150};
  for (int k = 0; k < 7; ++k) {
    EXPECT_EQ(r.timeline[k].state, labels[k]);
    EXPECT_NEAR(r.timeline[k].start_s, starts[k], 1e-6);
  }
  EXPECT_NEAR(r.timeline.back().end_s, 180.0, 1e-6);

  // Run r2: the 10 s hole in the log counts only max_gap_s (2 s).
  const RunReport& r2 = sessions[0].runs[1];
  EXPECT_NEAR(r2.time_per_state_s.at("FOCUSED"), 9.9 + 2.0 + 9.9 + 0.1, 1e-6);
  EXPECT_NEAR(r2.duration_s, 30.0, 1e-6);
  EXPECT_NEAR(r2.unlogged_s, 30.0 - 21.9, 1e-6);
  EXPECT_NEAR(r.unlogged_s, 0.0, 1e-6);
  EXPECT_EQ(r2.distractions.count, 0);
  // The hole shows in the timeline: FOCUSED 0-11.9 s (the last row before it counts 2 s), then
  // FOCUSED again from 20 s.
  ASSERT_EQ(r2.timeline.size(), 2u);
  EXPECT_NEAR(r2.timeline[0].end_s, 11.9, 1e-6);
  EXPECT_NEAR(r2.timeline[1].start_s, 20.0, 1e-6);
  // A larger cap credits the hole.
  ReportOptions wide;
  wide.max_gap_s = 20;
  EXPECT_NEAR(build_session_report(log, wide)[0].runs[1].time_per_state_s.at("FOCUSED"), 30.0,
              1e-6);

  const RunReport& s2 = sessions[1].runs[0];
  EXPECT_EQ(sessions[1].session_id, "s2");
  EXPECT_NEAR(s2.time_per_state_s.at("DISTRACTED"), 5.0, 1e-6);
  EXPECT_NEAR(s2.camera_off_s, 3.0, 1e-6);
  EXPECT_NEAR(s2.running_s, 5.0, 1e-6);
  EXPECT_NEAR(s2.duration_s, 8.0, 1e-6);
  ASSERT_EQ(s2.timeline.size(), 2u);
  EXPECT_EQ(s2.timeline[1].state, "CAMERA_OFF");
  EXPECT_EQ(s2.distractions.count, 1);
  EXPECT_NEAR(s2.longest_focused_s, 0.0, 1e-12);
}

TEST(SessionReport, WritesJsonWithProvenanceAndATimelinePng) {
  ScratchDir dir;
  write_truth_log(dir / "events");
  ReportOptions options;
  options.session_id = "s1";
  std::vector<SessionReport> built;
  write_session_report(dir / "events", dir / "out", options, &built);
  ASSERT_EQ(built.size(), 1u);
  const core::Json j = core::read_json(dir / "out" / "focus_report.json");
  ASSERT_EQ(j["sessions"].size(), 1u);
  const core::Json& s = j["sessions"][0];
  EXPECT_EQ(s["session_id"], "s1");
  EXPECT_EQ(s["totals"]["runs"], 2);
  EXPECT_NEAR(s["totals"]["time_per_state_s"]["FOCUSED"].get<double>(), 135.0 + 21.9, 1e-6);
  EXPECT_EQ(s["totals"]["distractions"]["count"], 2);
  EXPECT_EQ(s["totals"]["interventions"]["by_type"]["nudge"], 3);
  const core::Json& run = s["runs"][0];
  EXPECT_EQ(run["run_id"], "r1");
  EXPECT_NEAR(run["time_per_state_s"]["DISTRACTED"].get<double>(), 25.0, 1e-6);
  EXPECT_NEAR(run["share_per_state"]["AWAY"].get<double>(), 10.0 / 170.0, 1e-6);
  EXPECT_NEAR(run["distractions"]["median_s"].get<double>(), 12.5, 1e-6);
  EXPECT_NEAR(run["longest_focused_s"].get<double>(), 60.0, 1e-6);
  EXPECT_NEAR(run["drowsy_s"].get<double>(), 10.0, 1e-6);
  EXPECT_EQ(run["perclos_per_minute"].size(), 3u);
  EXPECT_EQ(run["interventions"]["fired"][1]["reason"], "DISTRACTED for x s (level 2 of 3)");
  EXPECT_EQ(run["start_utc"], "2026-12-04T16:00:00Z");
  EXPECT_EQ(j["provenance"]["inputs"].size(), 3u);  // one flush, one date, three runs: 3 parts
  EXPECT_EQ(j["provenance"]["parameters"]["session_id"], "s1");
  const cv::Mat png = cv::imread((dir / "out" / "focus_timeline.png").string());
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.rows, 2 * (120 + 280));  // one panel (state strip + PERCLOS) per run of s1
  EXPECT_EQ(png.cols, 1000);
}

TEST(SessionReport, UnknownSessionAndMissingColumnsAreTypedErrors) {
  ScratchDir dir;
  write_truth_log(dir / "events");
  ReportOptions options;
  options.session_id = "nobody";
  test::expect_error<ConfigError>(
      [&] { write_session_report(dir / "events", dir / "out", options); }, {"'nobody'", "s1, s2"});
  const core::Table partial = read_event_log(dir / "events", {"ts", "session_id", "run_id"});
  test::expect_error<FormatError>([&] { build_session_report(partial); },
                                  {"session_mode", "state_smooth", "video_time_s", "perclos"});
  test::expect_error<MissingInputError>([&] { write_session_report(dir / "nothing", dir / "out"); },
                                        {(dir / "nothing").string()});
}

}  // namespace
}  // namespace ethovid::focus
