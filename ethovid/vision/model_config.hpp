#pragma once
// Which ONNX face models to run and how each expects its input. Read from a YAML file (the
// default, models/faceplugin.yaml, names the models that scripts/setup-deps.sh installs), so a
// user can swap in other networks with their own sizes, colour order and normalisation.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::vision {

enum class ColorOrder { kRgb, kBgr, kGray };

struct ModelSpec {
  std::filesystem::path path;  // absolute after loading
  int input_width = 0;
  int input_height = 0;
  ColorOrder color = ColorOrder::kRgb;
  std::vector<float> mean;  // per channel (1 or 3 values): the network sees (pixel - mean) / std
  std::vector<float> std;
  int channels() const { return color == ColorOrder::kGray ? 1 : 3; }
};

// How the detector's `boxes` output encodes each box: normalised corners (x1, y1, x2, y2), as the
// bundled detector exports them, or (dx, dy, dw, dh) offsets against prior boxes.
enum class BoxEncoding { kCorners, kPriorOffsets };

struct DetectorSpec : ModelSpec {
  BoxEncoding box_encoding = BoxEncoding::kCorners;
  // Prior boxes, for kPriorOffsets only:
  std::vector<std::vector<float>> min_sizes;  // prior box sizes per feature map, input pixels
  std::vector<int> steps;                      // feature map strides, input pixels
  std::array<float, 2> variances{0.1f, 0.2f};
  float score_threshold = 0.65f;
  float nms_threshold = 0.4f;
};

struct ModelConfig {
  std::filesystem::path file;  // where it was read from
  DetectorSpec detector;
  ModelSpec landmarks;
  ModelSpec embedding;
  std::optional<ModelSpec> pose;
  std::optional<ModelSpec> eye;
};

// The config compiled in (models/faceplugin.yaml of the source tree), unless ETHOVID_MODELS names
// another file.
std::filesystem::path default_model_config_path();

// Reads and checks a model config: ConfigError for unknown keys or bad values (naming the file and
// key), MissingInputError when a model file named in it does not exist.
ModelConfig load_model_config(const std::filesystem::path& file);

}  // namespace ethovid::vision
