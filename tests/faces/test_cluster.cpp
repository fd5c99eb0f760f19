// `faces cluster`: bad inputs on generated folders, and a second run with the same inputs and
// options up to date; the talking-head chain (skipped without ../shared/data) gives one identity,
// named from a gallery that holds her and unknown otherwise.
#include <gtest/gtest.h>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/faces/cluster.hpp"
#include "ethovid/faces/embed.hpp"
#include "test_support.hpp"

namespace ethovid::faces {
namespace {

namespace fs = std::filesystem;

TEST(FacesCluster, MissingFacesTableAndBadThresholds) {
  test::ScratchDir dir;
  ClusterOptions o;
  o.dir = dir.path();
  test::expect_error<MissingInputError>([&] { cluster_faces(o); }, {"faces.parquet", "faces embed"});
  o.min_similarity = 1.5;
  test::expect_error<ConfigError>([&] { cluster_faces(o); }, {"1.5", "[-1, 1]"});
}

// A faces.parquet of two tracks of two faces each, pointing two ways (4-d embeddings); `turn`
// tilts the second track's faces, which changes the file's content.
void write_faces_table(const fs::path& dir, float turn = 0) {
  core::Table table;
  table.add(core::Column::int64("face_id", {0, 1, 2, 3}));
  table.add(core::Column::int64("track_id", {1, 1, 2, 2}));
  table.add(core::Column::int64("frame_idx", {0, 4, 0, 4}));
  table.add(core::Column::float64("quality_score", {0.9, 0.8, 0.7, 0.6}));
  table.add(core::Column::string("crop_path", {"", "", "", ""}));
  table.add(core::Column::float_list("embedding", 4, {1, 0, 0, 0, 1, 0.1f, 0, 0,  //
                                                      0, 1, turn, 0, 0, 1, 0, turn}));
  core::write_parquet(table, dir / kFacesParquet);
}

TEST(FacesCluster, SecondRunWithTheSameInputsAndOptionsIsUpToDate) {
  test::ScratchDir dir;
  write_faces_table(dir.path());
  ClusterOptions o;
  o.dir = dir.path();
  const auto first = cluster_faces(o);
  EXPECT_FALSE(first.skipped);
  EXPECT_EQ(first.identities, 2);
  const auto written = fs::last_write_time(first.identities_path);

  const auto second = cluster_faces(o);
  EXPECT_TRUE(second.skipped);
  EXPECT_EQ(second.identities, 2);
  EXPECT_EQ(second.tracks, 2);
  EXPECT_EQ(fs::last_write_time(first.identities_path), written) << "an up-to-date run writes nothing";
  const auto r = test::run_ethovid("faces cluster '" + dir.path().string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("up to date: "), std::string::npos) << r.output;
  EXPECT_EQ(fs::last_write_time(first.identities_path), written);

  o.min_similarity = 0.3;  // another option: clusters again
  EXPECT_FALSE(cluster_faces(o).skipped);
  EXPECT_EQ(core::read_json(first.identities_path)["provenance"]["parameters"]["min_similarity"], 0.3);
  EXPECT_TRUE(cluster_faces(o).skipped);

  o.force = true;  // --force: clusters again with nothing changed
  EXPECT_FALSE(cluster_faces(o).skipped);
  o.force = false;
  const auto forced = test::run_ethovid("faces cluster '" + dir.path().string() + "' --threshold 0.3 --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_EQ(forced.output.find("up to date"), std::string::npos) << forced.output;
  EXPECT_NE(forced.output.find("identities: "), std::string::npos) << forced.output;

  write_faces_table(dir.path(), 0.5f);  // another faces.parquet (by content): clusters again
  EXPECT_FALSE(cluster_faces(o).skipped);
  core::write_json(dir / kFacesSummary, {{"video", {{"fps", 25.0}}}});  // a new input appears
  const auto with_fps = cluster_faces(o);
  EXPECT_FALSE(with_fps.skipped);
  EXPECT_EQ(with_fps.summary["fps"], 25.0);
}

TEST(FacesCluster, TalkingHeadIsOneIdentityNamedFromTheGallery) {
  const auto root = test::shared_data_dir();
  if (!root) GTEST_SKIP() << "../shared/data not found: faces cluster chain test skipped";
  test::ScratchDir dir;
  const std::string video = (*root / "face_video/liveportrait_d6.mp4").string();
  const std::string out = (dir / "ep").string();
  ASSERT_EQ(test::run_ethovid("faces track '" + video + "' --stride 8 --output '" + out + "'").exit_code, 0);
  ASSERT_EQ(test::run_ethovid("faces embed '" + video + "' --tracks '" + out +
                              "/tracks.jsonl' --output '" + out + "' --save-crops").exit_code, 0);

  // Gallery: two stills of her from the video (frames the tracks also saw) and another person.
  fs::create_directories(dir / "gallery/talker");
  const std::string grab = "ffmpeg -v error -y -i '" + video +
                           "' -vf \"select=eq(n\\,3)+eq(n\\,600)\" -vsync 0 '" +
                           (dir / "gallery/talker/%d.png").string() + "'";
  ASSERT_EQ(std::system(grab.c_str()), 0);
  fs::copy(*root / "faces_identity/att_orl/s1", dir / "gallery/s1");
  auto r = test::run_ethovid("faces cluster '" + out + "' --gallery '" + (dir / "gallery").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto identities = core::read_json(dir / "ep/identities.json")["identities"];
  ASSERT_GE(identities.size(), 1u);
  const auto& main = identities[0];
  EXPECT_EQ(main["identity_id"].get<int>(), 1);
  EXPECT_EQ(main["name"], "talker");
  EXPECT_GT(main["frames"].get<int>(), 900) << "she is on screen nearly all 1008 frames";
  EXPECT_NEAR(main["screen_time_s"].get<double>(), main["frames"].get<int>() / 30.0, 0.01);
  EXPECT_TRUE(fs::exists(dir / "ep" / main["representative_crop"].get<std::string>()));
  // The same gallery again: its table is up to date, so are the identities.
  r = test::run_ethovid("faces cluster '" + out + "' --gallery '" + (dir / "gallery").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("up to date: "), std::string::npos) << r.output;

  // Without her in the gallery she is unknown.
  fs::remove_all(dir / "gallery/talker");
  r = test::run_ethovid("faces cluster '" + out + "' --gallery '" + (dir / "gallery").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  identities = core::read_json(dir / "ep/identities.json")["identities"];
  EXPECT_EQ(identities[0]["name"], "unknown");
}

TEST(FacesRun, WholeChainThenUpToDate) {
  const auto root = test::shared_data_dir();
  if (!root) GTEST_SKIP() << "../shared/data not found: faces run test skipped";
  test::ScratchDir dir;
  const std::string command = "faces run '" + (*root / "face_video/liveportrait_d6.mp4").string() +
                              "' --stride 8 --output '" + (dir / "ep").string() + "'";
  auto r = test::run_ethovid(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"tracks.jsonl", "faces.jsonl", "faces.npy", "faces.parquet",
                           "crops_debug.jsonl", "faces_summary.json", "identities.json"}) {
    EXPECT_TRUE(fs::exists(dir / "ep" / name)) << name;
  }
  EXPECT_EQ(core::read_json(dir / "ep/identities.json")["identities"].size(), 1u);
  r = test::run_ethovid(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("track:   up to date"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("embed:   up to date"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cluster: up to date"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ethovid::faces
