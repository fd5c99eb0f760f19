#include "ethovid/faces/track.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/output_folder.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/core/video_source.hpp"
#include "ethovid/faces/frame_workers.hpp"
#include "ethovid/vision/face_detector.hpp"
#include "ethovid/vision/landmarker.hpp"

namespace ethovid::faces {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ethovid::core::seconds_since;

namespace {

void check_options(const TrackOptions& o) {
  if (o.stride < 1) throw ConfigError("--stride " + std::to_string(o.stride) + " must be at least 1");
  const auto& t = o.tracker;
  if (!(t.low_score >= 0 && t.low_score <= t.high_score && t.high_score <= 1)) {
    throw ConfigError("tracker scores must satisfy 0 <= low_score (" + std::to_string(t.low_score) +
                      ") <= high_score (" + std::to_string(t.high_score) + ") <= 1");
  }
  if (t.min_hits < 1 || t.max_missed_updates < 0 || !(t.match_iou > 0 && t.match_iou <= 1)) {
    throw ConfigError("tracker: min_hits must be >= 1, max_missed_updates >= 0, match_iou in (0, 1]");
  }
}

core::Json parameters(const TrackOptions& o, const fs::path& config_file) {
  const auto& t = o.tracker;
  return {{"stride", o.stride},
          {"model_config", config_file.string()},
          {"tracker", {{"high_score", t.high_score}, {"low_score", t.low_score},
                       {"match_iou", t.match_iou}, {"max_missed_updates", t.max_missed_updates},
                       {"min_hits", t.min_hits}}}};
}

double round3(double v) { return std::round(v * 1000) / 1000; }

// One processed frame's detections with their five points, kept until the tracks are written.
struct FrameFaces {
  std::vector<cv::Rect2f> boxes;
  std::vector<float> scores;
  std::vector<vision::FivePoints> points;
};

using FramesFaces = std::map<std::int64_t, FrameFaces>;

core::Json track_line(const Track& track, const FramesFaces& frames,
                      double width, double height) {
  core::Json detections = core::Json::array();
  for (const auto& d : track.detections) {
    const FrameFaces& f = frames.at(d.frame_idx);
    core::Json landmarks = core::Json::array();
    for (const auto& p : f.points[d.detection_index]) landmarks.push_back({p.x / width, p.y / height});
    detections.push_back({{"frame_idx", d.frame_idx},
                          {"bbox", {d.box.x / width, d.box.y / height, (d.box.x + d.box.width) / width,
                                    (d.box.y + d.box.height) / height}},
                          {"landmarks", landmarks},
                          {"conf", d.score}});
  }
  return {{"track_id", track.track_id},
          {"first_frame", track.first_frame()},
          {"last_frame", track.last_frame()},
          {"detections", detections}};
}

}  // namespace

TrackResult track_faces(const TrackOptions& options) {
  check_options(options);
  core::VideoReader reader(options.video);
  const core::VideoInfo info = reader.info();
  const fs::path config_file =
      options.model_config.empty() ? vision::default_model_config_path() : options.model_config;
  vision::ModelConfig config = vision::load_model_config(config_file);
  // The tracker's second stage needs the weak detections the detector would otherwise drop.
  config.detector.score_threshold = std::min(config.detector.score_threshold, options.tracker.low_score);

  core::Provenance provenance;
  const core::SourceDigest digest = core::digest_video_source(options.video);
  provenance.add_input_digest(options.video, digest.sha256, digest.bytes);
  provenance.add_model("detector", config.detector.path);
  provenance.add_model("landmarks", config.landmarks.path);
  provenance.set_parameters(parameters(options, config_file));

  TrackResult result;
  result.tracks_path = options.output_dir / kTracksFile;
  result.summary_path = options.output_dir / kTrackSummaryFile;
  const core::OutputFolder output_folder(options.output_dir);  // sweeps dead runs' scratch files
  if (!options.force) {
    if (auto previous = core::previous_run_if_up_to_date(result.summary_path, provenance, {result.tracks_path})) {
      result.skipped = true;
      result.tracks = previous->value("tracks", std::int64_t{0});
      result.detections = previous->value("tracked_detections", std::int64_t{0});
      result.summary = std::move(*previous);
      return result;
    }
  }

  // The video is decoded here while one worker per core detects faces and their landmarks on
  // the frames to process (each worker owns its networks: an OpenCV DNN net is not shared
  // between threads). Tracking runs afterwards over the frames in order; it is cheap.
  const auto start_all = Clock::now();
  std::mutex mutex;  // guards frames and the timing sums
  FramesFaces frames;
  double detect_s = 0, landmarks_s = 0;
  std::int64_t processed = 0;
  const auto wanted = [&](std::int64_t t) { return t % options.stride == 0; };
  const DecodeStats decoding = decode_to_workers(
      reader, "faces track: " + fs::path(options.video).filename().string(), options.progress, wanted,
      -1, [&] {
        auto detector = std::make_shared<vision::FaceDetector>(config.detector);
        auto landmarker = std::make_shared<vision::Landmarker>(config.landmarks);
        return FrameTask([&, detector, landmarker](std::int64_t t, const cv::Mat& frame) {
          auto start = Clock::now();
          const auto found = detector->detect(frame);
          const double detected = seconds_since(start);
          start = Clock::now();
          FrameFaces faces;
          for (const auto& face : found) {
            faces.boxes.push_back(face.box);
            faces.scores.push_back(face.score);
            faces.points.push_back(vision::five_points(landmarker->locate(frame, face.box)));
          }
          const double located = seconds_since(start);
          std::lock_guard<std::mutex> lock(mutex);
          detect_s += detected;
          landmarks_s += located;
          ++processed;
          frames.emplace(t, std::move(faces));
        });
      });
  const std::int64_t decoded = decoding.decoded;
  const double decode_s = decoding.decode_seconds;
  const double wall_s = seconds_since(start_all);

  FaceTracker tracker(options.tracker);
  std::int64_t detections = 0;
  for (const auto& [t, faces] : frames) {
    tracker.update(t, faces.boxes, faces.scores);
    detections += static_cast<std::int64_t>(faces.boxes.size());
  }
  const std::vector<Track> tracks = tracker.finish();

  std::string lines;
  core::Json lengths = core::Json::array();
  for (const auto& track : tracks) {
    lines += track_line(track, frames, info.width, info.height).dump() + "\n";
    result.detections += static_cast<std::int64_t>(track.detections.size());
    lengths.push_back(track.detections.size());
  }
  if (options.progress != nullptr) options.progress->throw_if_cancelled("faces track");  // nothing written yet
  core::write_text_atomically(result.tracks_path, lines);
  result.tracks = static_cast<std::int64_t>(tracks.size());

  result.summary = {
      {"video", {{"source", options.video}, {"width", info.width}, {"height", info.height},
                 {"fps", info.fps}, {"frames_decoded", decoded}}},
      {"stride", options.stride},
      {"frames_processed", processed},
      {"detections", detections},
      {"tracks", result.tracks},
      {"tracked_detections", result.detections},
      {"untracked_detections", detections - result.detections},
      {"detections_per_track", lengths},
      {"workers", std::max(1u, std::thread::hardware_concurrency())},
      // decode is the reading thread's time; detect and landmarks are summed over the workers.
      {"timings_s", {{"wall", round3(wall_s)}, {"decode", round3(decode_s)},
                     {"detect", round3(detect_s)}, {"landmarks", round3(landmarks_s)},
                     {"frames_per_s", wall_s > 0 ? round3(decoded / wall_s) : 0.0}}},
      {"output_path", result.tracks_path.string()},
      {"skipped", false},
      {"provenance", provenance.finish()}};
  core::write_json(result.summary_path, result.summary);
  return result;
}

}  // namespace ethovid::faces
