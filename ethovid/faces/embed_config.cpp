// The YAML config of `faces embed`: defaults in EmbedConfig / HarvestConfig, keys as named there.
#include "ethovid/core/error.hpp"
#include "ethovid/core/yaml_config.hpp"
#include "ethovid/faces/embed.hpp"

namespace ethovid::faces {

namespace {

template <typename T>
void read_key(const YAML::Node& root, const char* key, const std::string& source, T& out) {
  if (!root[key]) return;
  try {
    out = root[key].as<T>();
  } catch (const YAML::Exception&) {
    const int line = root[key].Mark().line;
    throw ConfigError(source + ": '" + key + "' has the wrong type" +
                      (line >= 0 ? " (line " + std::to_string(line + 1) + ")" : ""));
  }
}

void require(bool ok, const std::string& key, const std::string& rule, double value) {
  if (!ok) throw ConfigError(key + " = " + std::to_string(value) + " must be " + rule);
}

}  // namespace

EmbedConfig load_embed_config(const std::filesystem::path& file) {
  return embed_config_from_yaml(core::load_yaml(file), file.string());
}

EmbedConfig embed_config_from_yaml(const YAML::Node& root, const std::string& source) {
  core::check_known_keys(root, source, "the faces embed config",
                         {"min_quality", "min_confidence", "min_face_size", "max_blur",
                          "max_yaw_angle", "max_pitch_angle", "min_inside_fraction", "sampling",
                          "sample_interval", "max_crops_per_track", "max_crops_per_episode", "seed",
                          "thumb_size", "jpeg_quality", "save_crops"});
  EmbedConfig c;
  auto& h = c.harvest;
  const std::string& file = source;
  read_key(root, "min_quality", file, h.min_quality);
  read_key(root, "min_confidence", file, h.min_confidence);
  read_key(root, "min_face_size", file, h.min_face_size);
  read_key(root, "max_blur", file, h.max_blur);
  read_key(root, "max_yaw_angle", file, h.max_yaw_angle);
  read_key(root, "max_pitch_angle", file, h.max_pitch_angle);
  read_key(root, "min_inside_fraction", file, h.min_inside_fraction);
  read_key(root, "sample_interval", file, h.sample_interval);
  read_key(root, "max_crops_per_track", file, h.max_crops_per_track);
  read_key(root, "max_crops_per_episode", file, h.max_crops_per_episode);
  read_key(root, "seed", file, h.seed);
  read_key(root, "thumb_size", file, c.thumb_size);
  read_key(root, "jpeg_quality", file, c.jpeg_quality);
  read_key(root, "save_crops", file, c.save_crops);
  std::string sampling;
  read_key(root, "sampling", file, sampling);
  try {
    if (!sampling.empty()) h.sampling = parse_sampling(sampling);
    check_embed_config(c);
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
  return c;
}

Sampling parse_sampling(const std::string& text) {
  if (text == "uniform") return Sampling::kUniform;
  if (text == "quality-weighted") return Sampling::kQualityWeighted;
  if (text == "stratified") return Sampling::kStratified;
  throw ConfigError("sampling is '" + text + "'; expected uniform, quality-weighted or stratified");
}

void check_embed_config(const EmbedConfig& c) {
  const auto& h = c.harvest;
  require(h.min_quality >= 0 && h.min_quality <= 1, "min_quality", "in [0, 1]", h.min_quality);
  require(h.min_confidence >= 0 && h.min_confidence <= 1, "min_confidence", "in [0, 1]", h.min_confidence);
  require(h.min_face_size >= 0, "min_face_size", ">= 0", h.min_face_size);
  require(h.max_blur >= 0 && h.max_blur <= 1, "max_blur", "in [0, 1]", h.max_blur);
  require(h.max_yaw_angle >= 0 && h.max_yaw_angle <= 180, "max_yaw_angle", "in [0, 180]", h.max_yaw_angle);
  require(h.max_pitch_angle >= 0 && h.max_pitch_angle <= 180, "max_pitch_angle", "in [0, 180]", h.max_pitch_angle);
  require(h.min_inside_fraction >= 0 && h.min_inside_fraction <= 1, "min_inside_fraction", "in [0, 1]",
          h.min_inside_fraction);
  require(h.sample_interval >= 1, "sample_interval", ">= 1", h.sample_interval);
  require(h.max_crops_per_track >= 1, "max_crops_per_track", ">= 1", h.max_crops_per_track);
  require(h.max_crops_per_episode >= 1, "max_crops_per_episode", ">= 1", h.max_crops_per_episode);
  require(c.thumb_size >= 16 && c.thumb_size <= 1024, "thumb_size", "in [16, 1024]", c.thumb_size);
  require(c.jpeg_quality >= 1 && c.jpeg_quality <= 100, "jpeg_quality", "in [1, 100]", c.jpeg_quality);
}

}  // namespace ethovid::faces
