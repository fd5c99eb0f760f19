#include "ethovid/vision/landmarker.hpp"

#include <algorithm>
#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

namespace {

cv::Point2f mean_of(const Landmarks68& points, int first, int last) {
  cv::Point2f sum(0, 0);
  for (int i = first; i <= last; ++i) sum += points[i];
  return sum * (1.0f / static_cast<float>(last - first + 1));
}

}  // namespace

FivePoints five_points(const Landmarks68& p) {
  // iBUG 68-point indices: 36-41 and 42-47 the eyes, 30 the nose tip, 48 and 54 the mouth corners.
  return {mean_of(p, 36, 41), mean_of(p, 42, 47), p[30], p[48], p[54]};
}

cv::Rect landmark_crop(const cv::Rect2f& box, cv::Size image) {
  float x = box.x, y = box.y;
  const float w = std::min(box.width, static_cast<float>(image.width));
  const float h = std::min(box.height, static_cast<float>(image.height));
  x = std::clamp(x, 0.0f, image.width - w);
  y = std::clamp(y, 0.0f, image.height - h);
  cv::Rect crop(static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)),
                std::max(1, static_cast<int>(std::round(w))), std::max(1, static_cast<int>(std::round(h))));
  return crop & cv::Rect(0, 0, image.width, image.height);
}

Landmarker::Landmarker(const ModelSpec& spec) : network_(spec) {}

Landmarks68 Landmarker::locate(const cv::Mat& image, const cv::Rect2f& box) {
  const cv::Rect crop = landmark_crop(box, image.size());
  if (crop.area() <= 0) {
    throw ComputationError("landmarks: the face box lies outside the " + std::to_string(image.cols) +
                           "x" + std::to_string(image.rows) + " image");
  }
  const cv::Mat out = network_.run({image(crop)})[0];
  if (out.total() != 136) {
    throw ModelFormatError(network_.spec().path.string() + ": the landmark network gives " +
                           std::to_string(out.total()) + " values, expected 136 (68 x, y pairs)");
  }
  const float* v = out.ptr<float>();
  Landmarks68 points;
  for (int i = 0; i < 68; ++i) {
    points[i] = {crop.x + v[2 * i] * crop.width, crop.y + v[2 * i + 1] * crop.height};
  }
  return points;
}

}  // namespace ethovid::vision
