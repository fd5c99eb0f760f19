#include "ethovid/faces/tracks_file.hpp"

#include <fstream>
#include <limits>
#include <set>
#include <string>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/faces/track.hpp"

namespace ethovid::faces {

namespace {

class LineContext {
 public:
  LineContext(const std::filesystem::path& file, int line) : file_(file), line_(line) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(file_.string() + " line " + std::to_string(line_) + ": " + what);
  }
  const core::Json& field(const core::Json& object, const char* key) const {
    if (!object.is_object() || !object.contains(key)) fail(std::string("missing '") + key + "'");
    return object[key];
  }
  double number(const core::Json& value, const std::string& what) const {
    if (!value.is_number()) fail(what + " is not a number");
    return value.get<double>();
  }

 private:
  const std::filesystem::path& file_;
  int line_;
};

TrackDetectionRecord parse_detection(const core::Json& d, const LineContext& at) {
  TrackDetectionRecord r;
  const auto& frame = at.field(d, "frame_idx");
  if (!frame.is_number_integer() || frame.get<std::int64_t>() < 0) at.fail("frame_idx is not a non-negative integer");
  r.frame_idx = frame.get<std::int64_t>();
  const auto& bbox = at.field(d, "bbox");
  if (!bbox.is_array() || bbox.size() != 4) at.fail("bbox of frame " + std::to_string(r.frame_idx) + " is not [x1, y1, x2, y2]");
  for (int i = 0; i < 4; ++i) r.bbox[i] = at.number(bbox[i], "bbox");
  if (!(r.bbox[2] > r.bbox[0] && r.bbox[3] > r.bbox[1])) {
    at.fail("bbox of frame " + std::to_string(r.frame_idx) + " has x2 <= x1 or y2 <= y1");
  }
  r.conf = d.contains("conf") ? at.number(d["conf"], "conf") : std::numeric_limits<double>::quiet_NaN();
  if (d.contains("landmarks") && !d["landmarks"].is_null()) {
    const auto& marks = d["landmarks"];
    if (!marks.is_array() || marks.size() != 5) at.fail("landmarks are not 5 [x, y] points");
    std::array<std::array<double, 2>, 5> points{};
    for (int i = 0; i < 5; ++i) {
      if (!marks[i].is_array() || marks[i].size() != 2) at.fail("landmarks are not 5 [x, y] points");
      points[i] = {at.number(marks[i][0], "landmark"), at.number(marks[i][1], "landmark")};
    }
    r.landmarks = points;
  }
  return r;
}

}  // namespace

std::vector<TrackRecord> read_tracks_file(const std::filesystem::path& path) {
  core::require_input_file(path, path.string() + ": tracks file not found");
  std::ifstream in(path);
  if (!in) throw MissingInputError(path.string() + ": tracks file not found");
  std::vector<TrackRecord> tracks;
  std::set<int> ids;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const LineContext at(path, line);
    core::Json object;
    try {
      object = core::Json::parse(text);
    } catch (const core::Json::exception&) {
      at.fail("not valid JSON");
    }
    TrackRecord track;
    const auto& id = at.field(object, "track_id");
    if (!id.is_number_integer()) at.fail("track_id is not an integer");
    track.track_id = id.get<int>();
    if (!ids.insert(track.track_id).second) at.fail("track_id " + std::to_string(track.track_id) + " appears twice");
    const auto& detections = at.field(object, "detections");
    if (!detections.is_array()) at.fail("detections is not a list");
    for (const auto& d : detections) {
      track.detections.push_back(parse_detection(d, at));
      const auto n = track.detections.size();
      if (n > 1 && track.detections[n - 1].frame_idx <= track.detections[n - 2].frame_idx) {
        at.fail("detections are not in increasing frame order at frame " +
                std::to_string(track.detections[n - 1].frame_idx));
      }
    }
    tracks.push_back(std::move(track));
  }
  return tracks;
}

}  // namespace ethovid::faces

namespace ethovid::faces {

std::optional<std::string> tracked_video_sha256(const std::filesystem::path& tracks_file) {
  const std::filesystem::path summary = tracks_file.parent_path() / kTrackSummaryFile;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(summary, ec)) return std::nullopt;
  const core::Json json = core::read_json(summary);
  const core::Json* inputs = nullptr;
  if (json.contains("provenance") && json["provenance"].contains("inputs")) {
    inputs = &json["provenance"]["inputs"];
  }
  if (inputs == nullptr || !inputs->is_array() || inputs->empty() ||
      !(*inputs)[0].contains("sha256") || !(*inputs)[0]["sha256"].is_string()) {
    throw FormatError(summary.string() + ": provenance.inputs[0].sha256 (the tracked video's) is missing");
  }
  return (*inputs)[0]["sha256"].get<std::string>();
}

void check_tracks_match_video(const std::filesystem::path& tracks_file, const std::string& video,
                              const std::string& video_sha256) {
  const auto tracked = tracked_video_sha256(tracks_file);
  if (!tracked || *tracked == video_sha256) return;
  throw InputMismatchError(tracks_file.string() + " was made from another video: " +
                           (tracks_file.parent_path() / kTrackSummaryFile).string() +
                           " records sha256 " + *tracked + ", " + video + " has sha256 " +
                           video_sha256 + " (--force embeds anyway)");
}

}  // namespace ethovid::faces
