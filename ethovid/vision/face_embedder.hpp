#pragma once
// Face embeddings: an aligned crop in, a unit-length vector out (512-d for the bundled model).
#include <vector>

#include <opencv2/core.hpp>

#include "ethovid/vision/model_config.hpp"
#include "ethovid/vision/onnx_network.hpp"

namespace ethovid::vision {

class FaceEmbedder {
 public:
  explicit FaceEmbedder(const ModelSpec& spec);

  // One embedding per aligned 8-bit BGR or gray crop, each L2-normalised. ComputationError when a
  // network output is zero or not finite.
  std::vector<std::vector<float>> embed(const std::vector<cv::Mat>& aligned_faces);

  const OnnxNetwork& network() const { return network_; }

 private:
  OnnxNetwork network_;
  bool batches_ = true;  // cleared when the model turns out to accept one face per call
};

}  // namespace ethovid::vision
