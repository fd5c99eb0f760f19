// FrameFeatures on real faces (issue 12 §1 and §7). The talking-head clips of ../shared/data are
// placed on a 640x480 webcam-sized canvas; generated sequences with a known truth are made from
// them: the face gone for a known time (a plain background), moved and scaled. Skips when the
// shared data folder is absent. The eye aspect ratio is checked on generated landmarks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>

#include "ethovid/core/video.hpp"
#include "ethovid/focus/feature_extractor.hpp"
#include "ethovid/focus/policy.hpp"
#include "ethovid/vision/head_pose.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

TEST(EyeAspectRatio, IsTheLidGapOverTheEyeWidth) {
  vision::Landmarks68 p{};
  // An eye 30 px wide whose lids are 9 px apart: EAR 0.3; shut (1 px): about 0.033.
  const auto eye = [&](int first, float x, float gap) {
    p[first] = {x, 100};
    p[first + 1] = {x + 10, 100 - gap / 2};
    p[first + 2] = {x + 20, 100 - gap / 2};
    p[first + 3] = {x + 30, 100};
    p[first + 4] = {x + 20, 100 + gap / 2};
    p[first + 5] = {x + 10, 100 + gap / 2};
  };
  eye(36, 100, 9);
  eye(42, 200, 1);
  EXPECT_NEAR(eye_aspect_ratio(p, 36), 0.3, 1e-6);
  EXPECT_NEAR(eye_aspect_ratio(p, 42), 1.0 / 30, 1e-6);
}

std::optional<std::filesystem::path> clip(const std::string& name) {
  const auto data = test::shared_data_dir();
  if (!data || !std::filesystem::exists(*data / "face_video" / name)) return std::nullopt;
  return *data / "face_video" / name;
}

// A frame of the clip drawn on a 640x480 gray canvas, scaled by `scale` with its centre at (cx,
// cy).
cv::Mat on_canvas(const cv::Mat& frame, double scale, cv::Point2d centre) {
  cv::Mat canvas(480, 640, CV_8UC3, cv::Scalar(96, 104, 110));
  cv::Mat scaled;
  cv::resize(frame, scaled, {}, scale, scale, cv::INTER_AREA);
  const cv::Rect where(static_cast<int>(centre.x - scaled.cols / 2.0),
                       static_cast<int>(centre.y - scaled.rows / 2.0), scaled.cols, scaled.rows);
  const cv::Rect inside = where & cv::Rect(0, 0, 640, 480);
  scaled(inside - where.tl()).copyTo(canvas(inside));
  return canvas;
}

struct Measured {
  std::vector<double> t;
  std::vector<FrameFeatures> f;
  std::vector<PolicyDecision> d;
};

// Runs the extractor and the calibrated policy over `frames` of the clip at its frame rate;
// `compose(i, frame)` makes frame i of the sequence (empty Mat = the clip ended).
Measured measure(const std::filesystem::path& path, int frames,
                 const std::function<cv::Mat(int, const cv::Mat&)>& compose) {
  core::VideoReader reader(path.string());
  const double fps = reader.info().fps;
  FeatureExtractor extractor(vision::load_model_config(vision::default_model_config_path()));
  auto policy = make_policy(PolicyConfig{});
  Measured out;
  cv::Mat frame;
  for (int i = 0; i < frames && reader.read_bgr(frame); ++i) {
    const double t = i / fps;
    const cv::Mat image = compose(i, frame);
    out.t.push_back(t);
    out.f.push_back(extractor.measure(image, t));
    out.d.push_back(policy->decide(t, out.f.back()));
  }
  return out;
}

TEST(FeatureExtractor, AFaceThatLeavesForAKnownTimeIsAwayThenFocusedAgain) {
  const auto path = clip("liveportrait_d6.mp4");
  if (!path) GTEST_SKIP() << "../shared/data/face_video/liveportrait_d6.mp4 not found; skipping";
  // 30 fps: face 0-8 s, plain background 8-14 s, face again 14-20 s, then moved right and shrunk
  // (a person leaning back) 20-26 s.
  const Measured m = measure(*path, 26 * 30, [](int i, const cv::Mat& frame) {
    if (i >= 8 * 30 && i < 14 * 30) return cv::Mat(480, 640, CV_8UC3, cv::Scalar(96, 104, 110));
    if (i >= 20 * 30) return on_canvas(frame, 0.6, {420, 260});
    return on_canvas(frame, 0.9, {320, 240});
  });
  int present = 0, face_frames = 0, detector_runs = 0, false_faces = 0;
  for (std::size_t i = 0; i < m.t.size(); ++i) {
    const bool truth = !(m.t[i] >= 8 && m.t[i] < 14);
    if (truth) {
      ++face_frames;
      present += m.f[i].face_present;
      detector_runs += m.f[i].detector_ran;
    } else {
      false_faces += m.f[i].face_present;
    }
  }
  RecordProperty("present_share", std::to_string(1.0 * present / face_frames));
  RecordProperty("detector_share", std::to_string(1.0 * detector_runs / face_frames));
  EXPECT_GE(present, 0.98 * face_frames);
  EXPECT_EQ(false_faces, 0);
  EXPECT_LE(detector_runs, 0.15 * face_frames)
      << "the face is followed by its landmarks between detections";
  const auto first = [&](FocusState s, double from) -> double {
    for (std::size_t i = 0; i < m.t.size(); ++i) {
      if (m.t[i] >= from && m.d[i].smooth == s) return m.t[i];
    }
    return NAN;
  };
  const double away = first(FocusState::Away, 8);
  EXPECT_GE(away, 10.0);
  EXPECT_LE(away, 10.0 + 0.26 + 2 / 30.0);
  const double back = first(FocusState::Focused, 14);
  EXPECT_LE(back, 14.0 + 0.3 + 2 / 30.0);
  // The moved, smaller face is found again at once (the followed box jumped: the detector ran).
  for (std::size_t i = 0; i < m.t.size(); ++i) {
    if (m.t[i] >= 20 && m.t[i] < 20.1) {
      EXPECT_TRUE(m.f[i].face_present) << m.t[i];
    }
  }
  EXPECT_NEAR(m.f.back().face_size, 0.6 * 480 / 640 * (m.f[30].face_size / (0.9 * 480 / 640)),
              0.05);
}

TEST(FeatureExtractor, PeopleFacingTheCameraAreFocusedOnceCalibrated) {
  // Every shared clip: one person facing the camera. After the first seconds, nearly every frame
  // is FOCUSED; yaw and pitch from the landmarks agree with the pose network on the same frames.
  bool any = false;
  for (const char* name : {"liveportrait_d6.mp4", "liveportrait_d11.mp4", "liveportrait_d12.mp4",
                           "liveportrait_d18.mp4"}) {
    const auto path = clip(name);
    if (!path) continue;
    any = true;
    SCOPED_TRACE(name);
    const Measured m = measure(*path, 100000, [](int, const cv::Mat& frame) {
      return on_canvas(frame, 0.9, {320, 240});
    });
    int focused = 0, counted = 0;
    for (std::size_t i = 0; i < m.t.size(); ++i) {
      if (m.t[i] < 3) continue;
      ++counted;
      focused += m.d[i].smooth == FocusState::Focused;
    }
    RecordProperty(std::string(name) + "_focused_share", std::to_string(1.0 * focused / counted));
    EXPECT_GE(focused, 0.9 * counted) << focused << " of " << counted;
  }
  if (!any) GTEST_SKIP() << "../shared/data/face_video not found; skipping";
}

TEST(FeatureExtractor, LandmarkPoseAgreesWithThePoseNetwork) {
  const auto path = clip("liveportrait_d6.mp4");
  if (!path) GTEST_SKIP() << "../shared/data/face_video/liveportrait_d6.mp4 not found; skipping";
  const vision::ModelConfig models = vision::load_model_config(vision::default_model_config_path());
  if (!models.pose) GTEST_SKIP() << "the model config has no pose network";
  vision::PoseNetwork network(*models.pose);
  core::VideoReader reader(path->string());
  FeatureExtractor extractor(models);
  std::vector<double> yaw_error, pitch_error;
  cv::Mat frame;
  for (int i = 0; reader.read_bgr(frame); ++i) {
    const cv::Mat image = on_canvas(frame, 0.9, {320, 240});
    const FrameFeatures f = extractor.measure(image, i / 30.0);
    if (i % 15 != 0 || !f.face_present || !std::isfinite(f.head_yaw_deg)) continue;
    const vision::HeadPose p = network.estimate(image, f.face_box);
    yaw_error.push_back(std::abs(f.head_yaw_deg - p.yaw));
    pitch_error.push_back(std::abs(f.head_pitch_deg - p.pitch));
  }
  ASSERT_GE(yaw_error.size(), 50u);
  const auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  RecordProperty("median_yaw_difference_deg", std::to_string(median(yaw_error)));
  RecordProperty("median_pitch_difference_deg", std::to_string(median(pitch_error)));
  EXPECT_LE(median(yaw_error), 8.0);
  EXPECT_LE(median(pitch_error), 10.0);
}

}  // namespace
}  // namespace ethovid::focus
