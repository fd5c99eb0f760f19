#include "ethovid/vision/face_quality.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace ethovid::vision {

double laplacian_variance(const cv::Mat& image) {
  cv::Mat gray;
  if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  else gray = image;
  cv::Mat laplacian;
  cv::Laplacian(gray, laplacian, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(laplacian, mean, stddev);
  return stddev[0] * stddev[0];
}

QualityParts quality_score(const QualityMeasures& m, const QualityScales& scales) {
  auto unit = [](double v) { return std::clamp(v, 0.0, 1.0); };
  QualityParts parts;
  parts.confidence = unit(std::isnan(m.confidence) ? 1.0 : m.confidence);
  parts.size = unit(m.face_size / scales.full_size);
  parts.sharpness = unit(m.sharpness / scales.full_sharpness);
  parts.pose = unit(1.0 - std::max(std::abs(m.yaw), std::abs(m.pitch)) / scales.zero_pose);
  parts.score = 0.4 * parts.confidence + 0.3 * parts.size + 0.2 * parts.sharpness + 0.1 * parts.pose;
  return parts;
}

}  // namespace ethovid::vision
