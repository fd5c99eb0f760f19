// PERCLOS, blinks and closure time (eye_activity.hpp) on generated eye signals with known truth,
// at different frame rates: the measures are shares of time, not of frames.
#include <gtest/gtest.h>

#include <cmath>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/eye_activity.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

TEST(EyeActivity, PerclosIsTheShareOfTimeClosedWhateverTheFrameRate) {
  // Closed for 0.9 s of every 6 s (15 %), for two minutes: PERCLOS over the last minute is 0.15
  // at 30 fps and at 7 fps; the closures are longer than blinks, so no blinks are counted.
  for (const double fps : {30.0, 7.0}) {
    EyeActivity eyes;
    EyeActivityValues v{};
    for (int i = 0; i / fps < 120; ++i) {
      const double t = i / fps;
      v = eyes.update(t, std::fmod(t, 6.0) < 0.9 ? 0.95 : 0.1);
    }
    EXPECT_NEAR(v.perclos, 0.15, 1.5 / fps / 6 + 1e-3) << fps;
    EXPECT_EQ(v.blink_rate_per_min, 0.0) << fps;
  }
}

TEST(EyeActivity, ShortClosuresAreBlinksCountedPerMinute) {
  // A blink of 6 frames at 30 fps (0.2 s) every 4 s: 15 blinks per minute; the closure time grows
  // while the eyes are shut.
  EyeActivity eyes;
  EyeActivityValues v{};
  double longest = 0;
  for (int i = 0; i < 30 * 90; ++i) {
    const double t = i / 30.0;
    v = eyes.update(t, i % 120 < 6 ? 0.9 : 0.05);
    longest = std::max(longest, v.closed_s);
  }
  EXPECT_NEAR(v.blink_rate_per_min, 15, 0.5);
  EXPECT_NEAR(longest, 0.2 - 1 / 30.0, 1e-9);
}

TEST(EyeActivity, FramesWithoutAFaceAddNoTime) {
  // 10 s measured (open), then 50 s without a face: PERCLOS stays 0, based on measured time only;
  // before min_measured_s it is unknown.
  EyeActivity eyes;
  EXPECT_TRUE(std::isnan(eyes.update(0, 0.0).perclos));
  EyeActivityValues v{};
  for (int i = 1; i <= 300; ++i) v = eyes.update(i / 30.0, 0.0);
  for (int i = 301; i <= 1800; ++i) v = eyes.update(i / 30.0, NAN);
  EXPECT_EQ(v.perclos, 0.0);
  EXPECT_TRUE(std::isnan(v.closed_s));
  test::expect_error<ConfigError>([] { EyeActivity(EyeActivityOptions{.window_s = 0}); },
                                  {"window_s"});
}

TEST(OpenEyeReference, TheMedianOfRecentFramesIgnoresBlinks) {
  OpenEyeReference reference;
  EXPECT_DOUBLE_EQ(reference.value(), 0.30) << "the default until enough frames";
  for (int i = 0; i < 600; ++i) reference.add(i / 30.0, i % 10 == 0 ? 0.05 : 0.22);
  EXPECT_NEAR(reference.value(), 0.22, 0.005);
}

}  // namespace
}  // namespace ethovid::focus
