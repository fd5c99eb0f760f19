// facemap import: Facemap 1.0.x *_proc.npy / *_proc.mat -> the same table `compute` writes.
// Mapping (docs/facemap.md has the full table):
//   motion[0], motion[i]   -> motion_energy, roi{i}_motion_energy: Facemap's per-frame sums of
//                             |binned diff| divided by 255 x the binned pixel count of the region;
//                             Facemap stores its first 500-frame block one frame early (value k is
//                             the change from frame k to k+1); that shift is undone, frame 0 NaN
//   motSVD[0], motSVD[i]   -> motion_svd_k, roi{i}_motion_svd_k (row 0 NaN: Facemap copies row 1)
//   movSVD[0], movSVD[i]   -> movie_svd_k, roi{i}_movie_svd_k (row 0 NaN, likewise)
//   pupil[j]               -> pupil_area, pupil_x, pupil_y (com [y, x] + the pupil ROI's offset)
//   blink[j]               -> blink_darkness (raw summed darkness) and blink (0/1, robust dips)
//   running[j]             -> running_dx, running_dy
// Entries j >= 1 of pupil/blink/running get a suffix _j. A missing key means missing columns,
// listed in the summary.
#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "ethovid/core/error.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/timebase.hpp"
#include "ethovid/facemap/alignment.hpp"
#include "ethovid/facemap/facemap.hpp"
#include "ethovid/facemap/metrics_table.hpp"
#include "ethovid/facemap/proc_file.hpp"
#include "ethovid/facemap/qc_plot.hpp"
#include "ethovid/facemap/stage_outputs.hpp"

namespace ethovid::facemap {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kFacemapProjectionBlock = 500;  // Facemap's process_ROIs chunk length
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Blink from a summed-darkness trace: a blink is a dip well below the trace's robust baseline,
// deeper than 5 robust standard deviations (1.4826 x MAD) and than a quarter of the baseline.
std::vector<std::int8_t> blinks_from_darkness(const std::vector<double>& darkness,
                                              double* threshold_out) {
  std::vector<double> finite;
  for (double v : darkness) if (std::isfinite(v)) finite.push_back(v);
  std::vector<std::int8_t> blink(darkness.size(), 0);
  if (finite.empty()) return blink;
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double baseline = median(finite);
  std::vector<double> deviations;
  for (double v : finite) deviations.push_back(std::fabs(v - baseline));
  const double sigma = 1.4826 * median(deviations);
  const double threshold = baseline - std::max(5.0 * sigma, 0.25 * std::fabs(baseline));
  *threshold_out = threshold;
  for (std::size_t i = 0; i < darkness.size(); ++i) blink[i] = darkness[i] < threshold;
  return blink;
}

struct RoiEntry {
  int rind = -1;
  std::vector<double> yrange, xrange, yrange_bin, xrange_bin;
  double saturation = kNaN;
  std::string rtype;
};

std::vector<RoiEntry> read_rois(const ProcFile& proc) {
  std::vector<RoiEntry> rois;
  for (const core::PyValue* item : proc.list("rois")) {
    if (!item->is_dict()) continue;
    RoiEntry roi;
    if (const auto* v = item->find("rind")) roi.rind = static_cast<int>(v->as_double());
    if (const auto* v = item->find("rtype"); v && v->is_string()) roi.rtype = v->as_string();
    if (const auto* v = item->find("yrange")) roi.yrange = proc.vector(*v, "rois[].yrange");
    if (const auto* v = item->find("xrange")) roi.xrange = proc.vector(*v, "rois[].xrange");
    if (const auto* v = item->find("yrange_bin")) roi.yrange_bin = proc.vector(*v, "rois[].yrange_bin");
    if (const auto* v = item->find("xrange_bin")) roi.xrange_bin = proc.vector(*v, "rois[].xrange_bin");
    if (const auto* v = item->find("saturation"); v && v->is_number()) roi.saturation = v->as_double();
    rois.push_back(std::move(roi));
  }
  return rois;
}

std::vector<const RoiEntry*> rois_of_kind(const std::vector<RoiEntry>& rois, int rind) {
  std::vector<const RoiEntry*> out;
  for (const auto& r : rois) if (r.rind == rind) out.push_back(&r);
  return out;
}

class ColumnCollector {
 public:
  explicit ColumnCollector(const ProcFile& proc) : proc_(proc) {}

  void add(const std::string& name, std::vector<double> values, const std::string& key) {
    check_length(values.size(), key);
    specs_.push_back({name, core::ColumnType::kFloat64, 0});
    columns_.push_back(core::Column::float64(name, std::move(values)));
  }
  void add_int8(const std::string& name, std::vector<std::int8_t> values, const std::string& key) {
    check_length(values.size(), key);
    specs_.push_back({name, core::ColumnType::kInt8, 0});
    columns_.push_back(core::Column::int8(name, std::move(values)));
  }
  void add_matrix(const std::string& prefix, const core::PyValue& value, const std::string& key,
                  bool first_row_undefined) {
    std::int64_t rows = 0, cols = 0;
    const auto flat = proc_.matrix(value, key, &rows, &cols);
    check_length(static_cast<std::size_t>(rows), key + " (shape " + value.as_array().shape_string() + ")");
    for (std::int64_t k = 0; k < cols; ++k) {
      std::vector<float> column(rows);
      for (std::int64_t i = 0; i < rows; ++i) column[i] = static_cast<float>(flat[i * cols + k]);
      if (first_row_undefined && rows > 0) column[0] = std::numeric_limits<float>::quiet_NaN();
      const std::string name = prefix + std::to_string(k);
      specs_.push_back({name, core::ColumnType::kFloat32, 0});
      columns_.push_back(core::Column::float32(name, std::move(column)));
    }
  }
  std::int64_t frames() const { return frames_; }
  const std::vector<core::ColumnSpec>& specs() const { return specs_; }
  std::vector<core::Column>& columns() { return columns_; }

 private:
  void check_length(std::size_t n, const std::string& key) {
    if (frames_ < 0) {
      frames_ = static_cast<std::int64_t>(n);
      first_key_ = key;
    } else if (static_cast<std::int64_t>(n) != frames_) {
      proc_.fail(key + " has " + std::to_string(n) + " frames, but " + first_key_ + " has " +
                 std::to_string(frames_));
    }
  }

  const ProcFile& proc_;
  std::int64_t frames_ = -1;
  std::string first_key_;
  std::vector<core::ColumnSpec> specs_;
  std::vector<core::Column> columns_;
};

// Facemap's motion sums -> motion energy in [0, 1], with its first-block shift undone.
std::vector<double> motion_energy_from_sums(const std::vector<double>& sums, double pixels) {
  const auto n = static_cast<std::int64_t>(sums.size());
  const std::int64_t block = std::min(kFacemapProjectionBlock, n);
  std::vector<double> energy(n, kNaN);
  for (std::int64_t k = 1; k < n; ++k) {
    const double sum = k < block ? sums[k - 1] : sums[k];
    energy[k] = sum / (255.0 * pixels);
  }
  return energy;
}

std::string suffix(std::size_t j) { return j == 0 ? "" : "_" + std::to_string(j); }

}  // namespace

StageResult import_metrics(const ImportOptions& options) {
  ProcFile proc(options.proc_file);
  const std::string source_name = options.proc_file.filename().string();

  core::Provenance provenance;
  provenance.add_input(options.proc_file);
  if (options.alignment.timestamps_dir) {
    provenance.add_input(
        core::read_sync_dir(*options.alignment.timestamps_dir, options.alignment.camera_id).file);
  }
  provenance.set_parameters({{"method", "ethovid.facemap.import"},
                             {"fps", options.fps},
                             {"camera_id", options.alignment.camera_id},
                             {"sync_applied", options.alignment.timestamps_dir.has_value()},
                             {"max_frame_mismatch", options.alignment.max_frame_mismatch},
                             {"session_id", options.session_id}});
  const core::OutputFolder output_folder = prepare_output_dir(options.output_dir);
  if (!options.force) {
    if (auto previous = find_up_to_date(options.output_dir, provenance)) return *previous;
  }

  const auto rois = read_rois(proc);
  const auto motion_rois = rois_of_kind(rois, 1);
  const int sbin = static_cast<int>(proc.integer("sbin").value_or(1));
  const auto ly_bin = proc.list("Lybin");
  const auto lx_bin = proc.list("Lxbin");
  ColumnCollector columns(proc);
  std::vector<std::string> absent;
  core::Json motion_scaling = core::Json::array();
  std::vector<double> qc_motion;

  // Motion energy and SVDs: entry 0 = full frame, entries 1.. = motion ROIs in order.
  const auto motion = proc.list("motion");
  const auto mot_svd = proc.list("motSVD");
  const auto mov_svd = proc.list("movSVD");
  const std::size_t regions = std::max({motion.size(), mot_svd.size(), mov_svd.size()});
  for (std::size_t i = 0; i < regions; ++i) {
    const std::string prefix = i == 0 ? "" : "roi" + std::to_string(i) + "_";
    if (i < motion.size()) {
      const auto sums = proc.vector(*motion[i], "motion[" + std::to_string(i) + "]");
      if (!sums.empty()) {
        double pixels = 0;
        if (i == 0) {
          for (std::size_t v = 0; v < std::min(ly_bin.size(), lx_bin.size()); ++v) {
            const auto ly = proc.vector(*ly_bin[v], "Lybin"), lx = proc.vector(*lx_bin[v], "Lxbin");
            for (std::size_t j = 0; j < std::min(ly.size(), lx.size()); ++j) pixels += ly[j] * lx[j];
          }
        } else if (i - 1 < motion_rois.size()) {
          const RoiEntry& r = *motion_rois[i - 1];
          // Facemap's own binned extents when saved, else its formula from the pixel ranges.
          const double ny = !r.yrange_bin.empty() ? r.yrange_bin.size()
                                                  : std::floor(r.yrange.size() / double(sbin));
          const double nx = !r.xrange_bin.empty() ? r.xrange_bin.size()
                                                  : std::floor(r.xrange.size() / double(sbin));
          pixels = ny * nx;
        }
        if (!(pixels > 0)) {
          proc.fail("cannot scale motion[" + std::to_string(i) +
                    "]: the binned pixel count of its region is unknown (Lybin/Lxbin or rois missing)");
        }
        auto energy = motion_energy_from_sums(sums, pixels);
        if (i == 0) qc_motion = energy;
        columns.add(prefix + "motion_energy", std::move(energy), "motion[" + std::to_string(i) + "]");
        motion_scaling.push_back({{"column", prefix + "motion_energy"}, {"binned_pixels", pixels},
                                  {"divisor", 255.0 * pixels}});
      } else {
        absent.push_back(prefix + "motion_energy (motion[" + std::to_string(i) + "] is empty)");
      }
    }
    if (i < mot_svd.size() && mot_svd[i]->is_array() && mot_svd[i]->as_array().size() > 0) {
      columns.add_matrix(prefix + "motion_svd_", *mot_svd[i], "motSVD[" + std::to_string(i) + "]", true);
    }
    if (i < mov_svd.size() && mov_svd[i]->is_array() && mov_svd[i]->as_array().size() > 0) {
      columns.add_matrix(prefix + "movie_svd_", *mov_svd[i], "movSVD[" + std::to_string(i) + "]", true);
    }
  }
  if (motion.empty()) absent.push_back("motion_energy (no 'motion' key)");
  if (mot_svd.empty()) absent.push_back("motion_svd_* (no 'motSVD' key)");
  if (mov_svd.empty()) absent.push_back("movie_svd_* (no 'movSVD' key)");

  // Pupil: com is [y, x] in the pupil ROI's crop; add the ROI's offset for full-frame pixels.
  const auto pupils = proc.list("pupil");
  const auto pupil_rois = rois_of_kind(rois, 0);
  std::vector<double> qc_pupil;
  for (std::size_t j = 0; j < pupils.size(); ++j) {
    const core::PyValue& p = *pupils[j];
    const std::string key = "pupil[" + std::to_string(j) + "]";
    if (!p.is_dict()) proc.fail(key + " is a " + p.type_name() + ", expected a dict");
    const core::PyValue* area = p.find("area");
    const core::PyValue* com = p.find("com");
    if (!area || !com) proc.fail(key + " lacks 'area' or 'com'");
    auto area_values = proc.vector(*area, key + "['area']");
    std::int64_t rows = 0, cols = 0;
    const auto com_values = proc.matrix(*com, key + "['com']", &rows, &cols);
    if (cols != 2 || rows != static_cast<std::int64_t>(area_values.size())) {
      proc.fail(key + "['com'] has shape " + com->as_array().shape_string() + ", expected (" +
                std::to_string(area_values.size()) + ", 2)");
    }
    double y0 = 0, x0 = 0;
    if (j < pupil_rois.size() && !pupil_rois[j]->yrange.empty() && !pupil_rois[j]->xrange.empty()) {
      y0 = pupil_rois[j]->yrange.front();
      x0 = pupil_rois[j]->xrange.front();
    }
    std::vector<double> xs(rows), ys(rows);
    for (std::int64_t i = 0; i < rows; ++i) {
      ys[i] = com_values[i * 2] + y0;
      xs[i] = com_values[i * 2 + 1] + x0;
    }
    if (j == 0) qc_pupil = area_values;
    columns.add("pupil_area" + suffix(j), std::move(area_values), key + "['area']");
    columns.add("pupil_x" + suffix(j), std::move(xs), key + "['com']");
    columns.add("pupil_y" + suffix(j), std::move(ys), key + "['com']");
  }
  if (pupils.empty()) absent.push_back("pupil_area, pupil_x, pupil_y (no 'pupil' key)");

  core::Json blink_thresholds = core::Json::array();
  std::vector<double> qc_blink;
  const auto blinks = proc.list("blink");
  for (std::size_t j = 0; j < blinks.size(); ++j) {
    const std::string key = "blink[" + std::to_string(j) + "]";
    auto darkness = proc.vector(*blinks[j], key);
    double threshold = kNaN;
    auto blink = blinks_from_darkness(darkness, &threshold);
    blink_thresholds.push_back({{"column", "blink" + suffix(j)}, {"darkness_threshold", threshold}});
    if (j == 0) qc_blink.assign(blink.begin(), blink.end());
    columns.add("blink_darkness" + suffix(j), std::move(darkness), key);
    columns.add_int8("blink" + suffix(j), std::move(blink), key);
  }
  if (blinks.empty()) absent.push_back("blink, blink_darkness (no 'blink' key)");

  const auto running = proc.list("running");
  for (std::size_t j = 0; j < running.size(); ++j) {
    const std::string key = "running[" + std::to_string(j) + "]";
    std::int64_t rows = 0, cols = 0;
    const auto values = proc.matrix(*running[j], key, &rows, &cols);
    if (cols != 2) proc.fail(key + " has shape " + running[j]->as_array().shape_string() + ", expected (frames, 2)");
    std::vector<double> dy(rows), dx(rows);
    for (std::int64_t i = 0; i < rows; ++i) {
      dy[i] = values[i * 2];
      dx[i] = values[i * 2 + 1];
    }
    columns.add("running_dx" + suffix(j), std::move(dx), key);
    columns.add("running_dy" + suffix(j), std::move(dy), key);
  }
  if (running.empty()) absent.push_back("running_dx, running_dy (no 'running' key)");

  if (columns.frames() <= 0) {
    proc.fail("holds no per-frame data (none of motion, motSVD, movSVD, pupil, blink, running)");
  }
  const std::int64_t frames = columns.frames();
  const Timeline timeline = align_frames(frames, options.fps, options.alignment, source_name);
  const std::int64_t rows = timeline.rows();

  MetricsTableWriter writer(options.output_dir / kTableName, columns.specs(), RangePolicy::kWarn);
  std::vector<std::int64_t> frame_index(rows);
  for (std::int64_t i = 0; i < rows; ++i) frame_index[i] = i;
  std::vector<core::Column> kept;
  for (auto& column : columns.columns()) {
    core::Column trimmed = std::move(column);
    trimmed.f64.resize(trimmed.f64.empty() ? 0 : rows);
    trimmed.f32.resize(trimmed.f32.empty() ? 0 : rows);
    trimmed.i8.resize(trimmed.i8.empty() ? 0 : rows);
    kept.push_back(std::move(trimmed));
  }
  std::int64_t missing_samples = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    const bool pupil_missing = i < static_cast<std::int64_t>(qc_pupil.size()) && std::isnan(qc_pupil[i]) &&
                               !(i < static_cast<std::int64_t>(qc_blink.size()) && qc_blink[i] > 0);
    missing_samples += pupil_missing;
  }
  writer.append(timeline.time_s, frame_index, std::move(kept));
  writer.close();

  // QC figure: Facemap's own average frame (binned) stretched back to full size, when saved.
  QcPlotInput qc;
  if (const core::PyValue* avg = proc.find("avgframe_reshape"); avg && avg->is_array() &&
                                                                   avg->as_array().ndim() == 2) {
    const auto& a = avg->as_array();
    const auto values = a.to_double();
    cv::Mat small(static_cast<int>(a.shape[0]), static_cast<int>(a.shape[1]), CV_64FC1,
                  const_cast<double*>(values.data()));
    small.convertTo(qc.mean_frame, CV_8UC1);
    cv::resize(qc.mean_frame, qc.mean_frame, cv::Size(), sbin, sbin, cv::INTER_NEAREST);
    for (const auto* r : motion_rois) {
      if (!r->xrange.empty() && !r->yrange.empty()) {
        qc.motion_rois.push_back({static_cast<int>(r->xrange.front()), static_cast<int>(r->yrange.front()),
                                  static_cast<int>(r->xrange.size()), static_cast<int>(r->yrange.size())});
      }
    }
    if (!pupil_rois.empty() && !pupil_rois[0]->xrange.empty() && !pupil_rois[0]->yrange.empty()) {
      const auto* r = pupil_rois[0];
      qc.pupil_roi = Roi{static_cast<int>(r->xrange.front()), static_cast<int>(r->yrange.front()),
                         static_cast<int>(r->xrange.size()), static_cast<int>(r->yrange.size())};
    }
  }
  qc.time_s = timeline.time_s;
  if (!qc_motion.empty()) qc.traces.push_back({"motion_energy", "fraction", qc_motion});
  if (!qc_pupil.empty()) qc.traces.push_back({"pupil_area", "px^2", qc_pupil});
  if (!qc_blink.empty()) qc.traces.push_back({"blink", "0/1", qc_blink, true});
  write_qc_plot(options.output_dir / kQcPlotName, qc);

  core::Json filenames = core::Json::array();
  for (const core::PyValue* view : proc.list("filenames")) {
    if (view->is_string()) filenames.push_back(view->as_string());
    else if (view->is_list()) for (const auto& f : view->as_list()) if (f.is_string()) filenames.push_back(f.as_string());
  }
  core::Json roi_json = core::Json::array();
  for (const auto& r : rois) {
    roi_json.push_back({{"rind", r.rind}, {"rtype", r.rtype},
                        {"x", r.xrange.empty() ? core::Json(nullptr) : core::Json(r.xrange.front())},
                        {"y", r.yrange.empty() ? core::Json(nullptr) : core::Json(r.yrange.front())},
                        {"width", r.xrange.size()}, {"height", r.yrange.size()},
                        {"saturation", std::isnan(r.saturation) ? core::Json(nullptr) : core::Json(r.saturation)}});
  }

  SummaryParts parts;
  parts.session_id = options.session_id.empty() ? options.proc_file.stem().string() : options.session_id;
  if (options.session_id.empty() && parts.session_id.size() > 5 &&
      parts.session_id.compare(parts.session_id.size() - 5, 5, "_proc") == 0) {
    parts.session_id.resize(parts.session_id.size() - 5);
  }
  parts.source_type = "imported";
  parts.statistics = statistics_block(writer.metric_names(), writer.stats(), rows, missing_samples);
  parts.timebase_alignment = timeline.alignment;
  parts.warnings = timeline.warnings;
  for (auto& w : writer.range_warnings()) parts.warnings.push_back(std::move(w));
  if (!running.empty()) {
    parts.warnings.push_back("running_dx/running_dy are imported as stored; Facemap 1.0.x's running "
                             "estimate discards its phase-correlation result, so treat them with care");
  }
  parts.outputs = {{kTableName, "per-frame metrics (docs/facemap.md)"},
                   {kQcPlotName, "ROIs on Facemap's average frame and the traces over time"}};
  parts.model_info = {
      {"method", "import of Facemap output"},
      {"facemap_version", "1.0.x format (the proc file does not record its version)"},
      {"source_file", options.proc_file.string()},
      {"source_format", options.proc_file.extension() == ".mat" ? "mat" : "npy (pickled dict)"},
      {"frames_in_file", frames},
      {"sbin", sbin},
      {"video_files", filenames},
      {"rois", roi_json},
      {"absent_columns", absent},
      {"motion_energy_scaling", motion_scaling},
      {"motion_energy_shift_corrected", "Facemap stores its first " +
                                            std::to_string(std::min(kFacemapProjectionBlock, frames)) +
                                            " motion values one frame early; they were moved back"},
      {"svd_row0", "motion/movie SVD row 0 set to NaN: Facemap copies row 1 into it"},
      {"blink_method", "blink = blink_darkness < median - max(5 x 1.4826 x MAD, 0.25 x |median|)"},
      {"blink_thresholds", blink_thresholds}};
  return write_summary(options.output_dir, parts, provenance, rows);
}

}  // namespace ethovid::facemap
