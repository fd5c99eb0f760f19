#include "ethovid/faces/embed.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/output_folder.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/scratch_files.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/core/video_source.hpp"
#include "ethovid/faces/frame_workers.hpp"
#include "ethovid/faces/tracks_file.hpp"
#include "ethovid/vision/face_alignment.hpp"
#include "ethovid/vision/face_embedder.hpp"
#include "ethovid/vision/face_quality.hpp"
#include "ethovid/vision/head_pose.hpp"
#include "ethovid/vision/landmarker.hpp"

namespace ethovid::faces {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ethovid::core::seconds_since;

namespace {

constexpr int kAlignedSize = 112;
constexpr int kEmbedBatch = 16;

// Aligned crops of the candidates that pass the gate, kept in a scratch file in the output folder
// (not in memory: an episode can have tens of thousands) until the kept ones are embedded.
class CropStore {
 public:
  explicit CropStore(const fs::path& dir) : path_(core::temp_path_for(dir / "crops.cache")) {
    const core::ScratchFile scratch(path_);  // an interrupt before the unlink below removes it
    file_ = std::fopen(path_.c_str(), "w+b");
    if (!file_) throw Error("cannot create " + path_.string());
    // Unlinked at once: the open file stays usable, and a crash leaves nothing behind.
    std::error_code ec;
    fs::remove(path_, ec);
  }
  ~CropStore() { std::fclose(file_); }
  CropStore(const CropStore&) = delete;
  CropStore& operator=(const CropStore&) = delete;

  std::int64_t append(const cv::Mat& crop) {
    const cv::Mat c = crop.isContinuous() ? crop : crop.clone();
    std::fseek(file_, 0, SEEK_END);
    if (std::fwrite(c.data, 1, kBytes, file_) != kBytes) throw Error("cannot write " + path_.string());
    return count_++;
  }
  cv::Mat read(std::int64_t slot) const {
    cv::Mat crop(kAlignedSize, kAlignedSize, CV_8UC3);
    std::fseek(file_, static_cast<long>(slot * static_cast<std::int64_t>(kBytes)), SEEK_SET);
    if (std::fread(crop.data, 1, kBytes, file_) != kBytes) throw Error("cannot read " + path_.string());
    return crop;
  }

 private:
  static constexpr std::size_t kBytes = kAlignedSize * kAlignedSize * 3;
  fs::path path_;
  std::FILE* file_ = nullptr;
  std::int64_t count_ = 0;
};

struct Measured {
  Candidate candidate;
  std::array<double, 4> bbox{};    // normalised, as in tracks.jsonl
  vision::FivePoints points{};     // pixels
  std::int64_t crop_slot = -1;     // in the CropStore, for candidates that passed the gate
  Rejection gate = Rejection::kNone;
};

struct Timings {
  double decode = 0, measure = 0, embed = 0, write = 0;
};

// Measures one candidate on its frame; gate-passing crops go to the store.
Measured measure_one(const cv::Mat& frame, int track_id, std::int64_t t, const TrackDetectionRecord& d,
                     vision::Landmarker& landmarker, CropStore& crops, std::mutex& store_mutex,
                     const HarvestConfig& config) {
  const double width = frame.cols, height = frame.rows;
  Measured m;
  m.bbox = d.bbox;
  const cv::Rect2f box(static_cast<float>(d.bbox[0] * width), static_cast<float>(d.bbox[1] * height),
                       static_cast<float>((d.bbox[2] - d.bbox[0]) * width),
                       static_cast<float>((d.bbox[3] - d.bbox[1]) * height));
  const cv::Rect2f inside = box & cv::Rect2f(0, 0, static_cast<float>(width), static_cast<float>(height));
  Candidate& c = m.candidate;
  c.track_id = track_id;
  c.frame_idx = t;
  c.confidence = d.conf;
  c.inside_fraction = box.area() > 0 ? inside.area() / box.area() : 0.0;
  c.face_size = std::min(inside.width, inside.height);
  if (inside.area() <= 0) {
    m.gate = Rejection::kBboxOutOfBounds;
    return m;
  }
  vision::Landmarks68 marks;
  vision::HeadPose pose;
  try {
    marks = landmarker.locate(frame, box);
    pose = vision::pose_from_landmarks(marks, frame.size());
  } catch (const ComputationError&) {
    // One face the networks cannot measure must not end the whole episode's run.
    m.gate = Rejection::kMeasureFailed;
    return m;
  }
  m.points = vision::five_points(marks);
  const cv::Mat aligned = vision::align_face(frame, m.points, kAlignedSize);
  const double sharpness = vision::laplacian_variance(aligned);
  c.blur = 1.0 - std::min(1.0, sharpness / vision::QualityScales{}.full_sharpness);
  c.yaw = pose.yaw;
  c.pitch = pose.pitch;
  c.quality = vision::quality_score({c.confidence, c.face_size, sharpness, c.yaw, c.pitch}).score;
  m.gate = gate(c, config);
  if (m.gate == Rejection::kNone) {
    std::lock_guard<std::mutex> lock(store_mutex);
    m.crop_slot = crops.append(aligned);
  }
  return m;
}

// Decodes the video once; one worker per core measures the candidates of the frames that have
// any (landmarks dominate: ~2 ms per candidate, and an episode has tens of thousands).
std::vector<Measured> measure_candidates(const EmbedOptions& o, const std::vector<TrackRecord>& tracks,
                                         const vision::ModelConfig& models, CropStore& crops,
                                         Timings& timings, std::int64_t* frames_decoded,
                                         core::VideoInfo* video_info) {
  using FrameJob = std::vector<std::pair<int, const TrackDetectionRecord*>>;
  std::map<std::int64_t, FrameJob> by_frame;
  std::int64_t total = 0;
  for (const auto& track : tracks) {
    for (const auto& d : track.detections) {
      by_frame[d.frame_idx].emplace_back(track.track_id, &d);
      ++total;
    }
  }
  core::VideoReader reader(o.video);
  const auto& info = reader.info();
  *video_info = info;
  if (!by_frame.empty() && by_frame.rbegin()->first >= info.frame_count) {
    throw FormatError(o.tracks_file.string() + " has a detection at frame " +
                      std::to_string(by_frame.rbegin()->first) + ", " + o.video + " has " +
                      std::to_string(info.frame_count) + " frames");
  }
  std::mutex mutex;  // guards measured and timings.measure
  std::mutex store_mutex;
  std::vector<Measured> measured;
  measured.reserve(static_cast<std::size_t>(total));
  const auto wanted = [&](std::int64_t t) { return by_frame.count(t) > 0; };
  const std::int64_t last = by_frame.empty() ? 0 : by_frame.rbegin()->first;
  const DecodeStats decoding = decode_to_workers(
      reader, "faces embed: measuring " + std::to_string(total) + " candidates", o.progress, wanted,
      last, [&] {
        auto landmarker = std::make_shared<vision::Landmarker>(models.landmarks);
        return FrameTask([&, landmarker](std::int64_t t, const cv::Mat& frame) {
          const auto start = Clock::now();
          std::vector<Measured> done;
          for (const auto& [track_id, d] : by_frame.at(t)) {
            done.push_back(measure_one(frame, track_id, t, *d, *landmarker, crops, store_mutex,
                                       o.config.harvest));
          }
          std::lock_guard<std::mutex> lock(mutex);
          timings.measure += seconds_since(start);
          for (auto& m : done) measured.push_back(std::move(m));
        });
      });
  timings.decode = decoding.decode_seconds;
  *frames_decoded = decoding.decoded;
  // Workers finish frames in any order; candidates go back to frame order (then track order).
  std::stable_sort(measured.begin(), measured.end(), [](const Measured& a, const Measured& b) {
    return a.candidate.frame_idx != b.candidate.frame_idx ? a.candidate.frame_idx < b.candidate.frame_idx
                                                          : a.candidate.track_id < b.candidate.track_id;
  });
  return measured;
}

// Embeddings of the kept crops, in order, with one embedder per core.
std::vector<std::vector<float>> embed_kept(const std::vector<const Measured*>& kept, const CropStore& crops,
                                           const vision::ModelSpec& spec, const core::ProgressHook* hook) {
  std::vector<std::vector<float>> out(kept.size());
  core::ProgressBar bar("faces embed: embedding", static_cast<std::int64_t>(kept.size()), "crops", hook);
  std::mutex mutex;  // guards the crop store's file position, `next`, `bar` and `failure`
  std::size_t next = 0;
  std::exception_ptr failure;
  auto work = [&] {
    try {
      vision::FaceEmbedder embedder(spec);
      for (;;) {
        std::vector<cv::Mat> batch;
        std::size_t first = 0;
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (failure || next >= kept.size()) return;
          bar.update(static_cast<std::int64_t>(next));
          first = next;
          next = std::min(kept.size(), next + kEmbedBatch);
          for (std::size_t i = first; i < next; ++i) batch.push_back(crops.read(kept[i]->crop_slot));
        }
        auto vectors = embedder.embed(batch);
        for (std::size_t i = 0; i < vectors.size(); ++i) out[first + i] = std::move(vectors[i]);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < workers; ++i) pool.emplace_back(work);
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  bar.update(static_cast<std::int64_t>(kept.size()));
  return out;
}

std::string crop_path(int track_id, std::int64_t frame_idx) {
  char name[64];
  std::snprintf(name, sizeof(name), "crops/%d/frame_%06lld.jpg", track_id, static_cast<long long>(frame_idx));
  return name;
}

core::Json sampling_name(Sampling s) {
  switch (s) {
    case Sampling::kUniform: return "uniform";
    case Sampling::kQualityWeighted: return "quality-weighted";
    case Sampling::kStratified: return "stratified";
  }
  return nullptr;
}

core::Json config_json(const EmbedConfig& c) {
  const auto& h = c.harvest;
  return {{"min_quality", h.min_quality}, {"min_confidence", h.min_confidence},
          {"min_face_size", h.min_face_size}, {"max_blur", h.max_blur},
          {"max_yaw_angle", h.max_yaw_angle}, {"max_pitch_angle", h.max_pitch_angle},
          {"min_inside_fraction", h.min_inside_fraction}, {"sampling", sampling_name(h.sampling)},
          {"sample_interval", h.sample_interval}, {"max_crops_per_track", h.max_crops_per_track},
          {"max_crops_per_episode", h.max_crops_per_episode}, {"seed", h.seed},
          {"thumb_size", c.thumb_size}, {"jpeg_quality", c.jpeg_quality}, {"save_crops", c.save_crops}};
}

core::Json normalised_points(const vision::FivePoints& p, double width, double height) {
  core::Json out = core::Json::array();
  for (const auto& q : p) out.push_back({q.x / width, q.y / height});
  return out;
}

core::Json measures_json(const Candidate& c) {
  auto number = [](double v) { return std::isfinite(v) ? core::Json(v) : core::Json(nullptr); };
  return {{"quality_score", number(c.quality)}, {"confidence", number(c.confidence)},
          {"face_size", c.face_size}, {"inside_fraction", c.inside_fraction},
          {"blur", number(c.blur)}, {"yaw", number(c.yaw)}, {"pitch", number(c.pitch)}};
}

}  // namespace

EmbedResult embed_faces(const EmbedOptions& o) {
  check_embed_config(o.config);
  const std::vector<TrackRecord> tracks = read_tracks_file(o.tracks_file);
  const fs::path config_file = o.model_config.empty() ? vision::default_model_config_path() : o.model_config;
  const vision::ModelConfig models = vision::load_model_config(config_file);

  core::Provenance provenance;
  const core::SourceDigest digest = core::digest_video_source(o.video);
  // Tracks of another video would embed boxes over the wrong faces without any other sign.
  if (!o.force) check_tracks_match_video(o.tracks_file, o.video, digest.sha256);
  provenance.add_input_digest(o.video, digest.sha256, digest.bytes);
  provenance.add_input(o.tracks_file);
  provenance.add_model("landmarks", models.landmarks.path);
  provenance.add_model("embedding", models.embedding.path);
  provenance.set_parameters({{"config", config_json(o.config)}, {"model_config", config_file.string()}});

  EmbedResult result;
  result.faces_path = o.output_dir / kFacesJsonl;
  result.summary_path = o.output_dir / kFacesSummary;
  const core::OutputFolder output_folder(o.output_dir);  // sweeps dead runs' scratch files
  if (!o.force) {
    if (auto previous = core::previous_run_if_up_to_date(
            result.summary_path, provenance,
            {result.faces_path, o.output_dir / kFacesNpy, o.output_dir / kFacesParquet})) {
      result.skipped = true;
      result.candidates = previous->value("candidates", std::int64_t{0});
      result.faces = previous->value("faces", std::int64_t{0});
      result.summary = std::move(*previous);
      return result;
    }
  }

  Timings timings;
  CropStore crops(o.output_dir);
  std::int64_t frames_decoded = 0;
  core::VideoInfo info;
  const std::vector<Measured> measured =
      measure_candidates(o, tracks, models, crops, timings, &frames_decoded, &info);
  const double width = info.width, height = info.height;

  std::vector<Candidate> candidates;
  for (const auto& m : measured) candidates.push_back(m.candidate);
  std::vector<Rejection> decisions = harvest(candidates, o.config.harvest);
  for (std::size_t i = 0; i < measured.size(); ++i) {
    // The harvest re-gates from the measures; a box outside the frame was never measured.
    if (measured[i].gate != Rejection::kNone) decisions[i] = measured[i].gate;
  }
  std::vector<const Measured*> kept;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    if (decisions[i] == Rejection::kNone) kept.push_back(&measured[i]);
  }

  auto start = Clock::now();
  const auto embeddings = embed_kept(kept, crops, models.embedding, o.progress);
  timings.embed = seconds_since(start);
  if (o.progress != nullptr) o.progress->throw_if_cancelled("faces embed");  // nothing written yet

  start = Clock::now();
  const int dim = embeddings.empty() ? 512 : static_cast<int>(embeddings.front().size());
  std::string faces_lines;
  std::vector<float> flat;
  std::vector<std::int64_t> face_ids, track_ids, frame_ids;
  std::vector<float> bboxes, landmarks;
  std::vector<double> qualities, yaws, pitches;
  std::vector<std::string> crop_paths;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const Measured& m = *kept[i];
    const Candidate& c = m.candidate;
    const std::string path = o.config.save_crops ? crop_path(c.track_id, c.frame_idx) : "";
    if (o.config.save_crops) {
      cv::Mat thumb = crops.read(m.crop_slot);
      if (o.config.thumb_size != kAlignedSize) {
        cv::resize(thumb, thumb, {o.config.thumb_size, o.config.thumb_size}, 0, 0,
                   o.config.thumb_size < kAlignedSize ? cv::INTER_AREA : cv::INTER_CUBIC);
      }
      fs::create_directories((o.output_dir / path).parent_path());
      std::vector<uchar> jpeg;
      cv::imencode(".jpg", thumb, jpeg, {cv::IMWRITE_JPEG_QUALITY, o.config.jpeg_quality});
      core::write_text_atomically(o.output_dir / path,
                                  std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
    }
    const core::Json points = normalised_points(m.points, width, height);
    faces_lines += core::Json{{"face_id", i}, {"track_id", c.track_id}, {"frame_idx", c.frame_idx},
                              {"bbox", m.bbox}, {"landmarks", points}, {"embedding", embeddings[i]},
                              {"quality_score", c.quality},
                              {"crop_path", path.empty() ? core::Json(nullptr) : core::Json(path)},
                              {"yaw", c.yaw}, {"pitch", c.pitch}}.dump() + "\n";
    flat.insert(flat.end(), embeddings[i].begin(), embeddings[i].end());
    face_ids.push_back(static_cast<std::int64_t>(i));
    track_ids.push_back(c.track_id);
    frame_ids.push_back(c.frame_idx);
    for (double v : m.bbox) bboxes.push_back(static_cast<float>(v));
    for (const auto& p : points) {
      landmarks.push_back(p[0].get<float>());
      landmarks.push_back(p[1].get<float>());
    }
    qualities.push_back(c.quality);
    yaws.push_back(c.yaw);
    pitches.push_back(c.pitch);
    crop_paths.push_back(path);
  }
  const auto n = static_cast<std::int64_t>(kept.size());
  core::write_npy(o.output_dir / kFacesNpy, core::NdArray::from<float>({n, dim}, flat));
  core::Table table;
  table.add(core::Column::int64("face_id", face_ids));
  table.add(core::Column::int64("track_id", track_ids));
  table.add(core::Column::int64("frame_idx", frame_ids));
  table.add(core::Column::float_list("bbox", 4, bboxes));
  table.add(core::Column::float_list("landmarks", 10, landmarks));
  table.add(core::Column::float_list("embedding", dim, flat));
  table.add(core::Column::float64("quality_score", qualities));
  table.add(core::Column::string("crop_path", crop_paths));
  table.add(core::Column::float64("yaw", yaws));
  table.add(core::Column::float64("pitch", pitches));
  core::write_parquet(table, o.output_dir / kFacesParquet);
  core::write_text_atomically(result.faces_path, faces_lines);

  std::string debug_lines;
  core::Json reasons = core::Json::object();
  std::map<int, std::pair<int, int>> per_track;  // candidates, kept
  for (std::size_t i = 0; i < measured.size(); ++i) {
    const Candidate& c = measured[i].candidate;
    const bool ok = decisions[i] == Rejection::kNone;
    core::Json line = {{"track_id", c.track_id}, {"frame_idx", c.frame_idx},
                       {"status", ok ? "success" : "rejected"},
                       {"reason", ok ? core::Json(nullptr) : core::Json(rejection_name(decisions[i]))}};
    line.update(measures_json(c));
    debug_lines += line.dump() + "\n";
    if (!ok) reasons[rejection_name(decisions[i])] = reasons.value(rejection_name(decisions[i]), 0) + 1;
    auto& counts = per_track[c.track_id];
    ++counts.first;
    counts.second += ok ? 1 : 0;
  }
  core::write_text_atomically(o.output_dir / kCropsDebug, debug_lines);
  timings.write = seconds_since(start);

  core::Json tracks_json = core::Json::array();
  for (const auto& [id, counts] : per_track) {
    tracks_json.push_back({{"track_id", id}, {"candidates", counts.first}, {"kept", counts.second}});
  }
  result.candidates = static_cast<std::int64_t>(measured.size());
  result.faces = n;
  auto r3 = [](double v) { return std::round(v * 1000) / 1000; };
  result.summary = {
      {"video", {{"source", o.video}, {"width", info.width}, {"height", info.height},
                 {"fps", info.fps}, {"frames_decoded", frames_decoded}}},
      {"tracks_file", o.tracks_file.string()},
      {"tracks", tracks.size()},
      {"candidates", result.candidates},
      {"faces", result.faces},
      {"rejected", reasons},
      {"per_track", tracks_json},
      {"embedding_dim", dim},
      {"config", config_json(o.config)},
      // decode is the reading thread's time; measure is summed over the workers.
      {"timings_s", {{"decode", r3(timings.decode)}, {"measure", r3(timings.measure)},
                     {"embed", r3(timings.embed)}, {"write", r3(timings.write)},
                     {"crops_per_s", timings.embed > 0 ? r3(n / timings.embed) : 0.0}}},
      {"outputs", {kFacesJsonl, kFacesNpy, kFacesParquet, kCropsDebug}},
      {"skipped", false},
      {"provenance", provenance.finish()}};
  core::write_json(result.summary_path, result.summary);
  return result;
}

}  // namespace ethovid::faces
