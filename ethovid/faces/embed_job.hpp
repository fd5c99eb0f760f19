#pragma once
// The `faces_embed` job of `ethovid serve` (POST /jobs/faces_embed): `faces embed` on a video
// under the server root, tracking it first when no tracks file is given.
//
// Request body (JSON object; docs/api.md):
//   "video": path under the root          | "ep_id": name of a folder under the root holding
//                                          |          episode.mp4 (or .mkv/.mov/.avi/.webm)
//   "tracks": tracks.jsonl under the root (optional; default OUTPUT/tracks.jsonl, made by
//             `faces track` first, which skips itself when that file is up to date)
//   "output": folder under the root (optional; default the episode folder for ep_id,
//             VIDEO_DIR/VIDEO_STEM_faces for video)
//   "stride": detection stride when tracking (default 1), "force": true to recompute,
//   and any key of the faces embed config (save_crops, min_quality, max_crops_per_track, ...).
// Refused before queueing: ConfigError (400) for bad keys or values, AccessError (403) for a path
// outside the root, MissingInputError (404) for a video or tracks file that is not there.
#include <filesystem>

#include "ethovid/core/job_server.hpp"

namespace ethovid::faces {

struct EmbedJobSettings {
  std::filesystem::path root;          // every path of a request must lie inside it
  std::filesystem::path model_config;  // empty: the bundled models
};

core::JobFactory faces_embed_job(EmbedJobSettings settings);

}  // namespace ethovid::faces
