#include "ethovid/vision/head_pose.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <opencv2/calib3d.hpp>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

namespace {

constexpr double kDegrees = 180.0 / std::numbers::pi;
constexpr int kPoseBins = 66;
constexpr double kBinDegrees = 3.0;
constexpr double kFirstBinDegrees = -99.0;

// Expected angle of a 66-bin logit vector: softmax, then the mean bin as degrees.
double expected_angle(const cv::Mat& logits) {
  const float* v = logits.ptr<float>();
  double largest = v[0];
  for (int i = 1; i < kPoseBins; ++i) largest = std::max<double>(largest, v[i]);
  double total = 0, weighted = 0;
  for (int i = 0; i < kPoseBins; ++i) {
    const double p = std::exp(v[i] - largest);
    total += p;
    weighted += p * i;
  }
  return weighted / total * kBinDegrees + kFirstBinDegrees;
}

}  // namespace

const std::array<cv::Point3d, 8>& generic_face_model() {
  // Outer eye corners ~90 mm apart, inner ~32 mm; the eye line ~37 mm above the nose tip; the nose
  // tip ~20 mm in front of the nasion, ~32 mm in front of the inner and ~45 mm in front of the
  // outer eye corners; nostril wings ~32 mm apart.
  static const std::array<cv::Point3d, 8> model = {
      cv::Point3d(0, -40, 20),     // 27 nasion (bridge of the nose)
      cv::Point3d(0, 0, 0),        // 30 nose tip
      cv::Point3d(-16, 10, 24),    // 31 image-left nostril wing
      cv::Point3d(16, 10, 24),     // 35 image-right nostril wing
      cv::Point3d(-45, -37, 45),   // 36 image-left eye, outer corner
      cv::Point3d(-16, -37, 32),   // 39 image-left eye, inner corner
      cv::Point3d(16, -37, 32),    // 42 image-right eye, inner corner
      cv::Point3d(45, -37, 45)};   // 45 image-right eye, outer corner
  return model;
}

HeadPose pose_from_rotation(const cv::Matx33d& r) {
  // R = Rz(roll) Rx(pitch) Ry(yaw): yaw turns the face about the vertical axis first, then pitch
  // about the horizontal axis, then roll in the image plane. Its bottom row does not depend on
  // roll, which gives yaw and pitch; roll comes from the middle column.
  HeadPose pose;
  pose.yaw = std::atan2(r(2, 0), r(2, 2)) * kDegrees;
  pose.pitch = std::asin(std::clamp(-r(2, 1), -1.0, 1.0)) * kDegrees;
  pose.roll = std::atan2(-r(0, 1), r(1, 1)) * kDegrees;
  return pose;
}

HeadPose pose_from_landmarks(const Landmarks68& points, cv::Size image) {
  std::vector<cv::Point3d> model(generic_face_model().begin(), generic_face_model().end());
  std::vector<cv::Point2d> observed;
  for (int index : kPoseLandmarks) observed.emplace_back(points[index].x, points[index].y);
  const double focal = image.width;
  const cv::Matx33d camera(focal, 0, image.width / 2.0, 0, focal, image.height / 2.0, 0, 0, 1);
  cv::Vec3d rvec, tvec;
  // Start from a frontal face in front of the camera: the iterative fit then converges to the
  // solution with the face in front, not its mirror behind the camera.
  rvec = {0, 0, 0};
  tvec = {0, 0, focal * 0.5};
  const bool ok = cv::solvePnP(model, observed, camera, cv::noArray(), rvec, tvec, true,
                               cv::SOLVEPNP_ITERATIVE);
  if (!ok) throw ComputationError("head pose: solvePnP found no pose for the landmarks");
  cv::Matx33d rotation;
  cv::Rodrigues(rvec, rotation);
  return pose_from_rotation(rotation);
}

PoseNetwork::PoseNetwork(const ModelSpec& spec) : network_(spec) {}

HeadPose PoseNetwork::estimate(const cv::Mat& image, const cv::Rect2f& box) {
  const cv::Rect2f grown(box.x - box.width / 4, box.y - box.height / 4, box.width * 1.5f,
                         box.height * 1.5f);
  const cv::Rect crop = cv::Rect(grown) & cv::Rect(0, 0, image.cols, image.rows);
  if (crop.area() <= 0) throw ComputationError("head pose: the face box lies outside the image");
  // Output names of the bundled network (Hopenet layout): yaw 'output', pitch '617', roll '618'.
  const auto out = network_.run({image(crop)}, {"output", "617", "618"});
  if (out.size() != 3 || out[0].total() != kPoseBins) {
    throw ModelFormatError(network_.spec().path.string() + ": expected 3 outputs of " +
                           std::to_string(kPoseBins) + " bins");
  }
  // The network counts yaw the other way round (checked on faces turned left and right, and on
  // their mirror images): negate it to the viewer's convention of this header.
  return {-expected_angle(out[0]), expected_angle(out[1]), expected_angle(out[2])};
}

}  // namespace ethovid::vision
