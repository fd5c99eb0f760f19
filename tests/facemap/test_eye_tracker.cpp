// EyeTracker on synthetic eye videos with exact ground truth (through real FFV1 / H.264 files and
// in memory), its error cases, the synthetic generator itself, and the real infrared rodent-eye
// frames of the shared data against the reference tracker's output.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/facemap/eye_tracker.hpp"
#include "test_support.hpp"
#include "tools/synth/synthetic_eye_video.hpp"

namespace {

namespace fs = std::filesystem;
using ethovid::facemap::EyeTrace;
using ethovid::facemap::EyeTracker;
using ethovid::facemap::EyeTrackerParams;
using ethovid::synth::SyntheticEyeTruth;
using ethovid::synth::SyntheticEyeVideo;
using ethovid::synth::SyntheticEyeVideoParams;

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Pearson correlation over the indices where both series are finite.
double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  double sa = 0, sb = 0;
  int n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isfinite(a[i]) && std::isfinite(b[i])) {
      sa += a[i];
      sb += b[i];
      ++n;
    }
  }
  if (n < 3) return std::nan("");
  const double ma = sa / n, mb = sb / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isfinite(a[i]) && std::isfinite(b[i])) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
  }
  return sab / std::sqrt(saa * sbb);
}

struct Scores {
  double median_rel_error = 0;  // |area/truth - 1| on open-eye frames with a pupil
  double correlation = 0;       // Pearson, area vs truth, open-eye frames
  double blink_f1 = 0;
  double median_dx = 0;  // px
  double median_dy = 0;
  int open_frames = 0;
  int open_missing = 0;  // open-eye frames without a pupil
};

Scores score(const EyeTrace& trace, const SyntheticEyeTruth& truth) {
  Scores s;
  std::vector<double> rel, dx, dy, est, ref;
  int tp = 0, fp = 0, fn = 0;
  for (std::size_t i = 0; i < truth.pupil_area.size(); ++i) {
    const bool b = truth.blink[i] != 0, got = trace.blink[i] != 0;
    tp += b && got;
    fp += !b && got;
    fn += b && !got;
    if (b) continue;
    ++s.open_frames;
    if (!std::isfinite(trace.pupil_area[i])) {
      ++s.open_missing;
      continue;
    }
    rel.push_back(std::abs(trace.pupil_area[i] / truth.pupil_area[i] - 1.0));
    dx.push_back(std::abs(trace.pupil_x[i] - truth.pupil_x[i]));
    dy.push_back(std::abs(trace.pupil_y[i] - truth.pupil_y[i]));
    est.push_back(trace.pupil_area[i]);
    ref.push_back(truth.pupil_area[i]);
  }
  s.median_rel_error = median(rel);
  s.correlation = pearson(est, ref);
  s.blink_f1 = tp + fp + fn == 0 ? 1.0 : 2.0 * tp / (2.0 * tp + fp + fn);
  s.median_dx = median(dx);
  s.median_dy = median(dy);
  return s;
}

void print_scores(const std::string& what, const Scores& s) {
  std::printf(
      "[%s] median rel. area error %.4f, Pearson r %.5f, blink F1 %.3f, median |dx| %.3f px, "
      "median |dy| %.3f px, open frames without pupil %d/%d\n",
      what.c_str(), s.median_rel_error, s.correlation, s.blink_f1, s.median_dx, s.median_dy,
      s.open_missing, s.open_frames);
}

void expect_good(const Scores& s) {
  EXPECT_LE(s.median_rel_error, 0.05);
  EXPECT_GE(s.correlation, 0.99);
  EXPECT_GE(s.blink_f1, 0.9);
  EXPECT_LE(s.median_dx, 1.0);
  EXPECT_LE(s.median_dy, 1.0);
  EXPECT_LE(s.open_missing, s.open_frames / 50);
}

bool read_gray(cv::VideoCapture& cap, cv::Mat& gray) {
  cv::Mat frame;
  if (!cap.read(frame)) return false;
  if (frame.channels() == 3) {
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  } else {
    frame.copyTo(gray);
  }
  return true;
}

// The way the facemap stage uses the tracker: calibration frames spread over the video (taken
// here in a first decoding pass; seeking in these files is slower), then one streaming pass.
EyeTrace track_video_file(const fs::path& video, cv::Rect roi, int frame_count,
                          int calibration_frames = 30) {
  EyeTracker tracker(roi);
  cv::Mat gray;
  {
    cv::VideoCapture cap(video.string(), cv::CAP_FFMPEG);
    EXPECT_TRUE(cap.isOpened()) << video;
    std::vector<cv::Mat> samples;
    const int stride = std::max(1, frame_count / calibration_frames);
    for (int i = 0; read_gray(cap, gray); ++i) {
      if (i % stride == 0) samples.push_back(gray.clone());
    }
    tracker.calibrate(samples);
  }
  cv::VideoCapture cap(video.string(), cv::CAP_FFMPEG);
  while (read_gray(cap, gray)) tracker.add_frame(gray);
  return tracker.finish();
}

EyeTrace track_in_memory(const SyntheticEyeVideo& video, bool calibrate,
                         EyeTrackerParams params = {}) {
  EyeTracker tracker(video.truth().pupil_roi, params);
  cv::Mat frame;
  if (calibrate) {
    std::vector<cv::Mat> samples;
    for (int i = 0; i < video.frame_count(); i += std::max(1, video.frame_count() / 30)) {
      video.render(i, frame);
      samples.push_back(frame.clone());
    }
    tracker.calibrate(samples);
  }
  for (int i = 0; i < video.frame_count(); ++i) {
    video.render(i, frame);
    tracker.add_frame(frame);
  }
  return tracker.finish();
}

SyntheticEyeVideoParams synth_params(std::uint64_t seed, double noise, int frames) {
  SyntheticEyeVideoParams p;
  p.seed = seed;
  p.noise_sigma = noise;
  p.frame_count = frames;
  return p;
}

// --- synthetic videos through real files ---------------------------------------------------

TEST(EyeTrackerSynthetic, LowNoiseLosslessVideo) {
  ethovid::test::ScratchDir dir;
  const auto params = synth_params(1, 3.0, 360);
  const fs::path video = dir / "eye.mkv";
  const SyntheticEyeTruth truth = ethovid::synth::write_synthetic_eye_video(params, video);
  const EyeTrace trace = track_video_file(video, truth.pupil_roi, params.frame_count);
  ASSERT_EQ(trace.pupil_area.size(), static_cast<std::size_t>(params.frame_count));
  const Scores s = score(trace, truth);
  print_scores("seed 1, noise 3, FFV1", s);
  expect_good(s);
}

TEST(EyeTrackerSynthetic, NoisyLosslessVideo) {
  ethovid::test::ScratchDir dir;
  auto params = synth_params(7, 8.0, 360);
  params.illumination_drift = 0.15;
  const fs::path video = dir / "eye.avi";
  const SyntheticEyeTruth truth = ethovid::synth::write_synthetic_eye_video(params, video);
  const EyeTrace trace = track_video_file(video, truth.pupil_roi, params.frame_count);
  ASSERT_EQ(trace.pupil_area.size(), static_cast<std::size_t>(params.frame_count));
  const Scores s = score(trace, truth);
  print_scores("seed 7, noise 8, 15% illumination drift, FFV1", s);
  expect_good(s);
}

TEST(EyeTrackerSynthetic, CompressedH264Video) {
  ethovid::test::ScratchDir dir;
  auto params = synth_params(3, 4.0, 300);
  params.codec = ethovid::synth::VideoCodec::kH264;
  const fs::path video = dir / "eye.mp4";
  SyntheticEyeTruth truth;
  try {
    truth = ethovid::synth::write_synthetic_eye_video(params, video);
  } catch (const ethovid::VideoFormatError& e) {
    GTEST_SKIP() << "this OpenCV/FFmpeg build cannot encode H.264: " << e.what();
  }
  const EyeTrace trace = track_video_file(video, truth.pupil_roi, params.frame_count);
  ASSERT_EQ(trace.pupil_area.size(), static_cast<std::size_t>(params.frame_count));
  const Scores s = score(trace, truth);
  print_scores("seed 3, noise 4, H.264", s);
  expect_good(s);
}

// --- in memory: properties and modes ---------------------------------------------------------

TEST(EyeTrackerSynthetic, TraceProperties) {
  const SyntheticEyeVideo video(synth_params(11, 5.0, 300));
  const EyeTrace trace = track_in_memory(video, true);
  const auto n = static_cast<std::size_t>(video.frame_count());
  ASSERT_EQ(trace.pupil_area.size(), n);
  ASSERT_EQ(trace.pupil_x.size(), n);
  ASSERT_EQ(trace.pupil_y.size(), n);
  ASSERT_EQ(trace.blink.size(), n);
  ASSERT_EQ(trace.eye_brightness.size(), n);
  const cv::Rect roi = video.truth().pupil_roi;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(trace.blink[i] == 0 || trace.blink[i] == 1) << i;
    EXPECT_TRUE(std::isfinite(trace.eye_brightness[i])) << i;
    if (std::isfinite(trace.pupil_area[i])) {
      EXPECT_GE(trace.pupil_area[i], 0.0) << i;
      // A pupil comes with its centre, inside the ROI.
      EXPECT_GE(trace.pupil_x[i], roi.x) << i;
      EXPECT_LE(trace.pupil_x[i], roi.x + roi.width) << i;
      EXPECT_GE(trace.pupil_y[i], roi.y) << i;
      EXPECT_LE(trace.pupil_y[i], roi.y + roi.height) << i;
    } else {
      EXPECT_FALSE(std::isfinite(trace.pupil_x[i])) << i;
      EXPECT_FALSE(std::isfinite(trace.pupil_y[i])) << i;
    }
    if (trace.blink[i]) {
      EXPECT_TRUE(std::isnan(trace.pupil_area[i])) << "pupil reported on blink frame " << i;
    }
    if (video.truth().blink[i]) {
      EXPECT_TRUE(std::isnan(trace.pupil_area[i])) << "closed eye frame " << i << " has a pupil";
    }
  }
}

TEST(EyeTrackerSynthetic, CalibratesItselfWithoutSampleFrames) {
  const SyntheticEyeVideo video(synth_params(5, 4.0, 300));
  const Scores s = score(track_in_memory(video, false), video.truth());
  print_scores("seed 5, noise 4, automatic calibration", s);
  expect_good(s);
}

TEST(EyeTrackerSynthetic, SmallerVideoAndPupil) {
  // 320x240: the pupil's radius is only ~5-8 px.
  auto params = synth_params(2, 3.0, 300);
  params.width = 320;
  params.height = 240;
  const SyntheticEyeVideo video(params);
  const Scores s = score(track_in_memory(video, true), video.truth());
  print_scores("seed 2, 320x240", s);
  expect_good(s);
}

TEST(EyeTrackerSynthetic, CalibrationMeasuresThePupil) {
  const SyntheticEyeVideo video(synth_params(4, 3.0, 200));
  EyeTracker tracker(video.truth().pupil_roi);
  std::vector<cv::Mat> samples;
  cv::Mat frame;
  for (int i = 0; i < 200; i += 10) {
    video.render(i, frame);
    samples.push_back(frame.clone());
  }
  tracker.calibrate(samples);
  // The synthetic pupil is 30 on an iris of ~150 with a radius of ~12.5 px at mid-size.
  EXPECT_GT(tracker.calibrated_contrast(), 80.0);
  EXPECT_LT(tracker.calibrated_contrast(), 140.0);
  EXPECT_GT(tracker.calibrated_radius(), 8.0);
  EXPECT_LT(tracker.calibrated_radius(), 17.0);
  EXPECT_GT(tracker.calibrated_noise(), 1.5);
  EXPECT_LT(tracker.calibrated_noise(), 6.0);
  const std::string text = tracker.method_description();
  EXPECT_NE(text.find("pupil_area"), std::string::npos);
  EXPECT_NE(text.find("Blink"), std::string::npos);
}

// --- error cases -------------------------------------------------------------------------------

TEST(EyeTracker, RoiOutsideTheFrameIsAConfigError) {
  EyeTracker tracker(cv::Rect(100, 100, 80, 80));
  const cv::Mat frame(120, 160, CV_8UC1, cv::Scalar(128));
  EXPECT_THROW(tracker.calibrate({frame}), ethovid::ConfigError);
  EXPECT_THROW(tracker.add_frame(frame), ethovid::ConfigError);
  EXPECT_THROW(EyeTracker(cv::Rect(0, 0, 4, 4)), ethovid::ConfigError);
}

TEST(EyeTracker, NoPupilInCalibrationIsABadInputNamingTheRoi) {
  cv::Mat frame(120, 160, CV_8UC1);
  cv::randn(frame, 128, 3);
  EyeTracker tracker(cv::Rect(20, 20, 100, 80));
  try {
    tracker.calibrate({frame, frame});
    FAIL() << "calibration on a pupil-less ROI must throw";
  } catch (const ethovid::ConfigError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("pupil ROI 20,20,100,80"), std::string::npos) << e.what();
  }
}

TEST(EyeTracker, FeaturelessFrameHasNoPupil) {
  const SyntheticEyeVideo video(synth_params(6, 3.0, 120));
  EyeTracker tracker(video.truth().pupil_roi);
  cv::Mat frame;
  for (int i = 0; i < 120; ++i) {
    if (i == 60) {
      frame.setTo(cv::Scalar(128));  // e.g. a dropped, gray frame
    } else {
      video.render(i, frame);
    }
    tracker.add_frame(frame);
  }
  const EyeTrace trace = tracker.finish();
  EXPECT_TRUE(std::isnan(trace.pupil_area[60]));
  EXPECT_TRUE(std::isnan(trace.pupil_x[60]));
}

TEST(EyeTracker, EmptyInputGivesEmptyTrace) {
  EyeTracker tracker(cv::Rect(0, 0, 50, 50));
  const EyeTrace trace = tracker.finish();
  EXPECT_TRUE(trace.pupil_area.empty());
  EXPECT_TRUE(trace.blink.empty());
}

// --- the synthetic generator -------------------------------------------------------------------

TEST(EyeTrackerSyntheticVideo, DeterministicForASeed) {
  const SyntheticEyeVideo a(synth_params(9, 5.0, 60)), b(synth_params(9, 5.0, 60));
  const SyntheticEyeVideo c(synth_params(10, 5.0, 60));
  cv::Mat fa, fb, fc;
  for (int i : {0, 17, 59}) {
    a.render(i, fa);
    b.render(i, fb);
    c.render(i, fc);
    EXPECT_EQ(cv::norm(fa, fb, cv::NORM_INF), 0.0) << i;
    EXPECT_GT(cv::norm(fa, fc, cv::NORM_L1), 0.0) << i;
  }
  // Rendering out of order gives the same frame.
  cv::Mat again;
  a.render(17, again);
  b.render(17, fb);
  EXPECT_EQ(cv::norm(again, fb, cv::NORM_INF), 0.0);
  EXPECT_EQ(a.truth().pupil_area, b.truth().pupil_area);
  EXPECT_EQ(a.truth().blink, b.truth().blink);
  EXPECT_EQ(a.truth().moving, b.truth().moving);
}

TEST(EyeTrackerSyntheticVideo, GroundTruthIsPlausible) {
  const SyntheticEyeVideo video(synth_params(1, 3.0, 3000));
  const SyntheticEyeTruth& t = video.truth();
  const cv::Rect frame(0, 0, t.width, t.height);
  EXPECT_EQ(t.pupil_roi & frame, t.pupil_roi);
  EXPECT_EQ(t.motion_roi & frame, t.motion_roi);
  EXPECT_TRUE((t.pupil_roi & t.motion_roi).empty());
  const auto [lo, hi] = std::minmax_element(t.pupil_area.begin(), t.pupil_area.end());
  EXPECT_GE(*hi / *lo, 2.0);
  EXPECT_LE(*hi / *lo, 4.0);
  for (std::size_t i = 0; i < t.pupil_x.size(); ++i) {
    ASSERT_TRUE(t.pupil_roi.contains(
        cv::Point(static_cast<int>(t.pupil_x[i]), static_cast<int>(t.pupil_y[i]))));
  }
  // Blink episodes of 3..8 frames, several of them; motion in epochs, neither always nor never.
  int episodes = 0, moving = 0;
  for (std::size_t i = 0; i < t.blink.size();) {
    if (!t.blink[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < t.blink.size() && t.blink[j]) ++j;
    if (j < t.blink.size()) {  // the last episode may be cut by the end of the video
      EXPECT_GE(j - i, 3u);
      EXPECT_LE(j - i, 8u);
    }
    ++episodes;
    i = j;
  }
  for (auto m : t.moving) moving += m;
  EXPECT_GE(episodes, 10);
  EXPECT_GT(moving, 300);
  EXPECT_LT(moving, 2700);
}

TEST(EyeTrackerSyntheticVideo, WhiskerPadMovesOnlyWhenMarked) {
  const SyntheticEyeVideo video(synth_params(3, 0.0, 200));
  const SyntheticEyeTruth& t = video.truth();
  cv::Mat prev, cur;
  video.render(0, prev);
  for (int i = 1; i < 200; ++i) {
    video.render(i, cur);
    // Without noise, the pad differs from the previous frame exactly when it moved (up to the
    // slow illumination gain, which changes values by at most a gray level between frames).
    const double diff =
        cv::norm(cur(t.motion_roi), prev(t.motion_roi), cv::NORM_L1) / t.motion_roi.area();
    if (t.moving[i]) {
      EXPECT_GT(diff, 3.0) << i;
    } else {
      EXPECT_LT(diff, 1.0) << i;
    }
    std::swap(prev, cur);
  }
}

TEST(EyeTrackerSyntheticVideo, LosslessFileMatchesRenderedFramesAndCsv) {
  ethovid::test::ScratchDir dir;
  const auto params = synth_params(8, 3.0, 40);
  const SyntheticEyeTruth truth =
      ethovid::synth::write_synthetic_eye_video(params, dir / "eye.mkv");
  ethovid::synth::write_truth_csv(truth, dir / "truth.csv");
  const SyntheticEyeVideo video(params);
  cv::VideoCapture cap((dir / "eye.mkv").string(), cv::CAP_FFMPEG);
  ASSERT_TRUE(cap.isOpened());
  cv::Mat decoded, rendered;
  int n = 0;
  while (read_gray(cap, decoded)) {
    video.render(n, rendered);
    ASSERT_EQ(cv::norm(decoded, rendered, cv::NORM_INF), 0.0) << "frame " << n;
    ++n;
  }
  EXPECT_EQ(n, params.frame_count);
  EXPECT_FALSE(fs::exists(dir / "eye.partial.mkv"));

  std::ifstream csv(dir / "truth.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "frame,time_s,pupil_area,pupil_x,pupil_y,blink,moving");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, params.frame_count);
}

TEST(EyeTrackerSyntheticVideo, BadParametersAreConfigErrors) {
  auto p = synth_params(1, 3.0, 10);
  p.width = 100;
  EXPECT_THROW(SyntheticEyeVideo{p}, ethovid::ConfigError);
  p = synth_params(1, 3.0, 0);
  EXPECT_THROW(SyntheticEyeVideo{p}, ethovid::ConfigError);
  EXPECT_THROW(ethovid::synth::parse_video_codec("vp9"), ethovid::ConfigError);
  EXPECT_EQ(ethovid::synth::parse_video_codec("h264"), ethovid::synth::VideoCodec::kH264);
}

// --- real infrared rodent-eye frames -----------------------------------------------------------

// A 1-D float64 dataset of an HDF5 file; empty when it cannot be read.
std::vector<double> read_h5_vector(const fs::path& file, const char* name) {
  std::vector<double> out;
  const hid_t f = H5Fopen(file.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return out;
  const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d >= 0) {
    const hid_t space = H5Dget_space(d);
    out.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) out.clear();
    H5Sclose(space);
    H5Dclose(d);
  }
  H5Fclose(f);
  return out;
}

TEST(EyeTrackerRealData, AgreesWithReferenceTrackerOnCoxLabIrFrames) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  const fs::path root = data / "rodent_eye/cox_rodent_eye_ir";
  constexpr int kFrames = 600;
  std::vector<cv::Mat> frames;
  for (int i = 1; i <= kFrames; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%05d.png", i);
    cv::Mat f = cv::imread((root / "frames" / name).string(), cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(f.empty()) << name;
    frames.push_back(f);
  }
  const std::vector<double> radius =
      read_h5_vector(root / "full_session_eyetracker_data_sample_data.h5", "pupil_radius");
  const std::vector<double> blink_events =
      read_h5_vector(root / "full_session_eyetracker_data_sample_data.h5", "blink_events");
  ASSERT_GE(radius.size(), static_cast<std::size_t>(kFrames));
  ASSERT_GE(blink_events.size(), static_cast<std::size_t>(kFrames));

  // The rectangle a user would draw around the whole eye (218x164 frames); it holds the pupil,
  // the corneal reflection, eyelid shadow and some fur. Nothing else is tuned to this video.
  const cv::Rect roi(36, 22, 130, 126);
  EyeTracker tracker(roi);
  std::vector<cv::Mat> samples;
  for (int i = 0; i < kFrames; i += 20) samples.push_back(frames[i]);
  tracker.calibrate(samples);
  for (const cv::Mat& f : frames) tracker.add_frame(f);
  const EyeTrace trace = tracker.finish();
  ASSERT_EQ(trace.pupil_area.size(), static_cast<std::size_t>(kFrames));

  std::vector<double> ref_area(kFrames);
  int missing = 0, ours = 0, theirs = 0, disagree = 0;
  for (int i = 0; i < kFrames; ++i) {
    ref_area[i] = std::numbers::pi * radius[i] * radius[i];  // row i = frame i + 1
    missing += !std::isfinite(trace.pupil_area[i]);
    const bool ref_blink = blink_events[i] != 0;
    ours += trace.blink[i];
    theirs += ref_blink;
    disagree += (trace.blink[i] != 0) != ref_blink;
  }
  const double r = pearson(trace.pupil_area, ref_area);
  std::printf(
      "[Cox lab IR frames 1-600] Pearson r(pupil_area, pi*r_ref^2) = %.4f; frames without pupil "
      "%d; blinks: ours %d, reference %d, disagreeing frames %d; calibrated radius %.1f px, "
      "contrast %.1f, noise %.1f\n",
      r, missing, ours, theirs, disagree, tracker.calibrated_radius(),
      tracker.calibrated_contrast(), tracker.calibrated_noise());
  EXPECT_GE(r, 0.9);
  EXPECT_LE(missing, kFrames / 50);
  EXPECT_LE(disagree, kFrames / 100);
}

}  // namespace
