#include "ethovid/vision/face_embedder.hpp"

#include <algorithm>
#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

namespace {

constexpr std::size_t kMaxBatch = 16;

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
  if (faces.size() > kMaxBatch) {
    // Bounded batches: a whole photo set in one network call would hold all its activations.
    std::vector<std::vector<float>> out;
    out.reserve(faces.size());
    for (std::size_t first = 0; first < faces.size(); first += kMaxBatch) {
      const std::size_t last = std::min(faces.size(), first + kMaxBatch);
      auto part = embed(std::vector<cv::Mat>(faces.begin() + first, faces.begin() + last));
      for (auto& v : part) out.push_back(std::move(v));
    }
    return out;
  }
  std::vector<std::vector<float>> out;
  out.reserve(faces.size());
  const std::string model = network_.spec().path.string();
  if (batches_ && faces.size() > 1) {
    cv::Mat result;
    try {
      result = network_.run(faces)[0];
    } catch (const ComputationError&) {
      // A fixed batch dimension of 1 in the ONNX graph: fall back to one face per call.
    }
    const std::size_t dim = result.empty() ? 0 : result.total() / faces.size();
    if (!result.empty() && result.size[0] == static_cast<int>(faces.size()) && dim > 0) {
      for (std::size_t i = 0; i < faces.size(); ++i) {
        out.push_back(unit_vector(result.ptr<float>() + i * dim, dim, model));
      }
      return out;
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
