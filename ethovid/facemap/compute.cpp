// facemap compute: one decode pass, the SVD fits on cached chunks, then one projection pass that
// streams the table. See facemap.hpp for the contract and docs/facemap.md for the methods.
#include <chrono>
#include <cmath>
#include <future>
#include <limits>

#include <Eigen/Dense>

#include "ethovid/core/error.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/progress.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/timebase.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/core/video_source.hpp"
#include "ethovid/facemap/alignment.hpp"
#include "ethovid/facemap/decode_pass.hpp"
#include "ethovid/facemap/eye_tracker.hpp"
#include "ethovid/facemap/facemap.hpp"
#include "ethovid/facemap/metrics_table.hpp"
#include "ethovid/facemap/qc_plot.hpp"
#include "ethovid/facemap/roi_svd.hpp"
#include "ethovid/facemap/stage_outputs.hpp"

namespace ethovid::facemap {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kRowsPerBatch = 512;
constexpr int kCalibrationFrames = 200;

// Wall-clock seconds of each phase, reported in the summary so a slow run shows where it went.
class PhaseTimer {
 public:
  // Records the time since the previous finish() as `phase`.
  void finish(const std::string& phase) {
    const auto now = std::chrono::steady_clock::now();
    record(phase, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  void record(const std::string& phase, double seconds) {
    seconds_[phase] = std::round(seconds * 1000) / 1000;
  }
  const core::Json& seconds() const { return seconds_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  core::Json seconds_ = core::Json::object();
};

std::string roi_prefix(std::size_t index) {
  return index == 0 ? "" : "roi" + std::to_string(index) + "_";
}

std::string default_session_id(const std::string& video) {
  const fs::path path(video);
  if (core::is_image_pattern(video)) return path.parent_path().filename().string();
  return path.stem().string();
}

core::Json roi_json(const Roi& roi) { return {roi.x, roi.y, roi.width, roi.height}; }

core::Json parameters_json(const ComputeOptions& o, const std::vector<Roi>& motion_rois,
                           double fps) {
  core::Json rois = core::Json::array();
  for (const auto& roi : motion_rois) rois.push_back(roi_json(roi));
  return {{"method", "ethovid.facemap.compute"},
          {"motion_rois", rois},
          {"motion_rois_given", !o.motion_rois.empty()},
          {"pupil_roi", o.pupil_roi ? roi_json(*o.pupil_roi) : core::Json(nullptr)},
          {"sbin", o.sbin},
          {"svd_components", o.svd_components},
          {"motion_svd", o.motion_svd},
          {"movie_svd", o.movie_svd},
          {"fps", fps},
          {"camera_id", o.alignment.camera_id},
          {"sync_applied", o.alignment.timestamps_dir.has_value()},
          {"max_frame_mismatch", o.alignment.max_frame_mismatch},
          {"session_id", o.session_id}};
}

// Runs the eye tracker over the cached pupil crops; `method` receives its calibrated description.
EyeTrace track_eye(const FrameCache& crops, const Roi& roi, int width, int height,
                   std::int64_t frames, const std::string& source, std::string& method) {
  EyeTracker tracker(roi.rect());
  // The tracker works on full frames; only the ROI of a canvas is ever filled in, by reading
  // frame `t`'s cached crop straight into it.
  const cv::Mat blank = cv::Mat::zeros(height, width, CV_8UC1);
  std::vector<std::uint8_t> crop(crops.bytes_per_frame());
  auto read_into = [&](std::int64_t t, cv::Mat& canvas) {
    cv::Mat window = canvas(roi.rect());
    crops.read(t, 1, crop.data());
    cv::Mat(roi.height, roi.width, CV_8UC1, crop.data()).copyTo(window);
  };
  std::vector<cv::Mat> sample;
  const std::int64_t n_sample = std::min<std::int64_t>(kCalibrationFrames, frames);
  for (std::int64_t i = 0; i < n_sample; ++i) {
    sample.push_back(blank.clone());
    read_into(frames * i / n_sample, sample.back());
  }
  try {
    tracker.calibrate(sample);
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());  // the tracker knows the ROI, not the file
  }
  cv::Mat full = blank.clone();
  for (std::int64_t t = 0; t < frames; ++t) {
    read_into(t, full);
    tracker.add_frame(full);
  }
  method = tracker.method_description();
  return tracker.finish();
}

void write_masks(const fs::path& dir, const std::string& prefix, const std::string& kind,
                 const SvdModel& model, int rows, int cols, core::Json& outputs) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor masks = model.basis.components;  // (rows*cols) x K, row-major = (rows, cols, K)
  std::vector<float> flat(masks.data(), masks.data() + masks.size());
  const std::string masks_name = prefix + kind + "_svd_masks.npy";
  core::write_npy(dir / masks_name,
                  core::NdArray::from<float>({rows, cols, masks.cols()}, flat));
  const std::string values_name = prefix + kind + "_svd_singular_values.npy";
  std::vector<float> values(model.basis.singular_values.data(),
                            model.basis.singular_values.data() + model.basis.singular_values.size());
  core::write_npy(dir / values_name,
                  core::NdArray::from<float>({static_cast<std::int64_t>(values.size())}, values));
  std::vector<float> mean(model.mean.data(), model.mean.data() + model.mean.size());
  const std::string mean_name = prefix + (kind == "motion" ? "average_motion.npy" : "average_frame.npy");
  core::write_npy(dir / mean_name, core::NdArray::from<float>({rows, cols}, mean));
  outputs[masks_name] = kind + " SVD masks, float32 (" + std::to_string(rows) + ", " +
                        std::to_string(cols) + ", " + std::to_string(masks.cols()) + ")";
  outputs[values_name] = kind + " SVD singular values of the sampled frames, float32";
  outputs[mean_name] = "the mean subtracted before the " + kind + " SVD, float32 (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

core::Column float32_column(const std::string& name, const Eigen::MatrixXf& values, int col) {
  std::vector<float> v(values.rows());
  for (Eigen::Index i = 0; i < values.rows(); ++i) v[i] = values(i, col);
  return core::Column::float32(name, std::move(v));
}

template <typename T>
std::vector<T> slice(const std::vector<T>& v, std::int64_t first, std::int64_t count) {
  return std::vector<T>(v.begin() + first, v.begin() + first + count);
}

}  // namespace

StageResult compute(const ComputeOptions& options) {
  core::VideoReader reader(options.video);
  const core::VideoInfo info = reader.info();
  const std::string source_name = fs::path(options.video).filename().string();

  std::vector<Roi> motion_rois = options.motion_rois;
  if (motion_rois.empty()) motion_rois.push_back({0, 0, info.width, info.height});
  for (std::size_t i = 0; i < motion_rois.size(); ++i) {
    check_roi_fits(motion_rois[i], info.width, info.height,
                   "motion ROI " + std::to_string(i), source_name);
  }
  if (options.pupil_roi) {
    check_roi_fits(*options.pupil_roi, info.width, info.height, "pupil ROI", source_name);
  }
  if (options.svd_components < 1) {
    throw ConfigError("--svd-components " + std::to_string(options.svd_components) +
                      " must be at least 1");
  }
  if (options.sbin < 1 || options.sbin > kMaxSbin) {
    throw ConfigError("--sbin " + std::to_string(options.sbin) + " is outside 1.." +
                      std::to_string(kMaxSbin));
  }

  core::Provenance provenance;
  const core::SourceDigest digest = core::digest_video_source(options.video);
  provenance.add_input_digest(options.video, digest.sha256, digest.bytes);
  if (options.alignment.timestamps_dir) {
    provenance.add_input(
        core::read_sync_dir(*options.alignment.timestamps_dir, options.alignment.camera_id).file);
  }
  if (options.config_file) provenance.add_input(*options.config_file);
  const double fps = options.fps > 0 ? options.fps : info.fps;
  provenance.set_parameters(parameters_json(options, motion_rois, fps));

  const core::OutputFolder output_folder = prepare_output_dir(options.output_dir);
  if (!options.force) {
    if (auto previous = find_up_to_date(options.output_dir, provenance)) return *previous;
  }
  precheck_alignment(info.frame_count, options.alignment, source_name);

  // 1. Decode once.
  PhaseTimer timer;
  DecodePassResult pass;
  {
    core::ProgressBar bar("facemap: decoding " + source_name, info.frame_count);
    pass = run_decode_pass(reader, motion_rois, options.pupil_roi, options.sbin,
                           options.output_dir, [&](std::int64_t done) { bar.update(done); });
  }
  if (pass.frames < 2) {
    throw VideoFormatError(source_name + " has " + std::to_string(pass.frames) +
                           " decodable frames; facemap needs at least 2");
  }
  const Timeline timeline = align_frames(pass.frames, fps, options.alignment, source_name);
  const std::int64_t rows = timeline.rows();
  timer.finish("decode");

  // 2. Pupil and blinks from the cached pupil crops, on their own thread while the SVD fits run
  // (the tracker is single-threaded; the two fits leave room for it).
  // Declared before the future: if the fits throw, the future's destructor waits for the thread,
  // which must still find these alive.
  std::string eye_method;
  double eye_seconds = 0;
  std::future<EyeTrace> eye_future;
  if (options.pupil_roi) {
    eye_future = std::async(std::launch::async, [&] {
      const auto start = std::chrono::steady_clock::now();
      EyeTrace trace = track_eye(*pass.pupil_crops, *options.pupil_roi, info.width, info.height,
                                 pass.frames, source_name, eye_method);
      eye_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return trace;
    });
  }

  // 3. SVD fits per motion ROI, on chunks read back from the cache.
  std::vector<RoiSvdModels> models;
  {
    std::int64_t chunk_length = 0;
    const auto per_roi = static_cast<std::int64_t>(svd_chunk_starts(pass.frames, &chunk_length).size()) *
                         (int{options.motion_svd} + int{options.movie_svd});
    core::ProgressBar bar("facemap: SVD chunks", per_roi * static_cast<std::int64_t>(motion_rois.size()), "chunks");
    std::int64_t finished = 0;
    for (auto& roi_pass : pass.motion_rois) {
      models.push_back(fit_roi_svds(*roi_pass.binned, roi_pass.binner, roi_pass.average_frame(),
                                    roi_pass.average_motion(), options.svd_components,
                                    options.motion_svd, options.movie_svd,
                                    [&] { bar.update(++finished); }));
    }
  }
  std::optional<EyeTrace> eye;
  if (eye_future.valid()) {
    eye = eye_future.get();
    pass.pupil_crops.reset();
    timer.record("pupil", eye_seconds);
  }
  timer.finish("svd_fit_and_pupil");

  // 4. Projection pass: stream every row to the table.
  std::vector<core::ColumnSpec> specs;
  for (std::size_t r = 0; r < motion_rois.size(); ++r) {
    const std::string p = roi_prefix(r);
    specs.push_back({p + "motion_energy", core::ColumnType::kFloat64, 0});
    if (models[r].motion) {
      for (int k = 0; k < models[r].motion->components(); ++k) {
        specs.push_back({p + "motion_svd_" + std::to_string(k), core::ColumnType::kFloat32, 0});
      }
    }
    if (models[r].movie) {
      for (int k = 0; k < models[r].movie->components(); ++k) {
        specs.push_back({p + "movie_svd_" + std::to_string(k), core::ColumnType::kFloat32, 0});
      }
    }
  }
  if (eye) {
    specs.push_back({"pupil_area", core::ColumnType::kFloat64, 0});
    specs.push_back({"pupil_x", core::ColumnType::kFloat64, 0});
    specs.push_back({"pupil_y", core::ColumnType::kFloat64, 0});
    specs.push_back({"blink", core::ColumnType::kInt8, 0});
  }
  MetricsTableWriter writer(options.output_dir / kTableName, specs);
  std::int64_t missing_samples = 0;
  {
    core::ProgressBar bar("facemap: projecting", rows);
    Eigen::MatrixXf motion, movie, scratch;
    for (std::int64_t first = 0; first < rows; first += kRowsPerBatch) {
      const std::int64_t count = std::min(kRowsPerBatch, rows - first);
      std::vector<std::int64_t> frame_index(count);
      for (std::int64_t i = 0; i < count; ++i) frame_index[i] = first + i;
      std::vector<core::Column> columns;
      for (std::size_t r = 0; r < motion_rois.size(); ++r) {
        const std::string p = roi_prefix(r);
        auto& roi_pass = pass.motion_rois[r];
        columns.push_back(core::Column::float64(p + "motion_energy",
                                                slice(roi_pass.motion_energy, first, count)));
        const float scale = 1.0f / static_cast<float>(options.sbin * options.sbin);
        project_frames(*roi_pass.binned, scale, models[r], first, count,
                       models[r].motion ? &motion : nullptr, models[r].movie ? &movie : nullptr,
                       scratch);
        if (models[r].motion) {
          for (int k = 0; k < models[r].motion->components(); ++k) {
            columns.push_back(float32_column(p + "motion_svd_" + std::to_string(k), motion, k));
          }
        }
        if (models[r].movie) {
          for (int k = 0; k < models[r].movie->components(); ++k) {
            columns.push_back(float32_column(p + "movie_svd_" + std::to_string(k), movie, k));
          }
        }
      }
      if (eye) {
        columns.push_back(core::Column::float64("pupil_area", slice(eye->pupil_area, first, count)));
        columns.push_back(core::Column::float64("pupil_x", slice(eye->pupil_x, first, count)));
        columns.push_back(core::Column::float64("pupil_y", slice(eye->pupil_y, first, count)));
        columns.push_back(core::Column::int8("blink", slice(eye->blink, first, count)));
        for (std::int64_t i = first; i < first + count; ++i) {
          // A pupil that is missing while the eye is open is a missing sample; during a blink
          // it is absent by design.
          if (eye->blink[i] == 0 && std::isnan(eye->pupil_area[i])) ++missing_samples;
        }
      }
      writer.append(slice(timeline.time_s, first, count), frame_index, std::move(columns));
      bar.update(first + count);
    }
  }
  writer.close();
  timer.finish("projection_and_table");

  // 5. Masks, QC figure, summary (last: it marks the run complete).
  core::Json outputs = {{kTableName, "per-frame metrics (docs/facemap.md)"}};
  core::Json roi_info = core::Json::array();
  for (std::size_t r = 0; r < motion_rois.size(); ++r) {
    const auto& m = models[r];
    if (m.motion) write_masks(options.output_dir, roi_prefix(r), "motion", *m.motion, m.rows, m.cols, outputs);
    if (m.movie) write_masks(options.output_dir, roi_prefix(r), "movie", *m.movie, m.rows, m.cols, outputs);
    roi_info.push_back({{"name", r == 0 ? "motion ROI 0 (unprefixed columns)" : "roi" + std::to_string(r)},
                        {"roi", roi_json(motion_rois[r])},
                        {"whole_frame", options.motion_rois.empty()},
                        {"binned_size", {m.rows, m.cols}},
                        {"motion_svd_components", m.motion ? m.motion->components() : 0},
                        {"movie_svd_components", m.movie ? m.movie->components() : 0},
                        {"svd_chunk_starts", m.chunk_starts},
                        {"svd_chunk_length", m.chunk_length}});
  }
  QcPlotInput qc;
  qc.mean_frame = pass.mean_frame;
  qc.motion_rois = motion_rois;
  qc.pupil_roi = options.pupil_roi;
  qc.time_s = timeline.time_s;
  qc.traces.push_back({"motion_energy", "fraction", pass.motion_rois[0].motion_energy});
  if (eye) {
    qc.traces.push_back({"pupil_area", "px^2", eye->pupil_area});
    qc.traces.push_back({"blink", "0/1", {eye->blink.begin(), eye->blink.end()}, true});
  }
  write_qc_plot(options.output_dir / kQcPlotName, qc);
  outputs[kQcPlotName] = "ROIs on the mean frame and the traces over time";

  SummaryParts parts;
  parts.session_id = options.session_id.empty() ? default_session_id(options.video) : options.session_id;
  parts.source_type = "computed";
  parts.statistics = statistics_block(writer.metric_names(), writer.stats(), rows, missing_samples);
  parts.timebase_alignment = timeline.alignment;
  parts.warnings = timeline.warnings;
  for (std::size_t r = 0; r < motion_rois.size(); ++r) {
    const int asked = std::min<int>(options.svd_components, models[r].rows * models[r].cols);
    for (const auto& [kind, model] : {std::pair{"motion", &models[r].motion}, std::pair{"movie", &models[r].movie}}) {
      if (!*model || (*model)->components() >= asked) continue;
      const int kept = (*model)->components();
      parts.warnings.push_back(
          std::string(kind) + " SVD of " + (r == 0 ? "motion ROI 0" : "roi" + std::to_string(r)) +
          ": the sampled frames have numerical rank " + std::to_string(kept) + ", so " +
          std::to_string(kept) + " of " + std::to_string(asked) + " components were kept (" +
          roi_prefix(r) + kind + "_svd_0.." + std::to_string(kept - 1) +
          "); the others would be rounding noise and have no column");
    }
  }
  parts.outputs = outputs;
  parts.model_info = {
      {"method", "ethovid facemap compute"},
      {"video", {{"source", options.video}, {"width", info.width}, {"height", info.height},
                 {"fps", fps}, {"frames_decoded", pass.frames}, {"codec", info.codec}}},
      {"parameters", provenance.parameters()},
      {"motion_energy", "mean |frame_t - frame_t-1| over the ROI's pixels at full resolution, / 255; NaN at frame 0"},
      {"svd", "Facemap's method: binned frames (sbin x sbin block means), SVDs of chunks of min(1000, T) frames, "
              "min(15, T / chunk) chunks evenly spread, each keeping 250 components (K when there is one chunk), "
              "merged by a second SVD; every frame projected. Motion = "
              "|b_t - b_t-1| minus the average motion; movie = b_t minus the average frame. Component signs: "
              "largest-magnitude mask pixel positive. Singular values are those of all sampled frames."},
      {"rois", roi_info},
      {"pupil", eye ? core::Json(eye_method) : core::Json(nullptr)},
      {"pupil_roi", options.pupil_roi ? roi_json(*options.pupil_roi) : core::Json(nullptr)},
      {"phase_seconds", timer.seconds()}};
  return write_summary(options.output_dir, parts, provenance, rows);
}

}  // namespace ethovid::facemap
