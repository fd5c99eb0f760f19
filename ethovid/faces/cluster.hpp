#pragma once
// `ethovid faces cluster DIR`: the tracks of a `faces embed` output folder grouped into identities,
// named from a gallery of known people when one is given.
//
// identities.json: {"identities": [{"identity_id", "name", "match_similarity", "tracks",
//   "faces", "frames", "screen_time_s", "first_frame", "last_frame", "representative_crop",
//   "representative_face_id"}, ...], "tracks", "fps", "method", "gallery", "provenance"}; identities are
// numbered 1.. by screen time, longest first.
//
// identities.json is also the run's summary: a second run with the same faces.parquet,
// tracks.jsonl, faces_summary.json and gallery table (by sha256) and the same options is up to date
// and writes nothing (the gallery itself is up to date when its photos are; faces gallery).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"

namespace ethovid::faces {

struct ClusterOptions {
  std::filesystem::path dir;  // holds faces.parquet, faces_summary.json (and tracks.jsonl)
  std::optional<std::filesystem::path> gallery_dir;  // a folder per known person
  std::vector<std::string> gallery_exclude;  // gallery folders that are no person (GalleryOptions::exclude)
  std::filesystem::path model_config;  // for the gallery; empty: the bundled models
  double min_similarity = 0.45;  // average-linkage merge threshold (cosine of pooled embeddings)
  double gallery_min_similarity = 0.4;  // below this best match an identity is "unknown"
  bool force = false;  // cluster again even when identities.json is up to date
};

struct ClusterResult {
  bool skipped = false;  // up to date: the same inputs and options; nothing was written
  std::filesystem::path identities_path;
  std::int64_t identities = 0;
  std::int64_t tracks = 0;
  core::Json summary;
};

// MissingInputError when DIR lacks faces.parquet; ConfigError for thresholds outside [-1, 1].
ClusterResult cluster_faces(const ClusterOptions& options);

inline constexpr const char* kIdentitiesFile = "identities.json";

}  // namespace ethovid::faces
