// Quality measures: blur lowers the Laplacian variance; the score weighs its parts 0.4/0.3/0.2/0.1.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "ethovid/vision/face_quality.hpp"

namespace ethovid::vision {
namespace {

TEST(FaceQuality, BlurLowersLaplacianVariance) {
  cv::Mat sharp(112, 112, CV_8UC3);
  cv::randu(sharp, 0, 255);
  cv::Mat blurred;
  cv::GaussianBlur(sharp, blurred, cv::Size(0, 0), 3.0);
  const double a = laplacian_variance(sharp), b = laplacian_variance(blurred);
  EXPECT_GT(a, 100 * b);
  EXPECT_NEAR(laplacian_variance(cv::Mat(50, 50, CV_8UC1, cv::Scalar(128))), 0.0, 1e-12);
}

TEST(FaceQuality, ScoreWeighsItsParts) {
  QualityMeasures perfect{1.0, 200, 500, 0, 0};
  EXPECT_NEAR(quality_score(perfect).score, 1.0, 1e-12);
  QualityMeasures m = perfect;
  m.confidence = 0.5;  // loses 0.4 * 0.5
  EXPECT_NEAR(quality_score(m).score, 0.8, 1e-12);
  m = perfect;
  m.face_size = 56;  // half of full size: loses 0.3 * 0.5
  EXPECT_NEAR(quality_score(m).score, 0.85, 1e-12);
  m = perfect;
  m.sharpness = 25;  // a quarter: loses 0.2 * 0.75
  EXPECT_NEAR(quality_score(m).score, 0.85, 1e-12);
  m = perfect;
  m.pitch = -30;  // half way to zero_pose: loses 0.1 * 0.5
  EXPECT_NEAR(quality_score(m).score, 0.95, 1e-12);
  m.yaw = 90;  // beyond zero_pose: the pose part is 0, not negative
  EXPECT_NEAR(quality_score(m).pose, 0.0, 1e-12);
  EXPECT_NEAR(quality_score(m).score, 0.9, 1e-12);
}

}  // namespace
}  // namespace ethovid::vision
