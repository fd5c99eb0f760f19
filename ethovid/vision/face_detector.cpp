#include "ethovid/vision/face_detector.hpp"

#include <cmath>

#include <opencv2/dnn.hpp>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

std::vector<cv::Vec4f> detector_priors(const DetectorSpec& spec) {
  const float width = static_cast<float>(spec.input_width);
  const float height = static_cast<float>(spec.input_height);
  std::vector<cv::Vec4f> priors;
  for (std::size_t k = 0; k < spec.steps.size(); ++k) {
    const int step = spec.steps[k];
    const int rows = static_cast<int>(std::ceil(height / step));
    const int cols = static_cast<int>(std::ceil(width / step));
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < cols; ++j) {
        for (float size : spec.min_sizes[k]) {
          priors.emplace_back((j + 0.5f) * step / width, (i + 0.5f) * step / height,
                              size / width, size / height);
        }
      }
    }
  }
  return priors;
}

cv::Vec4f decode_prior_box(const cv::Vec4f& prior, const cv::Vec4f& offsets,
                           const std::array<float, 2>& variances) {
  const float cx = prior[0] + offsets[0] * variances[0] * prior[2];
  const float cy = prior[1] + offsets[1] * variances[0] * prior[3];
  const float w = prior[2] * std::exp(offsets[2] * variances[1]);
  const float h = prior[3] * std::exp(offsets[3] * variances[1]);
  return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

FaceDetector::FaceDetector(const DetectorSpec& spec)
    : spec_(spec), network_(spec) {
  if (spec.box_encoding == BoxEncoding::kPriorOffsets) priors_ = detector_priors(spec);
}

std::vector<FaceDetection> FaceDetector::detect(const cv::Mat& image) {
  const std::vector<cv::Mat> out = network_.run({image}, {"scores", "boxes"});
  const cv::Mat& scores = out[0];
  const cv::Mat& boxes = out[1];
  const auto count = static_cast<std::size_t>(scores.total() / 2);
  const bool offsets = spec_.box_encoding == BoxEncoding::kPriorOffsets;
  if (boxes.total() != 4 * count || (offsets && count != priors_.size())) {
    throw ModelFormatError(spec_.path.string() + ": the detector gives " + std::to_string(count) +
                           " scores and " + std::to_string(boxes.total() / 4) + " boxes" +
                           (offsets ? " for " + std::to_string(priors_.size()) +
                                          " priors of its config" : std::string()));
  }
  const float* score = scores.ptr<float>();
  const float* offset = boxes.ptr<float>();  // offsets or corners, per box_encoding
  std::vector<cv::Rect2d> candidates;
  std::vector<float> candidate_scores;
  for (std::size_t p = 0; p < count; ++p) {
    const float s = score[2 * p + 1];
    if (s < spec_.score_threshold) continue;
    const cv::Vec4f raw(offset[4 * p], offset[4 * p + 1], offset[4 * p + 2], offset[4 * p + 3]);
    const cv::Vec4f b = offsets ? decode_prior_box(priors_[p], raw, spec_.variances) : raw;
    candidates.emplace_back(b[0] * image.cols, b[1] * image.rows, (b[2] - b[0]) * image.cols,
                            (b[3] - b[1]) * image.rows);
    candidate_scores.push_back(s);
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(candidates, candidate_scores, spec_.score_threshold, spec_.nms_threshold, keep);
  std::vector<FaceDetection> faces;
  for (int i : keep) faces.push_back({cv::Rect2f(candidates[i]), candidate_scores[i]});
  std::sort(faces.begin(), faces.end(),
            [](const FaceDetection& a, const FaceDetection& b) { return a.score > b.score; });
  return faces;
}

}  // namespace ethovid::vision
