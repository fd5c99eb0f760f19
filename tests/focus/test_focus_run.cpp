// `ethovid focus run` end to end through the real CLI: typed one-line errors for a missing camera
// or video; on a shared clip, the event log's partitioned layout and columns, one row per frame,
// the states of a person facing the camera, and the privacy promise (the run writes nothing but
// the log's Parquet parts: no frame, crop or landmark image anywhere). A run killed with SIGKILL
// leaves only complete parts. Shared-data tests skip with a message when ../shared/data is absent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "ethovid/core/table.hpp"
#include "ethovid/focus/event_log.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> clip(const std::string& name) {
  const auto data = test::shared_data_dir();
  if (!data || !fs::exists(*data / "face_video" / name)) return std::nullopt;
  return *data / "face_video" / name;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(FocusRun, AMissingCameraOrVideoIsAOneLineTypedError) {
  test::ScratchDir dir;
  const auto camera =
      test::run_ethovid("focus run --camera 57 --no-server --events " + quoted(dir / "events"));
  EXPECT_EQ(camera.exit_code, 2) << camera.output;
  EXPECT_NE(camera.output.find("/dev/video57"), std::string::npos) << camera.output;
  const auto video = test::run_ethovid("focus run --video " + quoted(dir / "nope.mp4") +
                                       " --no-server --events " + quoted(dir / "events"));
  EXPECT_EQ(video.exit_code, 2) << video.output;
  EXPECT_NE(video.output.find("nope.mp4"), std::string::npos) << video.output;
  EXPECT_EQ(std::count(video.output.begin(), video.output.end(), '\n'), 1) << video.output;
  EXPECT_FALSE(fs::exists(dir / "events")) << "nothing is written before the source opens";
  const auto both = test::run_ethovid("focus run --camera 0 --video x.mp4 --no-server");
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

// True when `bytes` holds a JPEG or PNG signature: an image that should not be there.
bool holds_image(const std::string& bytes) {
  static const std::string jpeg("\xFF\xD8\xFF", 3), png("\x89PNG\r\n\x1a\n", 8);
  for (std::size_t at = bytes.find(jpeg); at != std::string::npos; at = bytes.find(jpeg, at + 1)) {
    const unsigned char marker = static_cast<unsigned char>(bytes[at + 3]);
    if (marker == 0xE0 || marker == 0xE1 || marker == 0xDB) return true;  // JFIF, Exif, quant table
  }
  return bytes.find(png) != std::string::npos;
}

TEST(FocusRun, ARecordingGivesOneRowPerFrameInThePartitionedLogAndNothingElse) {
  const auto video = clip("liveportrait_d18.mp4");
  if (!video) GTEST_SKIP() << "../shared/data/face_video/liveportrait_d18.mp4 not found; skipping";
  test::ScratchDir dir;
  const auto r = test::run_ethovid("focus run --video " + quoted(*video) +
                                   " --no-server --session-id clip18 --events " +
                                   quoted(dir / "events") + " --flush-s 0.2");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // Privacy: every file the run wrote is a Parquet part of the log, and none holds an image.
  int parts = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), dir.path());
    EXPECT_EQ(rel.begin()->string(), "events") << rel;
    EXPECT_EQ(rel.parent_path().filename().string().rfind("date=", 0), 0u) << rel;
    EXPECT_EQ(rel.filename().string().rfind("part-", 0), 0u) << rel;
    EXPECT_EQ(rel.extension(), ".parquet") << rel;
    const std::string bytes = test::read_file(entry.path());
    EXPECT_EQ(bytes.substr(0, 4), "PAR1") << rel;
    EXPECT_FALSE(holds_image(bytes)) << rel << " holds image bytes";
    ++parts;
  }
  EXPECT_GE(parts, 1);

  const core::Table log = read_event_log(dir / "events");
  EXPECT_EQ(log.rows(), 216u) << "one row per frame of the 216-frame clip";
  const std::vector<std::string> reference = {"ts",
                                              "date",
                                              "session_id",
                                              "run_id",
                                              "session_mode",
                                              "camera_on",
                                              "face_present",
                                              "nose_offset_abs",
                                              "nose_offset_signed",
                                              "state_raw",
                                              "state_smooth",
                                              "intervention_fired",
                                              "intervention_type",
                                              "policy_reason",
                                              "intervention_kind",
                                              "intervention_reason"};
  for (std::size_t i = 0; i < reference.size(); ++i)
    EXPECT_TRUE(log.has(reference[i])) << reference[i];
  for (const char* name :
       {"frame_index", "video_time_s", "head_yaw_deg", "perclos", "eyes_closed_prob"}) {
    EXPECT_TRUE(log.has(name)) << name;
  }
  const auto& states = log.column("state_smooth").str;
  const auto& t = log.column("video_time_s").f64;
  int focused = 0, counted = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (t[i] < 3) continue;
    ++counted;
    focused += states[i] == "FOCUSED";
  }
  EXPECT_GE(focused, 0.9 * counted);
  EXPECT_EQ(log.column("session_id").str.front(), "clip18");
  EXPECT_NE(r.output.find("216 frames"), std::string::npos) << r.output;
}

TEST(FocusRun, AVariableRateFileKeepsItsOwnClock) {
  // The 7.2 s clip with two frames in three dropped after 2 s (timestamps kept): the log's clock
  // still covers 7.2 s, not frames / fps.
  const auto video = clip("liveportrait_d18.mp4");
  if (!video) GTEST_SKIP() << "../shared/data/face_video/liveportrait_d18.mp4 not found; skipping";
  test::ScratchDir dir;
  const fs::path vfr = dir / "vfr.mkv";
  const std::string make =
      "ffmpeg -v error -y -i " + quoted(*video) +
      " -an -vf \"select='lt(t,2)+not(mod(n,3))'\" -fps_mode vfr -c:v libx264 " + quoted(vfr);
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  const auto r = test::run_ethovid("focus run --video " + quoted(vfr) + " --no-server --events " +
                                   quoted(dir / "events"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const core::Table log = read_event_log(dir / "events", {"video_time_s"});
  const auto& t = log.column("video_time_s").f64;
  EXPECT_LT(log.rows(), 130u) << "frames were dropped";
  const double end = *std::max_element(t.begin(), t.end());
  EXPECT_GT(end, 6.8) << "frames / fps would say " << log.rows() / 30.0 << " s";
  EXPECT_LT(end, 7.2);
}

TEST(FocusRun, KilledWithSigkillItLeavesOnlyCompleteParts) {
  const auto video = clip("liveportrait_d6.mp4");
  if (!video) GTEST_SKIP() << "../shared/data/face_video/liveportrait_d6.mp4 not found; skipping";
  test::ScratchDir dir;
  for (const int after_ms : {1700, 2900}) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string events = (dir / "events").string();
      execl(ETHOVID_BINARY, ETHOVID_BINARY, "focus", "run", "--video", video->c_str(), "--realtime",
            "--no-server", "--flush-s", "0.5", "--events", events.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  // Every visible part reads (the exact hive-partitioned query of the docs), and the rows of both
  // runs are there up to the last flush before each kill.
  const core::Table log = read_event_log(dir / "events", {"run_id", "video_time_s"});
  std::set<std::string> runs(log.column("run_id").str.begin(), log.column("run_id").str.end());
  EXPECT_EQ(runs.size(), 2u);
  EXPECT_GE(log.rows(), 30u);
}

}  // namespace
}  // namespace ethovid::focus
