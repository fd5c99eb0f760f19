#include "ethovid/vision/face_analyzer.hpp"

#include <algorithm>
#include <limits>

namespace ethovid::vision {

FaceAnalyzer::FaceAnalyzer(const ModelConfig& config)
    : detector_(config.detector),
      landmarker_(config.landmarks),
      embedder_(config.embedding),
      aligned_size_(config.embedding.input_width) {}

std::optional<AlignedFace> FaceAnalyzer::largest_face(const cv::Mat& image, bool whole_image) {
  FaceDetection face;
  if (whole_image) {
    face = {cv::Rect2f(0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows)),
            std::numeric_limits<float>::quiet_NaN()};
  } else {
    const auto faces = detector_.detect(image);
    if (faces.empty()) return std::nullopt;
    face = *std::max_element(faces.begin(), faces.end(), [](const auto& a, const auto& b) {
      return a.box.area() < b.box.area();
    });
  }
  AlignedFace out{face, five_points(landmarker_.locate(image, face.box)), {}};
  out.aligned = align_face(image, out.points, aligned_size_);
  return out;
}

std::vector<std::vector<float>> FaceAnalyzer::embed(const std::vector<cv::Mat>& aligned) {
  return embedder_.embed(aligned);
}

}  // namespace ethovid::vision
