// The live loop (focus_session.hpp) on a generated recording with no face in it: the states, the
// interventions of an interventions.yaml and the session modes reach the event log and the hub as
// the issue says (AWAY from 2.25 s; a rule on AWAY held 2 s fires at 4.25 s; a pause_session rule
// pauses the session and its later rows say PAUSED; commands posted to the hub are obeyed).
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/videoio.hpp>
#include <set>

#include "ethovid/core/table.hpp"
#include "ethovid/focus/event_log.hpp"
#include "ethovid/focus/focus_session.hpp"
#include "ethovid/focus/session_hub.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;

// `seconds` of an empty gray room at 30 fps.
fs::path empty_room(const test::ScratchDir& dir, double seconds) {
  const fs::path path = dir / "room.avi";
  cv::VideoWriter writer(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30,
                         {160, 120});
  EXPECT_TRUE(writer.isOpened());
  const cv::Mat frame(120, 160, CV_8UC3, cv::Scalar(90, 100, 110));
  for (int i = 0; i < seconds * 30; ++i) writer.write(frame);
  return path;
}

SessionOptions options_for(const test::ScratchDir& dir, const fs::path& video) {
  SessionOptions o;
  o.source.video = video.string();
  o.events_dir = dir / "events";
  o.session_id = "room";
  o.progress = false;
  std::ofstream(dir / "interventions.yaml") << R"(
interventions:
  - {name: away_nudge, when: AWAY, after_s: 2, type: nudge}
  - {name: away_pause, when: AWAY, after_s: 6, type: pause, pause_session: true}
)";
  o.interventions = dir / "interventions.yaml";
  return o;
}

TEST(FocusSession, StatesInterventionsAndAPausingRuleReachTheLogAndTheHub) {
  test::ScratchDir dir;
  const SessionOptions o = options_for(dir, empty_room(dir, 10));
  SessionHub hub;
  const SessionResult r = run_focus_session(o, &hub);
  EXPECT_EQ(r.frames_processed, 300);
  EXPECT_EQ(r.rows_logged, 300);

  const core::Table log = read_event_log(o.events_dir);
  const auto& t = log.column("video_time_s").f64;
  const auto& state = log.column("state_smooth").str;
  const auto& mode = log.column("session_mode").str;
  const auto& fired = log.column("intervention_fired").i8;
  const auto& type = log.column("intervention_type").str;
  std::vector<std::pair<double, std::string>> interventions;
  for (std::size_t i = 0; i < log.rows(); ++i) {
    EXPECT_EQ(state[i], t[i] < 2.2 ? "FOCUSED" : t[i] > 2.3 ? "AWAY" : state[i]) << t[i];
    if (fired[i]) interventions.emplace_back(t[i], type[i]);
  }
  // Each within two frames of its time (a hold of exactly 6 s can round to the next frame).
  ASSERT_EQ(interventions.size(), 2u);
  EXPECT_NEAR(interventions[0].first, 4.25, 0.07);
  EXPECT_EQ(interventions[0].second, "nudge");
  EXPECT_NEAR(interventions[1].first, 8.25, 0.07);
  EXPECT_EQ(interventions[1].second, "pause");
  for (std::size_t i = 0; i < log.rows(); ++i) {  // the firing frame itself was still RUNNING
    EXPECT_EQ(mode[i], t[i] <= interventions[1].first ? "RUNNING" : "PAUSED") << t[i];
  }

  // The hub saw the state change, both interventions and the pause, in that order.
  std::vector<std::string> events;
  for (const HubEvent& e : hub.wait_events(0, std::chrono::milliseconds(0))) {
    events.push_back(e.type +
                     (e.type == "session" ? ":" + e.data["session_mode"].get<std::string>() : ""));
  }
  const std::vector<std::string> expected = {"session:RUNNING", "state",        "state",
                                             "intervention",    "intervention", "session:PAUSED",
                                             "session:STOPPED"};
  EXPECT_EQ(events, expected);
  EXPECT_EQ(hub.status()["session_mode"], "STOPPED");
  EXPECT_EQ(hub.status()["counters"]["interventions"], 2);
}

TEST(FocusSession, AStopThenAStartIsANewRunAndATestInterventionIsLogged) {
  test::ScratchDir dir;
  const SessionOptions o = options_for(dir, empty_room(dir, 1));
  SessionHub hub;
  hub.post_command(ControlCommand::Stop);
  hub.post_command(ControlCommand::Start);
  hub.post_command(ControlCommand::TestIntervention);
  const SessionResult r = run_focus_session(o, &hub);
  EXPECT_EQ(r.runs, 2);
  const core::Table log = read_event_log(o.events_dir);
  EXPECT_EQ(log.rows(), 30u);
  const std::set<std::string> runs(log.column("run_id").str.begin(),
                                   log.column("run_id").str.end());
  EXPECT_EQ(runs.size(), 1u) << "the first run ended before its first row";
  EXPECT_EQ(log.column("intervention_kind").str.front(), "test");
  EXPECT_EQ(log.column("intervention_fired").i8.front(), 1);
}

}  // namespace
}  // namespace ethovid::focus
