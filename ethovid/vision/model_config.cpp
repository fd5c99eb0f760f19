#include "ethovid/vision/model_config.hpp"

#include <cstdlib>

#include "ethovid/core/error.hpp"
#include "ethovid/core/yaml_config.hpp"

namespace ethovid::vision {

namespace fs = std::filesystem;

namespace {

template <typename T>
T required(const YAML::Node& node, const char* key, const fs::path& file, const std::string& where) {
  if (!node[key]) throw ConfigError(file.string() + ": " + where + "." + key + " is missing");
  try {
    return node[key].as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(file.string() + ": " + where + "." + key + " has the wrong type (line " +
                      std::to_string(node[key].Mark().line + 1) + ")");
  }
}

ColorOrder parse_color(const std::string& text, const fs::path& file, const std::string& where) {
  if (text == "rgb") return ColorOrder::kRgb;
  if (text == "bgr") return ColorOrder::kBgr;
  if (text == "gray") return ColorOrder::kGray;
  throw ConfigError(file.string() + ": " + where + ".color is '" + text +
                    "'; expected rgb, bgr or gray");
}

void read_model(const YAML::Node& node, const fs::path& file, const std::string& where,
                ModelSpec& spec) {
  spec.path = required<std::string>(node, "path", file, where);
  if (spec.path.is_relative()) spec.path = fs::absolute(file).parent_path() / spec.path;
  spec.path = spec.path.lexically_normal();
  const auto size = required<std::vector<int>>(node, "input_size", file, where);
  if (size.size() != 2 || size[0] < 1 || size[1] < 1) {
    throw ConfigError(file.string() + ": " + where + ".input_size must be [width, height] > 0");
  }
  spec.input_width = size[0];
  spec.input_height = size[1];
  spec.color = parse_color(required<std::string>(node, "color", file, where), file, where);
  spec.mean = required<std::vector<float>>(node, "mean", file, where);
  spec.std = required<std::vector<float>>(node, "std", file, where);
  for (const auto* values : {&spec.mean, &spec.std}) {
    if (values->size() != 1 && static_cast<int>(values->size()) != spec.channels()) {
      throw ConfigError(file.string() + ": " + where + " mean/std need 1 or " +
                        std::to_string(spec.channels()) + " values, got " +
                        std::to_string(values->size()));
    }
  }
  for (float s : spec.std) {
    if (s == 0) throw ConfigError(file.string() + ": " + where + ".std has a zero");
  }
  if (!fs::exists(spec.path)) {
    throw MissingInputError(spec.path.string() + ": model file named by " + file.string() + " (" +
                            where + ") not found; run scripts/setup-deps.sh");
  }
}

constexpr std::initializer_list<const char*> kModelKeys = {"path", "input_size", "color", "mean",
                                                           "std"};

}  // namespace

fs::path default_model_config_path() {
  if (const char* env = std::getenv("ETHOVID_MODELS"); env && *env) return env;
  return ETHOVID_DEFAULT_MODEL_CONFIG;
}

ModelConfig load_model_config(const fs::path& file) {
  const YAML::Node root = core::load_yaml(file);
  core::check_known_keys(root, file, "the model config",
                         {"detector", "landmarks", "embedding", "pose", "eye"});
  ModelConfig config;
  config.file = file;
  const YAML::Node detector = root["detector"];
  core::check_known_keys(detector, file, "detector",
                         {"path", "input_size", "color", "mean", "std", "box_encoding",
                          "min_sizes", "steps", "variances", "score_threshold", "nms_threshold"});
  if (!detector) throw ConfigError(file.string() + ": 'detector' is missing");
  read_model(detector, file, "detector", config.detector);
  auto& d = config.detector;
  const std::string encoding = required<std::string>(detector, "box_encoding", file, "detector");
  if (encoding == "corners") {
    d.box_encoding = BoxEncoding::kCorners;
  } else if (encoding == "prior_offsets") {
    d.box_encoding = BoxEncoding::kPriorOffsets;
    d.min_sizes = required<std::vector<std::vector<float>>>(detector, "min_sizes", file, "detector");
    d.steps = required<std::vector<int>>(detector, "steps", file, "detector");
    if (d.min_sizes.size() != d.steps.size() || d.steps.empty()) {
      throw ConfigError(file.string() + ": detector has " + std::to_string(d.min_sizes.size()) +
                        " min_sizes lists for " + std::to_string(d.steps.size()) + " steps");
    }
  } else {
    throw ConfigError(file.string() + ": detector.box_encoding is '" + encoding +
                      "'; expected corners or prior_offsets");
  }
  if (detector["variances"]) {
    const auto v = required<std::vector<float>>(detector, "variances", file, "detector");
    if (v.size() != 2) throw ConfigError(file.string() + ": detector.variances needs 2 values");
    d.variances = {v[0], v[1]};
  }
  if (detector["score_threshold"]) d.score_threshold = required<float>(detector, "score_threshold", file, "detector");
  if (detector["nms_threshold"]) d.nms_threshold = required<float>(detector, "nms_threshold", file, "detector");

  for (auto [key, spec] : {std::pair{"landmarks", &config.landmarks},
                           std::pair{"embedding", &config.embedding}}) {
    core::check_known_keys(root[key], file, key, kModelKeys);
    if (!root[key]) throw ConfigError(file.string() + ": '" + key + "' is missing");
    read_model(root[key], file, key, *spec);
  }
  for (auto [key, spec] : {std::pair{"pose", &config.pose}, std::pair{"eye", &config.eye}}) {
    if (!root[key]) continue;
    core::check_known_keys(root[key], file, key, kModelKeys);
    spec->emplace();
    read_model(root[key], file, key, **spec);
  }
  return config;
}

}  // namespace ethovid::vision
