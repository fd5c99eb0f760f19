// Head pose from landmarks: the generic face projected at a known pose must be recovered.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include <opencv2/calib3d.hpp>

#include "ethovid/vision/head_pose.hpp"

namespace ethovid::vision {
namespace {

constexpr double kRadians = std::numbers::pi / 180.0;

// Rotation (model to camera) for a pose in the header's conventions.
cv::Matx33d rotation_for(double yaw, double pitch, double roll) {
  const double y = yaw * kRadians, p = pitch * kRadians, r = roll * kRadians;
  // Turning the nose to the image right is a rotation about the camera's y axis (down) by -yaw;
  // looking up is a rotation about x by +pitch; clockwise roll is a rotation about z by +roll.
  const cv::Matx33d ry(std::cos(y), 0, -std::sin(y), 0, 1, 0, std::sin(y), 0, std::cos(y));
  const cv::Matx33d rx(1, 0, 0, 0, std::cos(p), std::sin(p), 0, -std::sin(p), std::cos(p));
  const cv::Matx33d rz(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
  return rz * rx * ry;
}

Landmarks68 project(const cv::Matx33d& rotation, cv::Size image) {
  const double focal = image.width;
  const cv::Vec3d shift(10, -20, 400);
  Landmarks68 points{};
  const auto& model = generic_face_model();
  for (std::size_t i = 0; i < model.size(); ++i) {
    const cv::Vec3d c = rotation * cv::Vec3d(model[i].x, model[i].y, model[i].z) + shift;
    points[kPoseLandmarks[i]] = cv::Point2f(static_cast<float>(focal * c[0] / c[2] + image.width / 2.0),
                                            static_cast<float>(focal * c[1] / c[2] + image.height / 2.0));
  }
  return points;
}

TEST(HeadPose, RotationConventions) {
  // Nose to the image right: the face's forward direction (-z) gains +x.
  const HeadPose right = pose_from_rotation(rotation_for(30, 0, 0));
  EXPECT_NEAR(right.yaw, 30, 1e-6);
  EXPECT_NEAR(right.pitch, 0, 1e-6);
  const HeadPose up = pose_from_rotation(rotation_for(0, 20, 0));
  EXPECT_NEAR(up.pitch, 20, 1e-6);
  const HeadPose tilt = pose_from_rotation(rotation_for(0, 0, 15));
  EXPECT_NEAR(tilt.roll, 15, 1e-6);
}

TEST(HeadPose, LandmarksOfAKnownPoseGiveThatPose) {
  const cv::Size image(640, 480);
  for (const auto& [yaw, pitch, roll] : std::vector<std::array<double, 3>>{
           {0, 0, 0}, {25, 0, 0}, {-40, 10, 0}, {15, -20, 8}, {60, 5, -10}}) {
    const HeadPose pose = pose_from_landmarks(project(rotation_for(yaw, pitch, roll), image), image);
    EXPECT_NEAR(pose.yaw, yaw, 1.0) << yaw << " " << pitch << " " << roll;
    EXPECT_NEAR(pose.pitch, pitch, 1.0) << yaw << " " << pitch << " " << roll;
    EXPECT_NEAR(pose.roll, roll, 1.0) << yaw << " " << pitch << " " << roll;
  }
}

}  // namespace
}  // namespace ethovid::vision
