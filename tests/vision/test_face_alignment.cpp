// The similarity fit and the aligned crop: landmarks must land on the ArcFace template.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "ethovid/vision/face_alignment.hpp"

namespace ethovid::vision {
namespace {

FivePoints transform(const FivePoints& points, double angle, double scale, cv::Point2d shift) {
  FivePoints out;
  const double c = std::cos(angle) * scale, s = std::sin(angle) * scale;
  for (int i = 0; i < 5; ++i) {
    out[i] = cv::Point2f(static_cast<float>(c * points[i].x - s * points[i].y + shift.x),
                         static_cast<float>(s * points[i].x + c * points[i].y + shift.y));
  }
  return out;
}

cv::Point2f apply(const cv::Mat& m, cv::Point2f p) {
  return {static_cast<float>(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2)),
          static_cast<float>(m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2))};
}

TEST(FaceAlignment, FitRecoversAnExactSimilarity) {
  const FivePoints target = arcface_template();
  // A face rotated by 20 degrees, 2.3x larger, somewhere in a frame.
  const FivePoints face = transform(target, 0.35, 2.3, {400, 150});
  const cv::Mat m = fit_similarity(face, target);
  for (int i = 0; i < 5; ++i) {
    const cv::Point2f mapped = apply(m, face[i]);
    EXPECT_NEAR(mapped.x, target[i].x, 1e-3);
    EXPECT_NEAR(mapped.y, target[i].y, 1e-3);
  }
  // Uniform scale and no shear: the 2x2 part is scale x rotation.
  const double a = m.at<double>(0, 0), b = m.at<double>(0, 1);
  EXPECT_NEAR(m.at<double>(1, 1), a, 1e-9);
  EXPECT_NEAR(m.at<double>(1, 0), -b, 1e-9);
  EXPECT_NEAR(std::hypot(a, b), 1 / 2.3, 1e-6);
}

TEST(FaceAlignment, MirroredPointsAreNotReflected) {
  FivePoints mirrored = arcface_template();
  for (auto& p : mirrored) p.x = 112 - p.x;
  const cv::Mat m = fit_similarity(mirrored, arcface_template());
  const double determinant = m.at<double>(0, 0) * m.at<double>(1, 1) - m.at<double>(0, 1) * m.at<double>(1, 0);
  EXPECT_GT(determinant, 0) << "a similarity never mirrors the face";
}

TEST(FaceAlignment, AlignedCropPutsLandmarksOnTheTemplate) {
  // Five bright dots where a rotated, scaled face's landmarks are; after alignment each dot's
  // centre must be within 1 px of its template point.
  const FivePoints face = transform(arcface_template(), -0.3, 1.7, {120, 60});
  cv::Mat image = cv::Mat::zeros(360, 420, CV_8UC3);
  for (const auto& p : face) cv::circle(image, p, 4, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  const cv::Mat aligned = align_face(image, face);
  ASSERT_EQ(aligned.size(), cv::Size(112, 112));
  cv::Mat gray;
  cv::cvtColor(aligned, gray, cv::COLOR_BGR2GRAY);
  for (const auto& target : arcface_template()) {
    const cv::Rect window(cv::Point(static_cast<int>(target.x) - 6, static_cast<int>(target.y) - 6), cv::Size(13, 13));
    const cv::Moments m = cv::moments(gray(window));
    ASSERT_GT(m.m00, 0);
    EXPECT_NEAR(window.x + m.m10 / m.m00, target.x, 1.0);
    EXPECT_NEAR(window.y + m.m01 / m.m00, target.y, 1.0);
  }
}

TEST(FaceAlignment, FaceAtTheEdgeGivesNoBlankBand) {
  // Landmarks near the top-left corner: the crop reaches past the image, whose border repeats.
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(90, 120, 150));
  const FivePoints face = transform(arcface_template(), 0, 1.0, {-30, -40});
  const cv::Mat aligned = align_face(image, face);
  cv::Mat gray;
  cv::cvtColor(aligned, gray, cv::COLOR_BGR2GRAY);
  double lowest = 0;
  cv::minMaxLoc(gray, &lowest);
  EXPECT_GT(lowest, 50) << "no black or grey fill from outside the image";
}

TEST(FaceAlignment, TemplateScalesWithTheCropSize) {
  const FivePoints big = arcface_template(224);
  const FivePoints base = arcface_template();
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(big[i].x, 2 * base[i].x, 1e-4);
}

}  // namespace
}  // namespace ethovid::vision
