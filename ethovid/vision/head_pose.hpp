#pragma once
// Head pose (degrees) two ways: from the 68 landmarks by fitting a generic 3-D face to six of them
// (solvePnP, well under a millisecond: what the quality gate uses), or from the pose network
// (66 bins of 3 degrees per angle, ~20 ms per face: an option).
//
// Conventions, from the viewer's side: yaw > 0 when the nose points to the image's right,
// pitch > 0 when the face looks up, roll > 0 when the head tilts clockwise in the image.
#include <opencv2/core.hpp>

#include "ethovid/vision/landmarker.hpp"
#include "ethovid/vision/model_config.hpp"
#include "ethovid/vision/onnx_network.hpp"

namespace ethovid::vision {

struct HeadPose {
  double yaw = 0;
  double pitch = 0;
  double roll = 0;
};

// Fits a generic face to the rigid landmarks (eye corners, nose bridge, nose tip, nostril wings;
// not the jaw or mouth, which move with expression and hide under beards) with a pinhole camera of
// focal length = image width, centred. ComputationError when the fit fails.
HeadPose pose_from_landmarks(const Landmarks68& points, cv::Size image);

// The 3-D points of that generic face (millimetres, from adult anthropometric averages; x right,
// y down, z away from the camera; nose tip at the origin), in the order of kPoseLandmarks.
const std::array<cv::Point3d, 8>& generic_face_model();
inline constexpr std::array<int, 8> kPoseLandmarks = {27, 30, 31, 35, 36, 39, 42, 45};

// A rotation matrix (model to camera) R = Rz(roll) Rx(pitch) Ry(yaw) as yaw, pitch and roll in the
// conventions above.
HeadPose pose_from_rotation(const cv::Matx33d& rotation);

class PoseNetwork {
 public:
  explicit PoseNetwork(const ModelSpec& spec);

  // Pose of the face in `box` (the box grown by a quarter on each side, as the network was fed).
  HeadPose estimate(const cv::Mat& image, const cv::Rect2f& box);

 private:
  OnnxNetwork network_;
};

}  // namespace ethovid::vision
