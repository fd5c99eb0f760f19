// `faces cluster`: bad inputs on generated folders; the talking-head chain (skipped without
// ../shared/data) gives one identity, named from a gallery that holds her and unknown otherwise.
#include <gtest/gtest.h>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/faces/cluster.hpp"
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
}

}  // namespace
}  // namespace ethovid::faces
