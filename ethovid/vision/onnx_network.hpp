#pragma once
// One ONNX model run through OpenCV DNN, with the input conventions of its ModelSpec: resize to
// the input size, colour order, (pixel - mean) / std, NCHW float.
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "ethovid/vision/model_config.hpp"

namespace ethovid::vision {

class OnnxNetwork {
 public:
  // ModelFormatError naming the file when OpenCV cannot read it as ONNX.
  explicit OnnxNetwork(const ModelSpec& spec);

  // Images are 8-bit BGR (3 channels) or gray (1 channel), any size; each is resized to the
  // model's input. Returns the named outputs (all of them, in order, when `outputs` is empty).
  std::vector<cv::Mat> run(const std::vector<cv::Mat>& images,
                           const std::vector<std::string>& outputs = {});

  const ModelSpec& spec() const { return spec_; }

 private:
  cv::Mat prepare(const cv::Mat& image) const;

  ModelSpec spec_;
  cv::dnn::Net net_;
};

}  // namespace ethovid::vision
