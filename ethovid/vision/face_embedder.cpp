#include "ethovid/vision/face_embedder.hpp"

#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

namespace {

std::vector<float> unit_vector(const float* v, std::size_t dim, const std::string& model) {
  double norm = 0;
  for (std::size_t i = 0; i < dim; ++i) norm += static_cast<double>(v[i]) * v[i];
  norm = std::sqrt(norm);
  if (!(norm > 0) || !std::isfinite(norm)) {
    throw ComputationError(model + ": embedding has norm " + std::to_string(norm));
  }
  std::vector<float> out(dim);
  for (std::size_t i = 0; i < dim; ++i) out[i] = static_cast<float>(v[i] / norm);
  return out;
}

}  // namespace

FaceEmbedder::FaceEmbedder(const ModelSpec& spec) : network_(spec) {}

std::vector<std::vector<float>> FaceEmbedder::embed(const std::vector<cv::Mat>& faces) {
  std::vector<std::vector<float>> out;
  out.reserve(faces.size());
  const std::string model = network_.spec().path.string();
  if (batches_ && faces.size() > 1) {
    try {
      const cv::Mat result = network_.run(faces)[0];
      const std::size_t dim = result.total() / faces.size();
      if (result.size[0] == static_cast<int>(faces.size()) && dim > 0) {
        for (std::size_t i = 0; i < faces.size(); ++i) {
          out.push_back(unit_vector(result.ptr<float>() + i * dim, dim, model));
        }
        return out;
      }
    } catch (const ComputationError&) {
      // A fixed batch dimension of 1 in the ONNX graph: fall back to one face per call.
    }
    batches_ = false;
  }
  for (const cv::Mat& face : faces) {
    const cv::Mat result = network_.run({face})[0];
    out.push_back(unit_vector(result.ptr<float>(), result.total(), model));
  }
  return out;
}

}  // namespace ethovid::vision
