// The focus stage's smoothing (state_smoothing.hpp) runs on timestamps: the same input signal
// sampled at 30 fps, at 10 fps or with frames dropped gives the same states at the same times;
// the filter has the first-order step response; hysteresis does not flicker on a noisy score.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/state_smoothing.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

TEST(ScoreFilter, StepResponseIsFirstOrderWhateverTheFrameRate) {
  // A score that jumps from 0 to 1 at t = 1 s, sampled at 30 fps, at 7 fps and at 30 fps with
  // most frames dropped: at every sample after the jump the output is 1 - e^(-(t - t_jump)/tau)
  // (with t_jump the first sample at or after 1 s).
  std::mt19937 random(3);
  for (const double fps : {30.0, 7.0, -30.0}) {
    ScoreFilter filter(0.25);
    std::optional<double> jump;
    for (int i = 0; i < 200; ++i) {
      const double t = i / std::abs(fps);
      if (fps < 0 && random() % 4 != 0) continue;  // three frames in four dropped
      const double x = t >= 1.0 ? 1.0 : 0.0;
      const double y = filter.update(t, x);
      if (x == 1 && !jump) jump = t;
      if (jump) {
        ASSERT_NEAR(y, 1 - std::exp(-(t - *jump) / 0.25), 1e-12) << "fps " << fps << ", t " << t;
      } else {
        ASSERT_EQ(y, 0.0);
      }
    }
  }
  ScoreFilter filter;
  EXPECT_FALSE(filter.value());
  filter.update(2.0, 0.5);
  EXPECT_EQ(filter.update(2.0, 1.0), 0.5) << "a repeated timestamp changes nothing yet";
  EXPECT_EQ(filter.update(1.0, 1.0), 0.5) << "nor does one that goes back";
  EXPECT_NEAR(filter.update(2.25, 1.0), 1 - 0.5 * std::exp(-1.0), 1e-12) << "the newest score was held";
  test::expect_error<ConfigError>([] { ScoreFilter(0); }, {"time constant", "> 0"});
}

TEST(Hysteresis, ANoisyScoreBetweenTheThresholdsDoesNotFlicker) {
  Hysteresis h;  // 0.63 / 0.37
  std::mt19937 random(5);
  std::uniform_real_distribution<double> noise(-0.12, 0.12);
  int changes = 0;
  bool before = h.distracted();
  for (int i = 0; i < 1000; ++i) {  // 0.5 +- 0.12 never crosses either threshold
    if (h.update(0.5 + noise(random)) != before) ++changes, before = !before;
  }
  EXPECT_EQ(changes, 0);
  EXPECT_TRUE(h.update(0.64));
  EXPECT_TRUE(h.update(0.40)) << "still distracted until below 0.37";
  EXPECT_FALSE(h.update(0.36));
  test::expect_error<ConfigError>([] { Hysteresis(0.4, 0.5); }, {"leave 0.5", "enter 0.4"});
}

// Raw states of a session in time: focused, a 0.3 s glance away (too short for a 1 s window),
// 3 s distracted, then focused again.
FocusState raw_at(double t) {
  if (t >= 2.0 && t < 2.3) return FocusState::Distracted;
  if (t >= 5.0 && t < 8.0) return FocusState::Distracted;
  return FocusState::Focused;
}

std::vector<std::pair<double, FocusState>> smoothed(double fps, int keep_one_in) {
  MajorityWindow window(1.0);
  std::vector<std::pair<double, FocusState>> out;
  for (int i = 0; i / fps < 10; ++i) {
    if (i % keep_one_in != 0) continue;
    const double t = i / fps;
    out.emplace_back(t, window.update(t, raw_at(t)));
  }
  return out;
}

TEST(MajorityWindow, TheWindowIsInSecondsSoDroppedFramesChangeNothing) {
  for (const auto& [fps, keep] : {std::pair{30.0, 1}, std::pair{30.0, 3}, std::pair{12.0, 1}}) {
    for (const auto& [t, state] : smoothed(fps, keep)) {
      // The glance never shows; the 3 s spell shows from about half a window in until half a
      // window after it ends.
      const bool distracted = state == FocusState::Distracted;
      if (t < 5.45 || t > 8.6) {
        ASSERT_FALSE(distracted) << "fps " << fps << " keep 1/" << keep << ", t " << t;
      } else if (t > 5.6 && t < 8.45) {
        ASSERT_TRUE(distracted) << "fps " << fps << " keep 1/" << keep << ", t " << t;
      }
    }
  }
  EXPECT_EQ(state_name(FocusState::Away), "AWAY");
  test::expect_error<ConfigError>([] { MajorityWindow(0); }, {"window", "> 0"});
}

}  // namespace
}  // namespace ethovid::focus
