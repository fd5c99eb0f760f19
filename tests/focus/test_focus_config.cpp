// app.yaml for `focus run` (focus_config.cpp): every key lands on its option, relative paths are
// relative to the file, and a typo or a wrong type is a ConfigError naming the file, the key and
// its line.
#include <gtest/gtest.h>

#include <fstream>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/focus_session.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

std::filesystem::path write(const test::ScratchDir& dir, const std::string& text) {
  const auto path = dir / "app.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(FocusConfig, EveryKeyLandsOnItsOption) {
  test::ScratchDir dir;
  const auto file = write(dir, R"(
source: {video: clips/a.mp4, realtime: true, fps: 25}
events_dir: logs
session_id: alice
flush_s: 2
log_hz: 10
policy: rules
rules: {nose_offset_threshold: 0.12, window_frames: 15}
calibrated: {yaw_limit_rad: 0.5, away_after_s: 3}
smoothing: {time_constant_s: 0.5, enter: 0.7, leave: 0.3}
drowsy: {eyes_closed_s: 1.5, perclos_above: 0.2}
features: {redetect_every: 10, eye_network: false}
)");
  SessionOptions o;
  apply_focus_config(file, o);
  EXPECT_EQ(o.source.video, (dir / "clips/a.mp4").string());
  EXPECT_TRUE(o.source.realtime);
  EXPECT_EQ(o.source.fps, 25);
  EXPECT_EQ(o.events_dir, dir / "logs");
  EXPECT_EQ(o.session_id, "alice");
  EXPECT_EQ(o.flush_s, 2);
  EXPECT_EQ(o.log_hz, 10);
  EXPECT_EQ(o.policy.kind, PolicyKind::Rules);
  EXPECT_EQ(o.policy.rules.nose_offset_threshold, 0.12);
  EXPECT_EQ(o.policy.calibrated.yaw_limit_rad, 0.5);
  EXPECT_EQ(o.policy.calibrated.pitch_limit_rad, 0.31) << "keys not given keep their defaults";
  EXPECT_EQ(o.policy.calibrated.away_after_s, 3);
  EXPECT_EQ(o.policy.smoothing.enter, 0.7);
  EXPECT_EQ(o.policy.drowsy.perclos_above, 0.2);
  EXPECT_EQ(o.features.redetect_every, 10);
  EXPECT_FALSE(o.features.eye_network);
  // A window in frames is a window in seconds at the source's rate.
  EXPECT_DOUBLE_EQ(with_window_in_seconds(o.policy, 25).rules.window_s, 0.6);
  EXPECT_DOUBLE_EQ(with_window_in_seconds(o.policy, 0).rules.window_s, 0.5)
      << "30 fps when unknown";
}

TEST(FocusConfig, TyposAndWrongTypesNameTheFileAndKey) {
  test::ScratchDir dir;
  SessionOptions o;
  test::expect_error<ConfigError>([&] { apply_focus_config(write(dir, "polcy: rules\n"), o); },
                                  {"app.yaml", "polcy", "allowed"});
  test::expect_error<ConfigError>(
      [&] { apply_focus_config(write(dir, "calibrated:\n  yaw_limit: 0.3\n"), o); },
      {"app.yaml", "yaw_limit", "'calibrated'"});
  test::expect_error<ConfigError>([&] { apply_focus_config(write(dir, "flush_s: soon\n"), o); },
                                  {"app.yaml", "flush_s", "line 1", "wrong type"});
  test::expect_error<ConfigError>([&] { apply_focus_config(write(dir, "policy: magic\n"), o); },
                                  {"magic"});
  test::expect_error<MissingInputError>([&] { apply_focus_config(dir / "none.yaml", o); },
                                        {"none.yaml"});
}

}  // namespace
}  // namespace ethovid::focus
