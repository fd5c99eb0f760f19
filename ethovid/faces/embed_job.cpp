#include "ethovid/faces/embed_job.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <optional>
#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/faces/embed.hpp"
#include "ethovid/faces/track.hpp"

namespace ethovid::faces {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kRequestKeys = {"video", "ep_id", "tracks", "output", "stride", "force"};
constexpr std::array kEpisodeNames = {"episode.mp4", "episode.mkv", "episode.mov", "episode.avi",
                                      "episode.webm"};

// Everything a job needs, checked before it is queued.
struct EmbedJobPlan {
  fs::path video;
  std::optional<fs::path> tracks;  // none: track first into output/tracks.jsonl
  fs::path output;
  int stride = 1;
  bool force = false;
  EmbedConfig config;
};

std::string text_field(const core::Json& body, const char* key) {
  if (!body[key].is_string() || body[key].get<std::string>().empty()) {
    throw ConfigError(std::string("request: '") + key + "' must be a non-empty string, not " +
                      body[key].dump());
  }
  return body[key].get<std::string>();
}

fs::path existing_file(const fs::path& path, const char* what) {
  core::require_input_file(path, std::string(what) + " " + path.string() + " does not exist");
  return path;
}

fs::path episode_video(const fs::path& root, const std::string& ep_id) {
  if (ep_id.find('/') != std::string::npos || ep_id == "." || ep_id == "..") {
    throw ConfigError("request: 'ep_id' must be a folder name, not a path: '" + ep_id + "'");
  }
  const fs::path folder = core::resolve_inside(root, ep_id);
  for (const char* name : kEpisodeNames) {
    if (fs::is_regular_file(folder / name)) return folder / name;
  }
  throw MissingInputError("episode " + ep_id + ": no episode.mp4 (or .mkv/.mov/.avi/.webm) in " + folder.string());
}

// The config keys of the body as a YAML map, so they are read exactly like a config file's.
EmbedConfig config_from_body(const core::Json& body) {
  YAML::Node map(YAML::NodeType::Map);
  for (const auto& [key, value] : body.items()) {
    if (kRequestKeys.count(key) == 0) map[key] = YAML::Load(value.dump());
  }
  return embed_config_from_yaml(map, "request");
}

EmbedJobPlan plan_job(const EmbedJobSettings& settings, const core::Json& body) {
  const bool has_video = body.contains("video"), has_episode = body.contains("ep_id");
  if (has_video == has_episode) throw ConfigError("request: give exactly one of 'video' and 'ep_id'");
  EmbedJobPlan plan;
  if (has_video) {
    plan.video = existing_file(core::resolve_inside(settings.root, text_field(body, "video")), "video");
    plan.output = plan.video.parent_path() / (plan.video.stem().string() + "_faces");
  } else {
    plan.video = episode_video(settings.root, text_field(body, "ep_id"));
    plan.output = plan.video.parent_path();
  }
  if (body.contains("output")) plan.output = core::resolve_inside(settings.root, text_field(body, "output"));
  if (body.contains("tracks")) {
    plan.tracks = existing_file(core::resolve_inside(settings.root, text_field(body, "tracks")), "tracks file");
  }
  if (body.contains("stride")) {
    if (!body["stride"].is_number_integer() || body["stride"].get<int>() < 1) {
      throw ConfigError("request: 'stride' must be an integer >= 1, not " + body["stride"].dump());
    }
    plan.stride = body["stride"].get<int>();
  }
  if (body.contains("force")) {
    if (!body["force"].is_boolean()) throw ConfigError("request: 'force' must be true or false");
    plan.force = body["force"].get<bool>();
  }
  plan.config = config_from_body(body);
  return plan;
}

core::Json run_job(const EmbedJobSettings& settings, const EmbedJobPlan& plan, const core::JobContext& context) {
  fs::path tracks_file;
  if (plan.tracks) {
    tracks_file = *plan.tracks;
  } else {
    TrackOptions track;
    track.video = plan.video.string();
    track.output_dir = plan.output;
    track.stride = plan.stride;
    track.model_config = settings.model_config;
    track.force = plan.force;
    track.progress = &context.progress;
    const TrackResult result = track_faces(track);
    tracks_file = result.tracks_path;
    context.progress.throw_if_cancelled("faces_embed job, after tracking");
  }
  EmbedOptions embed;
  embed.video = plan.video.string();
  embed.tracks_file = tracks_file;
  embed.output_dir = plan.output;
  embed.model_config = settings.model_config;
  embed.config = plan.config;
  embed.force = plan.force;  // new tracks change its input hashes, so it reruns then too
  embed.progress = &context.progress;
  const EmbedResult result = embed_faces(embed);
  return {{"output_dir", plan.output.string()},
          {"tracks", tracks_file.string()},
          {"faces_jsonl", result.faces_path.string()},
          {"faces_npy", (plan.output / kFacesNpy).string()},
          {"faces_parquet", (plan.output / kFacesParquet).string()},
          {"crops_debug", (plan.output / kCropsDebug).string()},
          {"summary", result.summary_path.string()},
          {"candidates", result.candidates},
          {"faces", result.faces},
          {"skipped", result.skipped}};
}

}  // namespace

core::JobFactory faces_embed_job(EmbedJobSettings settings) {
  if (!fs::is_directory(settings.root)) {
    throw MissingInputError("the server root " + settings.root.string() + " is not a folder");
  }
  settings.root = fs::canonical(settings.root);
  return [settings](const core::Json& body) -> core::JobWork {
    const EmbedJobPlan plan = plan_job(settings, body);
    return [settings, plan](const core::JobContext& context) { return run_job(settings, plan, context); };
  };
}

}  // namespace ethovid::faces
