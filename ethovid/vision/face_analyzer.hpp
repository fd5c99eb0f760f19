#pragma once
// The chain every face stage runs on a still or a frame: detect, locate landmarks, align to the
// ArcFace template, embed. Holds the networks of one model config.
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "ethovid/vision/face_alignment.hpp"
#include "ethovid/vision/face_detector.hpp"
#include "ethovid/vision/face_embedder.hpp"
#include "ethovid/vision/landmarker.hpp"
#include "ethovid/vision/model_config.hpp"

namespace ethovid::vision {

struct AlignedFace {
  FaceDetection detection;  // for a crop taken as the face: the whole image, score NaN
  FivePoints points;        // image pixels
  cv::Mat aligned;          // 112 x 112 BGR (the embedding model's input size)
};

class FaceAnalyzer {
 public:
  explicit FaceAnalyzer(const ModelConfig& config);

  // The largest detected face (by box area), or nullopt when there is none. With `whole_image`
  // the image itself is taken as the face box (sets of already-cropped faces).
  std::optional<AlignedFace> largest_face(const cv::Mat& image, bool whole_image = false);

  // Unit-norm embeddings of aligned faces.
  std::vector<std::vector<float>> embed(const std::vector<cv::Mat>& aligned);

 private:
  FaceDetector detector_;
  Landmarker landmarker_;
  FaceEmbedder embedder_;
  int aligned_size_;
};

}  // namespace ethovid::vision
