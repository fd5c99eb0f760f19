// Counters and the timeline of a run (session_tracker.hpp), on timestamps.
#include <gtest/gtest.h>

#include "ethovid/focus/session_tracker.hpp"

namespace ethovid::focus {
namespace {

TEST(SessionTracker, TimePerStateDistractionsAndTheLongestFocusedStretch) {
  // 10 s focused, 2 s distracted, 20 s focused, 3 s away, 5 s distracted, at 10 fps; paused for
  // 5 s inside the second focused stretch (not counted, and it splits the stretch).
  SessionTracker tracker;
  int changes = 0;
  for (int i = 0; i <= 400; ++i) {
    const double t = i / 10.0;
    FocusState s = FocusState::Focused;
    if (t >= 10 && t < 12) s = FocusState::Distracted;
    if (t >= 32 && t < 35) s = FocusState::Away;
    if (t >= 35) s = FocusState::Distracted;
    const bool counting = !(t >= 20 && t < 25);
    if (tracker.on_frame(t, s, counting)) ++changes;
  }
  const SessionCounters& c = tracker.counters();
  EXPECT_NEAR(c.focused_s, 10 + 20 - 5, 0.11);
  EXPECT_NEAR(c.distracted_s, 2 + 5, 0.11);
  EXPECT_NEAR(c.away_s, 3, 0.11);
  EXPECT_EQ(c.distractions, 2);
  EXPECT_NEAR(c.longest_focused_s, 10, 0.11) << "the pause split the 20 s stretch into 8 and 7 s";
  EXPECT_EQ(changes, 5);
  EXPECT_EQ(tracker.timeline().size(), 5u);
  EXPECT_EQ(tracker.timeline()[3]["state"], "AWAY");
  EXPECT_DOUBLE_EQ(tracker.timeline()[3]["start_s"].get<double>(), 32.0);
  EXPECT_DOUBLE_EQ(tracker.timeline()[3]["end_s"].get<double>(), 35.0);
  tracker.restart();
  EXPECT_EQ(tracker.counters().distractions, 0);
  EXPECT_FALSE(tracker.state());
}

}  // namespace
}  // namespace ethovid::focus
