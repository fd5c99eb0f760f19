#pragma once
// Eye open/closed from the eye-state network (24 x 24 gray crops, two logits) on square crops
// around each eye, placed by the 68 landmarks: centred on the four eyelid points, 1.6 times the
// corner-to-corner width on a side (the crop the network was trained on).
#include <limits>

#include <opencv2/core.hpp>

#include "ethovid/vision/landmarker.hpp"
#include "ethovid/vision/model_config.hpp"
#include "ethovid/vision/onnx_network.hpp"

namespace ethovid::vision {

struct EyeState {
  // Probability that each eye is open: the image-left eye (the person's right) first. NaN for an
  // eye that could not be measured (its crop is empty), so "unknown" never reads as "closed".
  float left_open = std::numeric_limits<float>::quiet_NaN();
  float right_open = std::numeric_limits<float>::quiet_NaN();
};

// The square crop of one eye (`first` = 36 for the image-left eye, 42 for the other), moved to
// lie inside the image; empty when the eye is smaller than two pixels.
cv::Rect eye_crop(const Landmarks68& points, int first, cv::Size image);

class EyeStateClassifier {
 public:
  explicit EyeStateClassifier(const ModelSpec& spec);

  // Both eyes of the face whose landmarks are `points` in an 8-bit BGR or gray image.
  EyeState classify(const cv::Mat& image, const Landmarks68& points);

 private:
  OnnxNetwork network_;
};

}  // namespace ethovid::vision
