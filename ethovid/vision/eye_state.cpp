#include "ethovid/vision/eye_state.hpp"

#include <algorithm>
#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

namespace {
constexpr float kCropScale = 1.6f;  // crop side / eye width (corner to corner)
}

cv::Rect eye_crop(const Landmarks68& points, int first, cv::Size image) {
  // Points first..first+5 go round the eye: the two corners are first and first+3, the eyelids
  // the other four.
  const cv::Point2f centre = (points[first + 1] + points[first + 2] + points[first + 4] + points[first + 5]) / 4;
  const float width = std::hypot(points[first + 3].x - points[first].x, points[first + 3].y - points[first].y);
  const int side = std::min({static_cast<int>(std::lround(width * kCropScale)), image.width, image.height});
  if (side < 2) return {};
  const int x = std::clamp(static_cast<int>(std::lround(centre.x - side / 2.0f)), 0, image.width - side);
  const int y = std::clamp(static_cast<int>(std::lround(centre.y - side / 2.0f)), 0, image.height - side);
  return {x, y, side, side};
}

EyeStateClassifier::EyeStateClassifier(const ModelSpec& spec) : network_(spec) {}

EyeState EyeStateClassifier::classify(const cv::Mat& image, const Landmarks68& points) {
  std::vector<cv::Mat> crops;
  std::vector<int> which;
  for (int eye : {0, 1}) {
    const cv::Rect crop = eye_crop(points, eye == 0 ? 36 : 42, image.size());
    if (crop.empty()) continue;
    crops.push_back(image(crop));
    which.push_back(eye);
  }
  EyeState state;
  for (std::size_t i = 0; i < crops.size(); ++i) {
    const cv::Mat logits = network_.run({crops[i]}).front().reshape(1, 1);
    if (logits.total() != 2) {
      throw ModelFormatError(network_.spec().path.string() + " gives " + std::to_string(logits.total()) +
                             " outputs per eye, expected 2 (closed, open logits)");
    }
    // Logit 0 is "closed", 1 "open": checked on Yale's sleepy (both closed) and wink images.
    const float closed = logits.at<float>(0), open = logits.at<float>(1);
    const float p = 1.0f / (1.0f + std::exp(closed - open));  // softmax of two
    (which[i] == 0 ? state.left_open : state.right_open) = p;
  }
  return state;
}

}  // namespace ethovid::vision
