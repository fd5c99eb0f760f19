#pragma once
// `ethovid faces embed`: from a video and its tracks.jsonl to gated, aligned, embedded face crops.
//
// Every detection of every track is a candidate. It is measured (68 landmarks -> head pose and
// five-point alignment, Laplacian sharpness of the aligned crop, box size and how much of it is in
// the frame), gated and sampled (harvest.hpp), and the kept crops are embedded (512-d, unit norm).
// Outputs in --output (docs/faces.md has the schemas):
//   faces.jsonl, faces.npy (N x 512 float32, row i <-> line i), faces.parquet, crops_debug.jsonl
//   (every candidate with its status and reason), faces_summary.json, and with save_crops the
//   crops as crops/{track_id}/frame_{frame_idx:06d}.jpg.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/progress.hpp"
#include "ethovid/faces/harvest.hpp"

namespace YAML {
class Node;
}

namespace ethovid::faces {

struct EmbedConfig {
  HarvestConfig harvest;
  int thumb_size = 112;    // saved crop size, pixels (the aligned crop is resized to it)
  int jpeg_quality = 95;
  bool save_crops = false;
};

// Reads the YAML config (the keys of EmbedConfig and HarvestConfig; `sampling` is uniform,
// quality-weighted or stratified) over the defaults. ConfigError for unknown keys or bad values.
EmbedConfig load_embed_config(const std::filesystem::path& file);
// The same from a YAML map already read; `source` names it in errors.
EmbedConfig embed_config_from_yaml(const YAML::Node& root, const std::string& source);
// ConfigError naming the key for a value out of range.
void check_embed_config(const EmbedConfig& config);
// "uniform", "quality-weighted" or "stratified"; ConfigError otherwise.
Sampling parse_sampling(const std::string& text);

struct EmbedOptions {
  std::string video;
  std::filesystem::path tracks_file;
  std::filesystem::path output_dir;
  std::filesystem::path model_config;  // empty: the bundled models
  EmbedConfig config;
  bool force = false;
  const core::ProgressHook* progress = nullptr;  // optional: a follower of the progress, and cancel
};

struct EmbedResult {
  bool skipped = false;
  std::filesystem::path faces_path;    // faces.jsonl
  std::filesystem::path summary_path;  // faces_summary.json
  std::int64_t candidates = 0;
  std::int64_t faces = 0;
  core::Json summary;
};

EmbedResult embed_faces(const EmbedOptions& options);

inline constexpr const char* kFacesJsonl = "faces.jsonl";
inline constexpr const char* kFacesNpy = "faces.npy";
inline constexpr const char* kFacesParquet = "faces.parquet";
inline constexpr const char* kCropsDebug = "crops_debug.jsonl";
inline constexpr const char* kFacesSummary = "faces_summary.json";

}  // namespace ethovid::faces
