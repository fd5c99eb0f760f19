// SLEAP's two files: the labels file (.slp) and its analysis export (.h5).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"
#include "ethovid/moseq/pose_files.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// The skeleton's node names in the order its points are stored: the skeleton lists ids into the
// file's node table.
std::vector<std::string> skeleton_nodes(const core::Hdf5File& file) {
  Json metadata;
  try {
    metadata = Json::parse(file.string_attribute("metadata", "json"));
  } catch (const Json::exception& e) {
    throw FormatError(file.path().string() + ": the metadata JSON cannot be read: " + e.what());
  }
  const Json& nodes = metadata.value("nodes", Json::array());
  const Json& skeletons = metadata.value("skeletons", Json::array());
  if (skeletons.empty()) throw FormatError(file.path().string() + " has no skeleton in its metadata");
  if (skeletons.size() > 1) {
    throw FormatError(file.path().string() + " has " + std::to_string(skeletons.size()) +
                      " skeletons; one is supported");
  }
  std::vector<std::string> names;
  for (const Json& node : skeletons[0].value("nodes", Json::array())) {
    const Json id = node.value("id", Json());
    if (!id.is_number_integer() || id.get<std::size_t>() >= nodes.size()) {
      throw FormatError(file.path().string() + ": a skeleton node has id " + id.dump() + ", the file has " +
                        std::to_string(nodes.size()) + " nodes");
    }
    names.push_back(nodes[id.get<std::size_t>()].value("name", ""));
  }
  return names;
}

std::vector<std::string> track_names(const core::Hdf5File& file) {
  std::vector<std::string> names;
  if (!file.has("tracks_json")) return names;
  for (const std::string& entry : file.read_strings("tracks_json")) {
    // Each entry is [spawned_on, "name"].
    const Json track = Json::parse(entry, nullptr, false);
    if (!track.is_array() || track.size() < 2 || !track[1].is_string()) {
      throw FormatError(file.path().string() + ": a track entry is not [frame, name]: " + entry);
    }
    names.push_back(track[1]);
  }
  return names;
}

struct PointTable {
  std::vector<double> x, y, visible, score;  // score empty for user points
};

PointTable read_points(const core::Hdf5File& file, const std::string& name, bool scored) {
  PointTable t;
  t.x = file.read_field(name, "x");
  t.y = file.read_field(name, "y");
  t.visible = file.read_field(name, "visible");
  if (scored) t.score = file.read_field(name, "score");
  return t;
}

// Each video's file name from `videos_json` (backend.filename), in video order; empty where a
// video has none. The names only help find videos for grid movies, so a file without them, or
// with entries that do not parse, still loads.
std::vector<fs::path> video_filenames(const core::Hdf5File& file) {
  std::vector<fs::path> out;
  if (!file.has("videos_json")) return out;
  for (const std::string& text : file.read_strings("videos_json")) {
    const nlohmann::json video = nlohmann::json::parse(text, nullptr, false);
    const bool named = video.is_object() && video.contains("backend") && video["backend"].is_object() &&
                       video["backend"].contains("filename") && video["backend"]["filename"].is_string();
    out.emplace_back(named ? video["backend"]["filename"].get<std::string>() : std::string());
  }
  return out;
}

}  // namespace

std::vector<PoseRecording> load_sleap_labels(const fs::path& path) {
  const core::Hdf5File file(path);
  const std::string where = path.string();
  const std::vector<std::string> nodes = skeleton_nodes(file);
  const std::vector<std::string> tracks = track_names(file);
  const auto frame_ids = file.read_field("frames", "frame_id");
  const auto frame_video = file.read_field("frames", "video");
  const auto frame_index = file.read_field("frames", "frame_idx");
  const auto instance_type = file.read_field("instances", "instance_type");
  const auto instance_frame = file.read_field("instances", "frame_id");
  const auto instance_track = file.read_field("instances", "track");
  const auto point_start = file.read_field("instances", "point_id_start");
  const auto point_end = file.read_field("instances", "point_id_end");
  const PointTable user = read_points(file, "points", false);
  const PointTable predicted = read_points(file, "pred_points", true);

  std::map<std::int64_t, std::size_t> frame_row;  // frame_id -> row of `frames`
  std::map<int, std::int64_t> frames_in_video;    // video -> last frame index + 1
  for (std::size_t i = 0; i < frame_ids.size(); ++i) {
    frame_row[static_cast<std::int64_t>(frame_ids[i])] = i;
    auto& count = frames_in_video[static_cast<int>(frame_video[i])];
    count = std::max(count, static_cast<std::int64_t>(frame_index[i]) + 1);
  }
  // Which slot each instance fills: its track, or for untracked instances their order in the frame.
  const int track_slots = static_cast<int>(tracks.size());
  std::map<std::int64_t, int> untracked_in_frame;
  struct Slot {
    int video;
    int slot;
    bool operator<(const Slot& o) const { return video != o.video ? video < o.video : slot < o.slot; }
  };
  std::map<Slot, PoseRecording> recordings;
  std::map<std::pair<Slot, std::int64_t>, bool> filled_by_user;
  // SLEAP keeps a prediction beside the user instance that corrects it. Untracked, the two would
  // take two slots (two animals): in frames with an untracked user instance, untracked
  // predictions are dropped.
  std::set<std::int64_t> frames_with_untracked_user;
  for (std::size_t i = 0; i < instance_frame.size(); ++i) {
    if (instance_type[i] == 0 && instance_track[i] < 0) frames_with_untracked_user.insert(static_cast<std::int64_t>(instance_frame[i]));
  }
  for (std::size_t i = 0; i < instance_frame.size(); ++i) {
    if (instance_type[i] != 0 && instance_track[i] < 0 &&
        frames_with_untracked_user.count(static_cast<std::int64_t>(instance_frame[i])) > 0) {
      continue;
    }
    const auto found = frame_row.find(static_cast<std::int64_t>(instance_frame[i]));
    if (found == frame_row.end()) {
      throw FormatError(where + ": instance " + std::to_string(i) + " refers to frame id " +
                        std::to_string(static_cast<std::int64_t>(instance_frame[i])) + ", which is not in `frames`");
    }
    const int video = static_cast<int>(frame_video[found->second]);
    const auto t = static_cast<std::int64_t>(frame_index[found->second]);
    const int track = static_cast<int>(instance_track[i]);
    if (track >= track_slots) {
      throw FormatError(where + ": instance " + std::to_string(i) + " has track " + std::to_string(track) +
                        ", the file names " + std::to_string(track_slots));
    }
    const int slot = track >= 0 ? track : track_slots + untracked_in_frame[static_cast<std::int64_t>(instance_frame[i])]++;
    const bool is_user = instance_type[i] == 0;
    const Slot key{video, slot};
    if (filled_by_user[{key, t}] && !is_user) continue;  // a user instance wins
    const PointTable& points = is_user ? user : predicted;
    const auto first = static_cast<std::size_t>(point_start[i]);
    const auto last = static_cast<std::size_t>(point_end[i]);
    if (last - first != nodes.size() || last > points.x.size()) {
      throw FormatError(where + ": instance " + std::to_string(i) + " has points " + std::to_string(first) + ".." +
                        std::to_string(last) + ", the skeleton has " + std::to_string(nodes.size()) +
                        " nodes and the table " + std::to_string(points.x.size()) + " points");
    }
    auto [entry, added] = recordings.try_emplace(key);
    PoseRecording& r = entry->second;
    if (added) r = PoseRecording::empty("", path, nodes, frames_in_video[video]);
    filled_by_user[{key, t}] = is_user;
    for (int k = 0; k < static_cast<int>(nodes.size()); ++k) {
      const std::size_t p = first + static_cast<std::size_t>(k);
      const bool visible = points.visible[p] != 0 && !std::isnan(points.x[p]) && !std::isnan(points.y[p]);
      r.at(t, k, 0) = visible ? points.x[p] : NAN;
      r.at(t, k, 1) = visible ? points.y[p] : NAN;
      r.confidence(t, k) = !visible ? 0.0 : is_user ? 1.0 : points.score[p];
    }
  }
  if (recordings.empty()) throw FormatError(where + " has no instances");
  const std::vector<fs::path> video_files = video_filenames(file);
  // Names: the file's stem, then the video when there are several, then the track (or the
  // instance's place in its frame) when its video has several animals.
  std::map<int, int> animals_in_video;
  for (const auto& [key, recording] : recordings) ++animals_in_video[key.video];
  std::vector<PoseRecording> out;
  for (auto& [key, recording] : recordings) {
    std::string name = path.stem().string();
    if (frames_in_video.size() > 1) name.append("_video").append(std::to_string(key.video));
    if (animals_in_video[key.video] > 1) {
      if (key.slot < track_slots) name.append("_").append(tracks[static_cast<std::size_t>(key.slot)]);
      else name.append("_instance").append(std::to_string(key.slot - track_slots));
    }
    recording.name = name;
    if (static_cast<std::size_t>(key.video) < video_files.size()) recording.video = video_files[static_cast<std::size_t>(key.video)];
    // A track covers the frames it exists in, so a tracker's short-lived fragment does not become
    // a video's length of interpolated nothing.
    recording.crop_to_observed();
    out.push_back(std::move(recording));
  }
  return out;
}

std::vector<PoseRecording> load_sleap_analysis(const fs::path& path) {
  const core::Hdf5File file(path);
  const std::string where = path.string();
  const std::vector<std::string> nodes = file.read_strings("node_names");
  // Stored transposed (MATLAB order): tracks x dims x nodes x frames.
  const core::Hdf5Array tracks = file.read_numbers("tracks");
  if (tracks.shape.size() != 4 || tracks.shape[2] != static_cast<std::int64_t>(nodes.size()) ||
      (tracks.shape[1] != 2 && tracks.shape[1] != 3)) {
    std::string shape;
    for (auto d : tracks.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
    throw FormatError(where + ": `tracks` is " + shape + ", expected tracks x 2 x " + std::to_string(nodes.size()) +
                      " x frames");
  }
  const std::int64_t n_tracks = tracks.shape[0], dims = tracks.shape[1], n_nodes = tracks.shape[2],
                     frames = tracks.shape[3];
  std::vector<std::string> names;
  if (file.has("track_names")) names = file.read_strings("track_names");
  core::Hdf5Array scores;
  if (file.has("point_scores")) {
    scores = file.read_numbers("point_scores");  // tracks x nodes x frames
    if (scores.size() != n_tracks * n_nodes * frames) {
      throw FormatError(where + ": `point_scores` has " + std::to_string(scores.size()) + " values, `tracks` has " +
                        std::to_string(n_tracks * n_nodes * frames) + " points");
    }
  }
  std::vector<PoseRecording> out;
  for (std::int64_t track = 0; track < n_tracks; ++track) {
    std::string name = path.stem().string();
    if (name.size() > 9 && name.ends_with(".analysis")) name.resize(name.size() - 9);
    if (n_tracks > 1) {
      name.append("_").append(track < static_cast<std::int64_t>(names.size()) && !names[track].empty()
                                  ? names[static_cast<std::size_t>(track)]
                                  : "track" + std::to_string(track));
    }
    PoseRecording r = PoseRecording::empty(name, path, nodes, frames, static_cast<int>(dims));
    for (std::int64_t t = 0; t < frames; ++t) {
      for (std::int64_t k = 0; k < n_nodes; ++k) {
        bool present = true;
        for (std::int64_t d = 0; d < dims; ++d) {
          const double v = tracks.values[((track * dims + d) * n_nodes + k) * frames + t];
          r.at(t, static_cast<int>(k), static_cast<int>(d)) = v;
          present = present && !std::isnan(v);  // infinities are refused later
        }
        const double score = scores.values.empty() ? 1.0 : scores.values[(track * n_nodes + k) * frames + t];
        r.confidence(t, static_cast<int>(k)) = present ? score : 0.0;
        if (!present) {
          for (std::int64_t d = 0; d < dims; ++d) r.at(t, static_cast<int>(k), static_cast<int>(d)) = NAN;
        }
      }
    }
    r.crop_to_observed();  // as for the .slp: a track covers the frames it exists in
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ethovid::moseq
