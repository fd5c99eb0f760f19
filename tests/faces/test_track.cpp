// `faces track` through the real CLI: option errors on generated input, and the real talking-head
// video in ../shared/data (one person on screen: one dominant track).
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/videoio.hpp>

#include "ethovid/core/json_file.hpp"
#include "test_support.hpp"

namespace ethovid {
namespace {

namespace fs = std::filesystem;

TEST(FacesTrack, BadOptionsAndInputsAreBadInput) {
  test::ScratchDir dir;
  auto r = test::run_ethovid("faces track '" + (dir / "missing.mp4").string() + "' --output '" +
                             (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("missing.mp4"), std::string::npos) << r.output;

  // A small blank video: fine to open, so the option checks are what fails.
  const fs::path video = dir / "blank.avi";
  cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, {64, 48});
  for (int i = 0; i < 5; ++i) writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(40, 40, 40)));
  writer.release();
  r = test::run_ethovid("faces track '" + video.string() + "' --stride 0 --output '" +
                        (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--stride 0"), std::string::npos) << r.output;
  r = test::run_ethovid("faces track '" + video.string() + "' --low-score 0.9 --high-score 0.5 --output '" +
                        (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;

  // No faces: an empty tracks.jsonl and a summary that says so.
  r = test::run_ethovid("faces track '" + video.string() + "' --output '" + (dir / "out").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::read_file(dir / "out/tracks.jsonl"), "");
  const auto summary = core::read_json(dir / "out/faces_track_summary.json");
  EXPECT_EQ(summary["tracks"].get<int>(), 0);
  EXPECT_EQ(summary["video"]["frames_decoded"].get<int>(), 5);
}

TEST(FacesTrack, TalkingHeadIsOneTrackWithItsLandmarksInsideItsBoxes) {
  const auto root = test::shared_data_dir();
  if (!root) GTEST_SKIP() << "../shared/data not found: talking-head tracking test skipped";
  test::ScratchDir dir;
  const std::string command = "faces track '" + (*root / "face_video/liveportrait_d6.mp4").string() +
                              "' --stride 4 --output '" + (dir / "out").string() + "'";
  auto r = test::run_ethovid(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream lines(dir / "out/tracks.jsonl");
  std::vector<core::Json> tracks;
  for (std::string line; std::getline(lines, line);) tracks.push_back(core::Json::parse(line));
  ASSERT_FALSE(tracks.empty());
  // One person: one track holds (nearly) every processed frame, 0..1004 in steps of 4.
  const auto& main_track = tracks.front();
  EXPECT_EQ(main_track["track_id"].get<int>(), 1);
  EXPECT_GE(main_track["detections"].size(), 245u);  // of 252 processed frames
  EXPECT_EQ(main_track["first_frame"].get<int>(), 0);
  for (const auto& d : main_track["detections"]) {
    EXPECT_EQ(d["frame_idx"].get<int>() % 4, 0);
    const auto& b = d["bbox"];
    EXPECT_LT(b[0].get<double>(), b[2].get<double>());
    EXPECT_LT(b[1].get<double>(), b[3].get<double>());
    ASSERT_EQ(d["landmarks"].size(), 5u);
    for (const auto& p : d["landmarks"]) {
      EXPECT_GT(p[0].get<double>(), b[0].get<double>());
      EXPECT_LT(p[0].get<double>(), b[2].get<double>());
      EXPECT_GT(p[1].get<double>(), b[1].get<double>());
      EXPECT_LT(p[1].get<double>(), b[3].get<double>());
    }
  }
  const auto summary = core::read_json(dir / "out/faces_track_summary.json");
  EXPECT_EQ(summary["frames_processed"].get<int>(), 252);
  // The same run again is up to date and changes nothing.
  const auto before = test::read_file(dir / "out/tracks.jsonl");
  r = test::run_ethovid(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("up to date"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_file(dir / "out/tracks.jsonl"), before);
}

}  // namespace
}  // namespace ethovid
