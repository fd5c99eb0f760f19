#include "ethovid/vision/onnx_network.hpp"

#include <opencv2/imgproc.hpp>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {

OnnxNetwork::OnnxNetwork(const ModelSpec& spec) : spec_(spec) {
  try {
    net_ = cv::dnn::readNetFromONNX(spec.path.string());
  } catch (const cv::Exception& e) {
    throw ModelFormatError(spec.path.string() + ": not a model OpenCV DNN can read (" + e.msg + ")");
  }
  if (net_.empty()) throw ModelFormatError(spec.path.string() + ": empty ONNX network");
}

cv::Mat OnnxNetwork::prepare(const cv::Mat& image) const {
  cv::Mat converted;
  const int channels = image.channels();
  if (spec_.color == ColorOrder::kGray) {
    if (channels == 3) cv::cvtColor(image, converted, cv::COLOR_BGR2GRAY);
    else converted = image;
  } else if (channels == 1) {
    cv::cvtColor(image, converted, cv::COLOR_GRAY2BGR);
    if (spec_.color == ColorOrder::kRgb) cv::cvtColor(converted, converted, cv::COLOR_BGR2RGB);
  } else {
    if (spec_.color == ColorOrder::kRgb) cv::cvtColor(image, converted, cv::COLOR_BGR2RGB);
    else converted = image;
  }
  cv::Mat resized;
  if (converted.cols != spec_.input_width || converted.rows != spec_.input_height) {
    cv::resize(converted, resized, cv::Size(spec_.input_width, spec_.input_height), 0, 0,
               cv::INTER_LINEAR);
  } else {
    resized = converted;
  }
  cv::Mat normalised;
  resized.convertTo(normalised, CV_32F);
  const int n = spec_.channels();
  cv::Scalar mean, inv_std;
  for (int c = 0; c < n; ++c) {
    mean[c] = spec_.mean.size() == 1 ? spec_.mean[0] : spec_.mean[c];
    inv_std[c] = 1.0 / (spec_.std.size() == 1 ? spec_.std[0] : spec_.std[c]);
  }
  cv::subtract(normalised, mean, normalised);
  cv::multiply(normalised, inv_std, normalised);
  return normalised;
}

std::vector<cv::Mat> OnnxNetwork::run(const std::vector<cv::Mat>& images,
                                      const std::vector<std::string>& outputs) {
  std::vector<cv::Mat> prepared;
  prepared.reserve(images.size());
  for (const cv::Mat& image : images) prepared.push_back(prepare(image));
  net_.setInput(cv::dnn::blobFromImages(prepared));
  const std::vector<std::string> names =
      outputs.empty() ? net_.getUnconnectedOutLayersNames() : outputs;
  std::vector<cv::Mat> results;
  try {
    net_.forward(results, names);
  } catch (const cv::Exception& e) {
    throw ComputationError(spec_.path.string() + ": inference failed on a batch of " +
                           std::to_string(images.size()) + " (" + e.msg + ")");
  }
  return results;
}

}  // namespace ethovid::vision
