#pragma once
// Face detection with an SSD-style ONNX detector (UltraFace/RetinaFace family): the image is
// resized to the network input, each candidate's box is read (corners, or offsets against prior
// boxes), low scores are dropped and overlapping boxes merged by non-maximum suppression.
#include <vector>

#include <opencv2/core.hpp>

#include "ethovid/vision/model_config.hpp"
#include "ethovid/vision/onnx_network.hpp"

namespace ethovid::vision {

struct FaceDetection {
  cv::Rect2f box;  // pixels of the input image (may reach past its edges)
  float score = 0;
};

// Prior boxes (cx, cy, w, h), normalised to the input size, in the order the network outputs
// them: feature map by feature map, rows then columns, then each min size.
std::vector<cv::Vec4f> detector_priors(const DetectorSpec& spec);

// Decodes one prior's offsets (dx, dy, dw, dh) into a normalised (x1, y1, x2, y2) box.
cv::Vec4f decode_prior_box(const cv::Vec4f& prior, const cv::Vec4f& offsets,
                           const std::array<float, 2>& variances);

class FaceDetector {
 public:
  explicit FaceDetector(const DetectorSpec& spec);

  // Faces in an 8-bit BGR or gray image, strongest first.
  std::vector<FaceDetection> detect(const cv::Mat& image);

  const OnnxNetwork& network() const { return network_; }

 private:
  DetectorSpec spec_;
  OnnxNetwork network_;
  std::vector<cv::Vec4f> priors_;
};

}  // namespace ethovid::vision
