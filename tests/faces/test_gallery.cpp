// `faces gallery` + `faces eval` through the real CLI: generated folders for the layout rules and
// errors, the real identity sets in ../shared/data for accuracy (skipped without it).
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/image_file.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/table.hpp"
#include "test_support.hpp"

namespace ethovid {
namespace {

namespace fs = std::filesystem;

double eval_rank1(const fs::path& table, int enroll, const test::ScratchDir& dir) {
  const fs::path json = dir / ("eval_" + std::to_string(enroll) + ".json");
  const auto r = test::run_ethovid("faces eval '" + table.string() + "' --enroll " +
                                   std::to_string(enroll) + " --json '" + json.string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return core::read_json(json)["rank1"].get<double>();
}

TEST(ImageFile, GifIsReadThroughFfmpeg) {
  test::ScratchDir dir;
  cv::Mat image(40, 60, CV_8UC3, cv::Scalar(30, 160, 220));
  cv::imwrite((dir / "a.png").string(), image);
  const std::string command = "ffmpeg -v error -y -i '" + (dir / "a.png").string() + "' '" +
                              (dir / "a.gif").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const cv::Mat gif = core::read_image(dir / "a.gif");
  EXPECT_EQ(gif.size(), image.size());
  EXPECT_EQ(gif.channels(), 3);
  std::ofstream(dir / "bad.jpg") << "not a jpeg";
  test::expect_error<FormatError>([&] { core::read_image(dir / "bad.jpg"); }, {"bad.jpg"});
}

TEST(FacesGallery, FolderWithoutFacesIsBadInputNamingTheCount) {
  test::ScratchDir dir;
  fs::create_directories(dir / "set/alice");
  cv::Mat noise(120, 100, CV_8UC3);
  cv::randu(noise, 0, 255);
  cv::imwrite((dir / "set/alice/1.png").string(), noise);
  cv::imwrite((dir / "set/alice/2.png").string(), noise);
  const auto r = test::run_ethovid("faces gallery '" + (dir / "set").string() + "' --output '" +
                                   (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no face found in any of its 2 images"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out/gallery.parquet"));
}

// Unlabelled and --exclude'd folders are no person; every embedded image is in the provenance.
TEST(FacesGallery, GroupPhotosAndExcludedFoldersAreNoPersonAndInputsAreRecorded) {
  test::ScratchDir dir;
  for (const char* person : {"alice", "bob", "group_photos", "extras"}) {
    fs::create_directories(dir / "set" / person);
    cv::Mat image(112, 112, CV_8UC3);
    cv::randu(image, 0, 255);
    cv::imwrite((dir / "set" / person / "1.png").string(), image);
  }
  const auto r = test::run_ethovid("faces gallery '" + (dir / "set").string() + "' --assume-cropped --exclude extras --output '" +
                                   (dir / "out").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto summary = core::read_json(dir / "out" / "gallery_summary.json");
  EXPECT_EQ(summary["images"], 2) << summary.dump();
  EXPECT_EQ(summary["left_out_folders"], core::Json({"extras", "group_photos"}));
  const auto& inputs = summary["provenance"]["inputs"];
  ASSERT_EQ(inputs.size(), 2u) << inputs.dump();
  EXPECT_EQ(inputs[0]["sha256"], core::sha256_file(dir / "set/alice/1.png"));
  EXPECT_NE(inputs[1]["path"].get<std::string>().find("bob"), std::string::npos);

  // Again with the same images and options: up to date; a changed image embeds again.
  const std::string again = "faces gallery '" + (dir / "set").string() + "' --assume-cropped --exclude extras --output '" +
                            (dir / "out").string() + "'";
  auto second = test::run_ethovid(again);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("up to date: "), std::string::npos) << second.output;
  cv::Mat other(112, 112, CV_8UC3);
  cv::randu(other, 0, 255);
  cv::imwrite((dir / "set/bob/1.png").string(), other);
  second = test::run_ethovid(again);
  EXPECT_EQ(second.output.find("up to date"), std::string::npos) << second.output;
  EXPECT_EQ(core::read_json(dir / "out" / "gallery_summary.json")["provenance"]["inputs"][1]["sha256"],
            core::sha256_file(dir / "set/bob/1.png"));
}

TEST(FacesGallery, EmptyFolderAndMissingTableAreBadInput) {
  test::ScratchDir dir;
  fs::create_directories(dir / "empty");
  auto r = test::run_ethovid("faces gallery '" + (dir / "empty").string() + "' --output '" +
                             (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("holds no images"), std::string::npos) << r.output;
  r = test::run_ethovid("faces eval '" + (dir / "missing.parquet").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(FacesGallery, RealIdentitySets) {
  const auto root = test::shared_data_dir();
  if (!root) GTEST_SKIP() << "../shared/data not found: ORL/Yale identification test skipped";
  test::ScratchDir dir;
  const fs::path orl = *root / "faces_identity/att_orl";
  auto r = test::run_ethovid("faces gallery '" + orl.string() + "' --assume-cropped --output '" +
                             (dir / "orl").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const core::Table table = core::read_parquet(dir / "orl/gallery.parquet");
  EXPECT_EQ(table.rows(), 270u);
  EXPECT_EQ(table.column("embedding").spec.list_size, 512);
  const double orl_rank1 = eval_rank1(dir / "orl/gallery.parquet", 5, dir);
  std::cout << "[ORL, 27 identities, --assume-cropped, enroll 5] rank1 " << orl_rank1 << "\n";
  EXPECT_GE(orl_rank1, 0.97);

  // Yale: a flat folder (identity = file-name prefix), GIF images, detection on.
  r = test::run_ethovid("faces gallery '" + (*root / "faces_identity/yalefaces").string() +
                        "' --output '" + (dir / "yale").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto summary = core::read_json(dir / "yale/gallery_summary.json");
  EXPECT_EQ(summary["identities"].get<int>(), 10);
  const double yale_rank1 = eval_rank1(dir / "yale/gallery.parquet", 5, dir);
  std::cout << "[Yale, 10 identities, detected, enroll 5] rank1 " << yale_rank1 << "\n";
  EXPECT_GE(yale_rank1, 0.9);
}

}  // namespace
}  // namespace ethovid
