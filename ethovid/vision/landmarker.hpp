#pragma once
// 68-point facial landmarks from a face box, and the five points (eye centres, nose tip, mouth
// corners) that alignment and head pose use.
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "ethovid/vision/model_config.hpp"
#include "ethovid/vision/onnx_network.hpp"

namespace ethovid::vision {

using Landmarks68 = std::array<cv::Point2f, 68>;
// Image-left eye centre, image-right eye centre, nose tip, image-left and image-right mouth corner:
// the order of the ArcFace template.
using FivePoints = std::array<cv::Point2f, 5>;

FivePoints five_points(const Landmarks68& points);

// The box the landmark network sees: `box` moved (not shrunk) to lie inside the image, then
// clipped where it is larger than the image.
cv::Rect landmark_crop(const cv::Rect2f& box, cv::Size image);

class Landmarker {
 public:
  explicit Landmarker(const ModelSpec& spec);

  // Landmarks in image pixels for the face in `box` of an 8-bit BGR or gray image.
  Landmarks68 locate(const cv::Mat& image, const cv::Rect2f& box);

  const OnnxNetwork& network() const { return network_; }

 private:
  OnnxNetwork network_;
};

}  // namespace ethovid::vision
