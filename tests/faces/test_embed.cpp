// `faces embed`: its config and tracks.jsonl reader on generated files, and the whole chain on the
// real talking-head video (skipped without ../shared/data), checked as the reference checks its
// artifacts: N x 512 unit rows, every quality >= min_quality, <= max_crops_per_track per track.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include <opencv2/videoio.hpp>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/faces/embed.hpp"
#include "ethovid/faces/tracks_file.hpp"
#include "test_support.hpp"

namespace ethovid::faces {
namespace {

namespace fs = std::filesystem;

fs::path write_text(const test::ScratchDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

TEST(EmbedConfig, KeysOverDefaultsAndBadValuesNamed) {
  test::ScratchDir dir;
  const EmbedConfig c = load_embed_config(write_text(
      dir, "a.yaml", "min_quality: 0.3\nsampling: stratified\nmax_crops_per_track: 7\nsave_crops: true\n"));
  EXPECT_DOUBLE_EQ(c.harvest.min_quality, 0.3);
  EXPECT_EQ(c.harvest.sampling, Sampling::kStratified);
  EXPECT_EQ(c.harvest.max_crops_per_track, 7);
  EXPECT_TRUE(c.save_crops);
  EXPECT_DOUBLE_EQ(c.harvest.max_yaw_angle, HarvestConfig{}.max_yaw_angle);
  test::expect_error<ConfigError>([&] { load_embed_config(write_text(dir, "b.yaml", "max_yaw: 30\n")); },
                                  {"b.yaml", "unknown key 'max_yaw'"});
  test::expect_error<ConfigError>([&] { load_embed_config(write_text(dir, "c.yaml", "min_quality: 1.5\n")); },
                                  {"c.yaml", "min_quality", "[0, 1]"});
  test::expect_error<ConfigError>([&] { load_embed_config(write_text(dir, "d.yaml", "sampling: random\n")); },
                                  {"d.yaml", "random"});
}

TEST(TracksFile, BadLinesAreFormatErrorsWithLineNumbers) {
  test::ScratchDir dir;
  const std::string good =
      R"({"track_id": 1, "detections": [{"frame_idx": 0, "bbox": [0.1, 0.1, 0.3, 0.4], "conf": 0.9}]})";
  const auto tracks = read_tracks_file(write_text(dir, "ok.jsonl", good + "\n\n"));
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_FALSE(tracks[0].detections[0].landmarks.has_value());
  test::expect_error<FormatError>([&] { read_tracks_file(write_text(dir, "a.jsonl", good + "\n{oops\n")); },
                                  {"a.jsonl line 2", "not valid JSON"});
  test::expect_error<FormatError>(
      [&] { read_tracks_file(write_text(dir, "b.jsonl", R"({"track_id": 2, "detections": [{"bbox": [0, 0, 1, 1]}]})")); },
      {"b.jsonl line 1", "frame_idx"});
  test::expect_error<FormatError>(
      [&] { read_tracks_file(write_text(dir, "c.jsonl", R"({"track_id": 2, "detections": [{"frame_idx": 3, "bbox": [0.5, 0, 0.2, 1]}]})")); },
      {"c.jsonl line 1", "x2 <= x1"});
  test::expect_error<FormatError>(
      [&] {
        read_tracks_file(write_text(dir, "d.jsonl",
            R"({"track_id": 2, "detections": [{"frame_idx": 3, "bbox": [0, 0, 1, 1]}, {"frame_idx": 3, "bbox": [0, 0, 1, 1]}]})"));
      },
      {"d.jsonl line 1", "increasing frame order"});
  test::expect_error<FormatError>([&] { read_tracks_file(write_text(dir, "e.jsonl", good + "\n" + good + "\n")); },
                                  {"e.jsonl line 2", "track_id 1 appears twice"});
}

TEST(FacesEmbed, BoxesOutsideTheFrameAndFramesBeyondTheVideo) {
  test::ScratchDir dir;
  const fs::path video = dir / "grey.avi";
  cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, {96, 64});
  for (int i = 0; i < 6; ++i) writer.write(cv::Mat(64, 96, CV_8UC3, cv::Scalar(90, 90, 90)));
  writer.release();
  EmbedOptions o;
  o.video = video.string();
  o.output_dir = dir / "out";
  o.tracks_file = write_text(dir, "t.jsonl",
      R"({"track_id": 4, "detections": [{"frame_idx": 1, "bbox": [1.2, 0.1, 1.5, 0.5], "conf": 0.9}]})" "\n");
  const EmbedResult r = embed_faces(o);
  EXPECT_EQ(r.candidates, 1);
  EXPECT_EQ(r.faces, 0);
  EXPECT_EQ(r.summary["rejected"]["bbox_out_of_bounds"].get<int>(), 1);
  const auto debug = core::Json::parse(test::read_file(dir / "out/crops_debug.jsonl"));
  EXPECT_EQ(debug["status"], "rejected");
  EXPECT_EQ(debug["reason"], "bbox_out_of_bounds");

  o.tracks_file = write_text(dir, "late.jsonl",
      R"({"track_id": 4, "detections": [{"frame_idx": 60, "bbox": [0.1, 0.1, 0.5, 0.5]}]})" "\n");
  o.force = true;
  test::expect_error<FormatError>([&] { embed_faces(o); }, {"late.jsonl", "frame 60", "6 frames"});
}

TEST(FacesEmbed, TracksOfAnotherVideoAreRefusedUnlessForced) {
  test::ScratchDir dir;
  const fs::path video = dir / "grey.avi";
  cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, {96, 64});
  for (int i = 0; i < 4; ++i) writer.write(cv::Mat(64, 96, CV_8UC3, cv::Scalar(90, 90, 90)));
  writer.release();
  EmbedOptions o;
  o.video = video.string();
  o.output_dir = dir / "out";
  o.tracks_file = write_text(dir, "tracks.jsonl",
      R"({"track_id": 1, "detections": [{"frame_idx": 1, "bbox": [0.1, 0.1, 0.5, 0.5], "conf": 0.9}]})" "\n");
  const std::string other(64, 'a');
  write_text(dir, "faces_track_summary.json",
             R"({"provenance": {"inputs": [{"path": "other.mp4", "sha256": ")" + other + R"(", "bytes": 1}]}})");
  try {
    embed_faces(o);
    FAIL() << "tracks of another video must be refused";
  } catch (const InputMismatchError& e) {
    const std::string message = e.what();
    for (const std::string& part : {o.tracks_file.string(), std::string("faces_track_summary.json"),
                                    other, video.string(), core::sha256_file(video)}) {
      EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
    }
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_FALSE(fs::exists(o.output_dir));
  o.force = true;
  EXPECT_EQ(embed_faces(o).candidates, 1);
  // The summary of this very video passes without --force.
  write_text(dir, "faces_track_summary.json",
             R"({"provenance": {"inputs": [{"path": "grey.avi", "sha256": ")" + core::sha256_file(video) + R"("}]}})");
  o.force = false;
  EXPECT_NO_THROW(embed_faces(o));
}

TEST(FacesEmbed, TalkingHeadArtifactsHoldTheReferenceChecks) {
  const auto root = test::shared_data_dir();
  if (!root) GTEST_SKIP() << "../shared/data not found: faces embed chain test skipped";
  test::ScratchDir dir;
  const std::string video = (*root / "face_video/liveportrait_d6.mp4").string();
  auto r = test::run_ethovid("faces track '" + video + "' --stride 8 --output '" + (dir / "t").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_ethovid("faces embed '" + video + "' --tracks '" + (dir / "t/tracks.jsonl").string() +
                        "' --output '" + (dir / "e").string() +
                        "' --save-crops --max-crops-per-track 12 --sampling stratified");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const core::NdArray npy = core::read_npy(dir / "e/faces.npy");
  ASSERT_EQ(npy.shape.size(), 2u);
  EXPECT_EQ(npy.shape[1], 512);
  const auto rows = npy.shape[0];
  EXPECT_GT(rows, 0);
  const float* values = npy.data<float>();
  for (std::int64_t i = 0; i < rows; ++i) {
    double norm = 0;
    for (int j = 0; j < 512; ++j) norm += double(values[i * 512 + j]) * values[i * 512 + j];
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4) << "row " << i;
  }
  std::ifstream lines(dir / "e/faces.jsonl");
  std::map<int, int> per_track;
  std::int64_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    const auto face = core::Json::parse(line);
    EXPECT_EQ(face["face_id"].get<std::int64_t>(), n);
    EXPECT_GE(face["quality_score"].get<double>(), HarvestConfig{}.min_quality);
    EXPECT_EQ(face["embedding"].size(), 512u);
    EXPECT_NEAR(face["embedding"][0].get<double>(), values[n * 512], 1e-6) << "line i is row i";
    EXPECT_TRUE(fs::exists(dir / "e" / face["crop_path"].get<std::string>()));
    ++per_track[face["track_id"].get<int>()];
  }
  EXPECT_EQ(n, rows);
  for (const auto& [track, count] : per_track) EXPECT_LE(count, 12) << "track " << track;
  const core::Table table = core::read_parquet(dir / "e/faces.parquet");
  EXPECT_EQ(static_cast<std::int64_t>(table.rows()), rows);
  const auto summary = core::read_json(dir / "e/faces_summary.json");
  std::int64_t rejected = 0;
  for (const auto& [reason, count] : summary["rejected"].items()) rejected += count.get<std::int64_t>();
  EXPECT_EQ(rejected + rows, summary["candidates"].get<std::int64_t>());
  EXPECT_EQ(summary["provenance"]["models"].size(), 2u);
}

}  // namespace
}  // namespace ethovid::faces
