// facemap compute end to end on a synthetic eye video with exact ground truth.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <Eigen/Dense>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/facemap/facemap.hpp"
#include "facemap_test_util.hpp"
#include "test_support.hpp"
#include "tools/synth/synthetic_eye_video.hpp"

namespace ethovid::facemap {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

Roi to_roi(const cv::Rect& r) { return {r.x, r.y, r.width, r.height}; }

class ComputeOnSyntheticVideo : public ::testing::TestWithParam<std::uint64_t> {
 protected:
  void SetUp() override {
    synth::SyntheticEyeVideoParams params;
    params.width = 320;
    params.height = 240;
    params.frame_count = 450;
    params.seed = GetParam();
    params.noise_sigma = GetParam() == 1 ? 3.0 : 5.0;
    video_ = dir_ / "eye.mkv";
    truth_ = synth::write_synthetic_eye_video(params, video_);
    options_.video = video_.string();
    options_.output_dir = dir_ / "out";
    options_.motion_rois = {to_roi(truth_.motion_roi)};
    options_.pupil_roi = to_roi(truth_.pupil_roi);
    options_.svd_components = 20;
  }
  ScratchDir dir_;
  fs::path video_;
  synth::SyntheticEyeTruth truth_;
  ComputeOptions options_;
};

TEST_P(ComputeOnSyntheticVideo, PupilBlinkAndMotionMatchTheTruth) {
  const StageResult result = compute(options_);
  ASSERT_FALSE(result.skipped);
  const core::Table table = core::read_parquet(result.table_path);
  ASSERT_EQ(table.rows(), truth_.pupil_area.size());
  const auto area = test::column_values(table, "pupil_area");
  const auto x = test::column_values(table, "pupil_x");
  const auto y = test::column_values(table, "pupil_y");
  const auto blink = table.column("blink").i8;
  const auto energy = test::column_values(table, "motion_energy");

  std::vector<double> ours, truth, rel_errors, dx, dy;
  for (std::size_t i = 0; i < area.size(); ++i) {
    if (truth_.blink[i]) {
      EXPECT_TRUE(std::isnan(area[i]) || blink[i] == 0) << "pupil_area must be NaN on blink frame " << i;
      continue;
    }
    if (std::isnan(area[i])) continue;
    ours.push_back(area[i]);
    truth.push_back(truth_.pupil_area[i]);
    rel_errors.push_back(std::fabs(area[i] - truth_.pupil_area[i]) / truth_.pupil_area[i]);
    dx.push_back(std::fabs(x[i] - truth_.pupil_x[i]));
    dy.push_back(std::fabs(y[i] - truth_.pupil_y[i]));
  }
  ASSERT_GT(ours.size(), area.size() * 8 / 10);
  EXPECT_LE(test::median(rel_errors), 0.05);
  EXPECT_GE(test::pearson(ours, truth), 0.99);
  EXPECT_LE(test::median(dx), 1.0);
  EXPECT_LE(test::median(dy), 1.0);
  EXPECT_GE(test::f1_score(blink, truth_.blink), 0.9);

  std::vector<double> moving, still;
  for (std::size_t i = 1; i < energy.size(); ++i) (truth_.moving[i] ? moving : still).push_back(energy[i]);
  ASSERT_FALSE(moving.empty());
  ASSERT_FALSE(still.empty());
  EXPECT_GE(test::auc(moving, still), 0.95);
  EXPECT_TRUE(std::isnan(energy[0]));
}

TEST_P(ComputeOnSyntheticVideo, PropertiesHoldOnEveryRow) {
  const StageResult result = compute(options_);
  const core::Table table = core::read_parquet(result.table_path);
  const auto time = test::column_values(table, "time");
  for (std::size_t i = 1; i < time.size(); ++i) ASSERT_GT(time[i], time[i - 1]);
  for (double e : test::column_values(table, "motion_energy")) {
    if (!std::isnan(e)) {
      ASSERT_TRUE(e >= 0 && e <= 1) << e;
    }
  }
  for (double a : test::column_values(table, "pupil_area")) {
    if (!std::isnan(a)) {
      ASSERT_GE(a, 0);
    }
  }
  const double coverage = result.summary["statistics"]["coverage_ratio"];
  EXPECT_GE(coverage, 0.0);
  EXPECT_LE(coverage, 1.0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ComputeOnSyntheticVideo, ::testing::Values(1u, 29u));

class ComputeSmallVideo : public ::testing::Test {
 protected:
  void SetUp() override {
    synth::SyntheticEyeVideoParams params;
    params.width = 160;
    params.height = 120;
    params.frame_count = 240;
    params.seed = 5;
    video_ = dir_ / "small.mkv";
    truth_ = synth::write_synthetic_eye_video(params, video_);
    options_.video = video_.string();
    options_.output_dir = dir_ / "out";
    options_.svd_components = 12;
  }
  ScratchDir dir_;
  fs::path video_;
  synth::SyntheticEyeTruth truth_;
  ComputeOptions options_;
};

// Binned (4x4 block means) frames of the whole video, pixels x frames, read independently.
Eigen::MatrixXd binned_frames(const fs::path& video, int sbin) {
  cv::VideoCapture cap(video.string());
  std::vector<Eigen::VectorXd> columns;
  cv::Mat frame, gray;
  while (cap.read(frame)) {
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
    const int rows = gray.rows / sbin, cols = gray.cols / sbin;
    Eigen::VectorXd v(rows * cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        double sum = 0;
        for (int dy = 0; dy < sbin; ++dy)
          for (int dx = 0; dx < sbin; ++dx) sum += gray.at<std::uint8_t>(r * sbin + dy, c * sbin + dx);
        v(r * cols + c) = sum / (sbin * sbin);
      }
    columns.push_back(v);
  }
  Eigen::MatrixXd m(columns.front().size(), columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) m.col(i) = columns[i];
  return m;
}

TEST_F(ComputeSmallVideo, SvdMasksAndTimeCoursesMatchADenseSvd) {
  const StageResult result = compute(options_);
  const Eigen::MatrixXd frames = binned_frames(video_, 4);
  const Eigen::VectorXd mean = frames.rowwise().mean();
  const Eigen::MatrixXd centred = frames.colwise() - mean;
  Eigen::BDCSVD<Eigen::MatrixXd> dense(centred, Eigen::ComputeThinU);
  const int k = 5;

  const core::NdArray masks = core::read_npy(options_.output_dir / "movie_svd_masks.npy");
  ASSERT_EQ(masks.shape, (std::vector<std::int64_t>{30, 40, 12}));
  const auto flat = masks.to_double();
  Eigen::MatrixXd ours(1200, k);
  for (int p = 0; p < 1200; ++p)
    for (int j = 0; j < k; ++j) ours(p, j) = flat[p * 12 + j];
  Eigen::JacobiSVD<Eigen::MatrixXd> angles(ours.transpose() * dense.matrixU().leftCols(k));
  EXPECT_GT(angles.singularValues().minCoeff(), 0.999);  // every principal angle < 2.6 degrees

  // movie_svd_j(t) = (b_t - mean) . U_j
  const core::Table table = core::read_parquet(result.table_path);
  for (int j = 0; j < 3; ++j) {
    const auto series = test::column_values(table, "movie_svd_" + std::to_string(j));
    const Eigen::VectorXd expected = centred.transpose() * ours.col(j);
    for (Eigen::Index t = 0; t < expected.size(); t += 17) {
      EXPECT_NEAR(series[t], expected(t), 1e-3 * expected.cwiseAbs().maxCoeff()) << j << " " << t;
    }
  }
  // Singular values are those of the data, not of some intermediate SVD.
  const core::NdArray values = core::read_npy(options_.output_dir / "movie_svd_singular_values.npy");
  const auto s = values.to_double();
  for (int j = 0; j < k; ++j) EXPECT_NEAR(s[j], dense.singularValues()(j), 1e-3 * dense.singularValues()(0));

  // Motion SVD: |b_t - b_t-1| minus its mean, same subspace test.
  const Eigen::MatrixXd moves =
      (frames.rightCols(frames.cols() - 1) - frames.leftCols(frames.cols() - 1)).cwiseAbs();
  const Eigen::MatrixXd moves_centred = moves.colwise() - moves.rowwise().mean();
  Eigen::BDCSVD<Eigen::MatrixXd> dense_motion(moves_centred, Eigen::ComputeThinU);
  const auto motion_flat = core::read_npy(options_.output_dir / "motion_svd_masks.npy").to_double();
  Eigen::MatrixXd ours_motion(1200, 3);
  for (int p = 0; p < 1200; ++p)
    for (int j = 0; j < 3; ++j) ours_motion(p, j) = motion_flat[p * 12 + j];
  Eigen::JacobiSVD<Eigen::MatrixXd> motion_angles(ours_motion.transpose() * dense_motion.matrixU().leftCols(3));
  EXPECT_GT(motion_angles.singularValues().minCoeff(), 0.99);
  EXPECT_TRUE(std::isnan(test::column_values(table, "motion_svd_0")[0]));
}

TEST_F(ComputeSmallVideo, SummaryCarriesTheContract) {
  const StageResult result = compute(options_);
  const core::Json s = core::read_json(result.summary_path);
  for (const char* key : {"session_id", "source_type", "statistics", "timebase_alignment",
                          "model_info", "provenance", "warnings", "skipped", "output_path"}) {
    EXPECT_TRUE(s.contains(key)) << key;
  }
  EXPECT_EQ(s["source_type"], "computed");
  EXPECT_EQ(s["session_id"], "small");
  EXPECT_EQ(s["statistics"]["total_samples"], 240);
  EXPECT_FALSE(s["timebase_alignment"]["sync_applied"].get<bool>());
  EXPECT_EQ(s["provenance"]["inputs"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(s["statistics"]["per_metric"].contains("motion_energy"));
  const cv::Mat qc = cv::imread((options_.output_dir / kQcPlotName).string());
  EXPECT_FALSE(qc.empty());
  // Columns: time, frame_index, then metrics; whole frame by default.
  const core::Table table = core::read_parquet(result.table_path);
  EXPECT_EQ(table.columns()[0].name(), "time");
  EXPECT_EQ(table.columns()[1].name(), "frame_index");
  EXPECT_EQ(table.columns()[2].name(), "motion_energy");
  EXPECT_NEAR(test::column_values(table, "time")[30], 30 / 30.0, 1e-9);
}

TEST_F(ComputeSmallVideo, SecondMotionRoiAddsPrefixedColumns) {
  options_.motion_rois = {{0, 0, 160, 120}, to_roi(truth_.motion_roi)};
  const StageResult result = compute(options_);
  const core::Table table = core::read_parquet(result.table_path);
  EXPECT_TRUE(table.has("motion_svd_0"));
  EXPECT_TRUE(table.has("roi1_motion_energy"));
  EXPECT_TRUE(table.has("roi1_motion_svd_0"));
  EXPECT_TRUE(table.has("roi1_movie_svd_0"));
  EXPECT_TRUE(fs::exists(options_.output_dir / "roi1_motion_svd_masks.npy"));
}

TEST_F(ComputeSmallVideo, RerunIsUpToDateAndForceRecomputes) {
  compute(options_);
  const auto before = fs::last_write_time(options_.output_dir / kTableName);
  const StageResult again = compute(options_);
  EXPECT_TRUE(again.skipped);
  EXPECT_TRUE(again.summary["skipped"].get<bool>());
  EXPECT_EQ(fs::last_write_time(options_.output_dir / kTableName), before);
  options_.svd_components = 10;  // other parameters: not up to date
  EXPECT_FALSE(compute(options_).skipped);
  options_.force = true;
  EXPECT_FALSE(compute(options_).skipped);
  // No temporary files are left behind.
  for (const auto& entry : fs::directory_iterator(options_.output_dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(ComputeSmallVideo, TimestampsGiveTheSessionClock) {
  std::vector<double> times(240);
  for (int i = 0; i < 240; ++i) times[i] = 100.0 + 0.0333 * i + (i > 100 ? 0.01 : 0.0);
  test::write_timestamps(dir_ / "sync", "face", times);
  options_.alignment.timestamps_dir = dir_ / "sync";
  const StageResult result = compute(options_);
  const auto time = test::column_values(core::read_parquet(result.table_path), "time");
  for (int i = 0; i < 240; i += 13) EXPECT_NEAR(time[i], times[i], 1e-9);
  EXPECT_TRUE(result.summary["timebase_alignment"]["sync_applied"].get<bool>());
  EXPECT_EQ(result.summary["timebase_alignment"]["camera_id"], "face");
}

TEST_F(ComputeSmallVideo, WrongTimestampCountIsAnAlignmentError) {
  std::vector<double> times(237);
  for (int i = 0; i < 237; ++i) times[i] = i * 0.033;
  test::write_timestamps(dir_ / "sync", "face", times);
  options_.alignment.timestamps_dir = dir_ / "sync";
  try {
    compute(options_);
    FAIL() << "expected TimestampAlignmentError";
  } catch (const TimestampAlignmentError& e) {
    EXPECT_NE(std::string(e.what()).find("237"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("240"), std::string::npos) << e.what();
    // The user's setting is reported as given, the header's slack separately.
    EXPECT_NE(std::string(e.what()).find("--max-frame-mismatch 0,"), std::string::npos) << e.what();
  }
  options_.alignment.max_frame_mismatch = 3;
  const StageResult result = compute(options_);
  EXPECT_EQ(result.rows, 237);
  EXPECT_EQ(result.summary["timebase_alignment"]["trimmed_frames"], 3);
  EXPECT_FALSE(result.summary["warnings"].empty());
}

TEST_F(ComputeSmallVideo, RoiOutsideTheFrameIsBadInput) {
  options_.pupil_roi = Roi{150, 100, 20, 30};
  EXPECT_THROW(compute(options_), ConfigError);
  options_.pupil_roi.reset();
  options_.motion_rois = {{0, 0, 0, 10}};
  EXPECT_THROW(compute(options_), ConfigError);
}

TEST_F(ComputeSmallVideo, ImageSequenceNeedsFpsOrTimestamps) {
  cv::VideoCapture cap(video_.string());
  cv::Mat frame;
  fs::create_directories(dir_ / "frames");
  for (int i = 1; i <= 20 && cap.read(frame); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%05d.png", i);
    cv::imwrite((dir_ / "frames" / name).string(), frame);
  }
  options_.video = (dir_ / "frames" / "%05d.png").string();
  EXPECT_THROW(compute(options_), ConfigError);
  options_.fps = 20;
  const StageResult result = compute(options_);
  EXPECT_EQ(result.rows, 20);
  EXPECT_EQ(result.summary["session_id"], "frames");
}

// A short clip that cycles through three images has rank 2 once centred: asking for 12 SVD
// components must keep what the data hold, warn, and keep masks and columns in agreement.
TEST(ComputeLowRankVideo, ComponentsBeyondTheRankAreDroppedWithAWarning) {
  ScratchDir dir;
  const fs::path video = dir / "cycle.mkv";
  {
    cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 30, {64, 48}, false);
    ASSERT_TRUE(writer.isOpened());
    std::vector<cv::Mat> images;
    for (int i = 0; i < 3; ++i) {
      cv::Mat image(48, 64, CV_8UC1, cv::Scalar(60));
      cv::rectangle(image, cv::Rect(8 + 12 * i, 10, 14, 20), cv::Scalar(200), cv::FILLED);
      images.push_back(image);
    }
    for (int t = 0; t < 60; ++t) writer.write(images[t % 3]);
  }
  ComputeOptions options;
  options.video = video.string();
  options.output_dir = dir / "out";
  options.motion_rois = {{0, 0, 64, 48}};
  options.svd_components = 12;
  const StageResult result = compute(options);
  const core::Table table = core::read_parquet(result.table_path);
  const core::NdArray masks = core::read_npy(dir / "out" / "movie_svd_masks.npy");
  const std::int64_t kept = masks.shape.back();
  EXPECT_GE(kept, 1);
  EXPECT_LT(kept, 12);
  EXPECT_TRUE(table.has("movie_svd_" + std::to_string(kept - 1)));
  EXPECT_FALSE(table.has("movie_svd_" + std::to_string(kept)));
  bool warned = false;
  for (const auto& w : result.summary["warnings"]) {
    warned = warned || w.get<std::string>().find("movie SVD of motion ROI 0: the sampled frames have numerical rank " +
                                                 std::to_string(kept)) != std::string::npos;
  }
  EXPECT_TRUE(warned) << result.summary["warnings"].dump();
}

// The CLI: exit codes and one-line errors.
TEST_F(ComputeSmallVideo, CliRunsAndReportsErrorsInOneLine) {
  auto ok = test::run_ethovid("facemap compute " + video_.string() + " --output " +
                              (dir_ / "cli").string() + " --svd-components 8");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("facemap_metrics.parquet"), std::string::npos) << ok.output;
  auto again = test::run_ethovid("facemap compute " + video_.string() + " --output " +
                                 (dir_ / "cli").string() + " --svd-components 8");
  EXPECT_NE(again.output.find("up to date"), std::string::npos) << again.output;

  auto missing = test::run_ethovid("facemap compute " + (dir_ / "nope.mp4").string() + " -o " +
                                   (dir_ / "x").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("MissingInputError"), std::string::npos) << missing.output;
  EXPECT_EQ(std::count(missing.output.begin(), missing.output.end(), '\n'), 1) << missing.output;

  // A truncated mp4: bad input, and the earlier good outputs are untouched.
  const fs::path mp4 = dir_ / "cut.mp4";
  synth::SyntheticEyeVideoParams params;
  params.width = 160;
  params.height = 120;
  params.frame_count = 120;
  params.codec = synth::VideoCodec::kMp4v;
  synth::write_synthetic_eye_video(params, mp4);
  fs::resize_file(mp4, fs::file_size(mp4) * 6 / 10);
  const auto before = test::read_file(dir_ / "cli" / kTableName);
  auto cut = test::run_ethovid("facemap compute " + mp4.string() + " -o " + (dir_ / "cli").string() + " --force");
  EXPECT_EQ(cut.exit_code, 2) << cut.output;
  EXPECT_NE(cut.output.find("VideoFormatError"), std::string::npos) << cut.output;
  EXPECT_EQ(test::read_file(dir_ / "cli" / kTableName), before);

  auto help = test::run_ethovid("facemap compute --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--timestamps", "--camera", "--motion-roi", "--pupil-roi", "--sbin",
                           "--svd-components", "--config", "--force", "--max-frame-mismatch"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
}

TEST_F(ComputeSmallVideo, ConfigFileSetsRoisAndRejectsUnknownKeys) {
  std::ofstream(dir_ / "good.yaml") << "motion_rois:\n  - [0, 0, 80, 60]\nsvd_components: 4\nsbin: 2\n";
  ComputeOptions from_file;
  apply_config_file(dir_ / "good.yaml", from_file);
  ASSERT_EQ(from_file.motion_rois.size(), 1u);
  EXPECT_EQ(from_file.motion_rois[0], (Roi{0, 0, 80, 60}));
  EXPECT_EQ(from_file.svd_components, 4);
  EXPECT_EQ(from_file.sbin, 2);
  std::ofstream(dir_ / "typo.yaml") << "svd_component: 4\n";
  EXPECT_THROW(apply_config_file(dir_ / "typo.yaml", from_file), ConfigError);
  auto cli = test::run_ethovid("facemap compute " + video_.string() + " -o " + (dir_ / "cfg").string() +
                               " --config " + (dir_ / "typo.yaml").string());
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.output.find("svd_component"), std::string::npos) << cli.output;
}

}  // namespace
}  // namespace ethovid::facemap
