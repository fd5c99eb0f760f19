// The whole chain: `moseq run` on generated keypoints (every file and plot, and what happens
// without videos), then on the real sessions of ../shared/data (skipped without it): the
// DeepLabCut open-field mouse with its video (grid movies) and the SLEAP two-fly session, each
// with the kappa search landing the median syllable duration inside 300-400 ms.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/pipeline.hpp"
#include "project_fixture.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

TEST(MoseqRun, GeneratedProjectGetsEveryFileAndPlot) {
  test::ScratchDir dir;
  PipelineOptions o;
  o.project = make_project(dir, "g", 12);
  o.videos = dir / "videos";
  fs::create_directories(*o.videos);
  o.fit.ar_iters = 4;
  o.fit.full_iters = 4;
  o.fit.kappa = 1000;
  const PipelineResult out = run_pipeline(o);
  EXPECT_FALSE(out.set_up) << "the existing config.yml is kept";
  EXPECT_EQ(out.fitted.fit.iterations, 8);
  for (const char* name : {"results.h5", "results.parquet", "syllable_stats.csv", "moseq_summary.json",
                           "checkpoint.h5", "fit_log.jsonl"}) {
    EXPECT_TRUE(fs::exists(o.project / name)) << name;
  }
  for (const char* plot : {"scree.png", "pcs.png", "syllable_frequencies.png", "syllable_dendrogram.png",
                           "trajectories.png", "QA/g_animal0.png"}) {
    const cv::Mat image = cv::imread((o.project / "plots" / plot).string());
    EXPECT_FALSE(image.empty()) << plot;
    EXPECT_GE(image.cols, 300) << plot;
  }
  EXPECT_EQ(out.plots.recordings_without_video, (std::vector<std::string>{"g_animal0", "g_animal1"}));
  EXPECT_FALSE(out.fitted.skipped || out.results.skipped || out.plots.skipped);

  // The same run again changes nothing; a changed option fits again; --force does it all again.
  const auto checkpoint_time = fs::last_write_time(o.project / "checkpoint.h5");
  const PipelineResult again = run_pipeline(o);
  EXPECT_TRUE(again.fitted.skipped);
  EXPECT_TRUE(again.results.skipped);
  EXPECT_TRUE(again.plots.skipped);
  EXPECT_EQ(again.fitted.fit.iterations, 8);
  EXPECT_EQ(again.plots.recordings_without_video, out.plots.recordings_without_video);
  EXPECT_EQ(fs::last_write_time(o.project / "checkpoint.h5"), checkpoint_time);
  auto r = test::run_ethovid("moseq results '" + o.project.string() + "'");
  EXPECT_NE(r.output.find("up to date: "), std::string::npos) << r.output;
  r = test::run_ethovid("moseq fit '" + o.project.string() + "' --ar-iters 4 --full-iters 4 --kappa 1000");
  EXPECT_NE(r.output.find("up to date: "), std::string::npos) << r.output;
  o.fit.seed = 3;
  const PipelineResult reseeded = run_pipeline(o);
  EXPECT_FALSE(reseeded.fitted.skipped) << "another seed is another fit";
  EXPECT_FALSE(reseeded.results.skipped) << "a new checkpoint makes new results";
  EXPECT_FALSE(reseeded.plots.skipped);
  o.force = true;
  EXPECT_FALSE(run_pipeline(o).fitted.skipped);
}

struct Session {
  std::string pose, videos;
  double fps;
};

void run_session(const Session& s, const fs::path& data, const test::ScratchDir& dir, bool expect_movies) {
  const fs::path project = dir / "project";
  std::string args = "moseq run --pose '" + (data / s.pose).string() + "' -o '" + project.string() + "' --fps " +
                     std::to_string(s.fps) + " --ar-iters 30 --full-iters 60 --target-duration-ms 300,400 --seed 1";
  if (!s.videos.empty()) args += " --videos '" + (data / s.videos).string() + "'";
  const auto run = test::run_ethovid(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.find("target not reached"), std::string::npos) << run.output;
  const auto summary = core::read_json(project / "moseq_summary.json");
  const double median_ms = summary["median_syllable_duration"]["ms"];
  EXPECT_GE(median_ms, 300) << run.output;
  EXPECT_LE(median_ms, 400) << run.output;
  EXPECT_FALSE(summary["kappa_search"].empty());
  for (const char* plot : {"scree.png", "pcs.png", "syllable_frequencies.png", "syllable_dendrogram.png", "trajectories.png"}) {
    EXPECT_TRUE(fs::exists(project / "plots" / plot)) << plot;
  }
  if (expect_movies) {
    EXPECT_TRUE(fs::exists(project / "plots/grid_movies/syllable_0.mp4"));
  }
}

TEST(MoseqRun, DeepLabCutOpenFieldMouseLandsInTheTargetWithGridMovies) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  test::ScratchDir dir;
  run_session({"pose/dlc_openfield_mouse/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5",
               "pose/dlc_openfield_mouse", 29.97},
              data, dir, true);
}

TEST(MoseqRun, SleapTwoFlySessionLandsInTheTarget) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  test::ScratchDir dir;
  // No --videos: the .slp names its video, which sits beside it.
  run_session({"pose/sleap_fly_pair_13node/predictions.slp", "", 25.0}, data, dir, true);
}

}  // namespace
}  // namespace ethovid::moseq
