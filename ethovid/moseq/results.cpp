#include "ethovid/moseq/results.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/hdf5_writer.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/moseq/checkpoint.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/model_data.hpp"
#include "ethovid/moseq/preprocess.hpp"
#include "ethovid/moseq/slds_init.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Per recording, the segments' rows put back in place (later segments overwrite the overlap).
std::vector<RecordingResults> unbatch(const ModelData& data, const FitState& state, const ArHmmState& ordered, int nlags) {
  std::vector<RecordingResults> out;
  std::vector<Eigen::MatrixXd> labels, latent, centroid, heading;
  for (const auto& r : data.recordings) {
    out.push_back({r.name, r.first_frame, {}, {}, {}, {}});
    labels.emplace_back(r.frames, 1);
    latent.emplace_back(r.frames, state.latent_dim);
    centroid.emplace_back(r.frames, data.dims);
    heading.emplace_back(r.frames, 1);
  }
  for (std::size_t n = 0; n < data.plan.segments.size(); ++n) {
    const Segment& s = data.plan.segments[n];
    const auto r = static_cast<std::size_t>(s.recording);
    const auto& z = ordered.z[n];
    // keypoint-moseq's convention: the first nlags frames take the first syllable.
    Eigen::MatrixXd padded(static_cast<Eigen::Index>(z.size()) + nlags, 1);
    for (Eigen::Index t = 0; t < padded.rows(); ++t) padded(t, 0) = z[static_cast<std::size_t>(std::max<Eigen::Index>(0, t - nlags))];
    // A later segment's first nlags frames are not observed by its own model (their syllables are
    // copies, their latents conditioned on the previous values): the segment before covers
    // them through the overlap, so those rows are kept from it.
    const std::int64_t skip = s.start > 0 ? nlags : 0;
    const Segment inner{s.recording, s.start + skip, s.end};
    auto paste = [&](const Eigen::MatrixXd& rows, Eigen::MatrixXd& into) { paste_segment(rows.bottomRows(rows.rows() - skip), inner, into); };
    paste(padded, labels[r]);
    paste(state.states[n].x, latent[r]);
    paste(state.states[n].v, centroid[r]);
    paste(state.states[n].h, heading[r]);
  }
  for (std::size_t r = 0; r < out.size(); ++r) {
    for (Eigen::Index t = 0; t < labels[r].rows(); ++t) out[r].syllable.push_back(static_cast<int>(labels[r](t, 0)));
    out[r].latent = latent[r];
    out[r].centroid = centroid[r];
    out[r].heading = heading[r].col(0);
  }
  return out;
}

void write_h5(const fs::path& file, const std::vector<RecordingResults>& recordings) {
  core::Hdf5Writer w(file);
  for (const auto& r : recordings) {
    std::string group = r.name;
    std::replace(group.begin(), group.end(), '/', '_');
    const auto T = static_cast<std::int64_t>(r.syllable.size());
    const std::vector<std::int64_t> syllable(r.syllable.begin(), r.syllable.end());
    w.write_ints(group + "/syllable", {T}, syllable.data());
    const RowMajor latent = r.latent, centroid = r.centroid;
    w.write_doubles(group + "/latent_state", {T, latent.cols()}, latent.data());
    w.write_doubles(group + "/centroid", {T, centroid.cols()}, centroid.data());
    w.write_doubles(group + "/heading", {T}, r.heading.data());
    w.set_attribute(group, "first_frame", static_cast<double>(r.first_frame));
  }
  w.commit();
}

void write_parquet_table(const fs::path& file, const std::vector<RecordingResults>& recordings) {
  std::vector<std::string> names;
  std::vector<std::int64_t> frames, syllables;
  std::vector<double> heading;
  const Eigen::Index D = recordings.front().centroid.cols(), L = recordings.front().latent.cols();
  std::vector<std::vector<double>> centroid(static_cast<std::size_t>(D)), latent(static_cast<std::size_t>(L));
  for (const auto& r : recordings) {
    for (std::size_t t = 0; t < r.syllable.size(); ++t) {
      const auto row = static_cast<Eigen::Index>(t);
      names.push_back(r.name);
      frames.push_back(r.first_frame + static_cast<std::int64_t>(t));  // the video's frame
      syllables.push_back(r.syllable[t]);
      heading.push_back(r.heading[row]);
      for (Eigen::Index d = 0; d < D; ++d) centroid[static_cast<std::size_t>(d)].push_back(r.centroid(row, d));
      for (Eigen::Index l = 0; l < L; ++l) latent[static_cast<std::size_t>(l)].push_back(r.latent(row, l));
    }
  }
  core::Table table;
  table.add(core::Column::string("recording", names));
  table.add(core::Column::int64("frame", frames));
  table.add(core::Column::int64("syllable", syllables));
  const char* axes[3] = {"centroid_x", "centroid_y", "centroid_z"};
  for (Eigen::Index d = 0; d < D; ++d) table.add(core::Column::float64(axes[d], centroid[static_cast<std::size_t>(d)]));
  table.add(core::Column::float64("heading", heading));
  for (Eigen::Index l = 0; l < L; ++l) {
    table.add(core::Column::float64("latent_state_" + std::to_string(l), latent[static_cast<std::size_t>(l)]));
  }
  core::write_parquet(table, file);
}

struct SyllableStats {
  std::int64_t occurrences = 0, frames = 0;
  std::vector<double> durations;
  double speed_sum = 0;
  std::int64_t speed_frames = 0;
};

std::map<int, SyllableStats> syllable_stats(const std::vector<RecordingResults>& recordings, double fps) {
  std::map<int, SyllableStats> stats;
  for (const auto& [syllable, list] : syllable_occurrences(recordings)) {
    auto& s = stats[syllable];
    for (const Occurrence& o : list) {
      ++s.occurrences;
      s.durations.push_back(static_cast<double>(o.length));
      s.frames += o.length;
    }
  }
  for (const auto& r : recordings) {
    for (std::size_t t = 0; t + 1 < r.syllable.size(); ++t) {
      auto& s = stats[r.syllable[t]];
      const auto row = static_cast<Eigen::Index>(t);
      s.speed_sum += (r.centroid.row(row + 1) - r.centroid.row(row)).norm() * fps;
      ++s.speed_frames;
    }
  }
  return stats;
}

std::string stats_csv(const std::map<int, SyllableStats>& stats, double fps) {
  std::int64_t total = 0;
  for (const auto& [id, s] : stats) total += s.occurrences;
  std::ostringstream out;
  out << std::setprecision(10);
  out << "syllable,occurrences,frequency,frames,duration_mean_frames,duration_median_frames,duration_mean_ms,"
         "duration_median_ms,velocity_px_per_s\n";
  for (const auto& [id, s] : stats) {
    double mean = 0;
    for (double d : s.durations) mean += d / static_cast<double>(s.durations.size());
    const double med = median_of_finite(s.durations);
    out << id << "," << s.occurrences << "," << static_cast<double>(s.occurrences) / static_cast<double>(total) << ","
        << s.frames << "," << mean << "," << med << "," << 1000 * mean / fps << "," << 1000 * med / fps << ","
        << (s.speed_frames > 0 ? s.speed_sum / static_cast<double>(s.speed_frames) : 0.0) << "\n";
  }
  return out.str();
}

// What fit_log.jsonl says about the fit: sweeps, kappas and the log-likelihood per phase.
core::Json convergence(const fs::path& log) {
  std::ifstream in(log);
  core::Json phases = core::Json::object();
  int sweeps = 0;
  for (std::string line; std::getline(in, line);) {
    const core::Json j = core::Json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    ++sweeps;
    auto& p = phases[j.value("phase", "?")];
    if (!p.contains("first_log_likelihood")) {
      p["first_log_likelihood"] = j["log_likelihood"];
      p["kappa"] = j["kappa"];
      p["sweeps"] = 0;
    }
    p["sweeps"] = p["sweeps"].get<int>() + 1;
    p["last_log_likelihood"] = j["log_likelihood"];
    p["median_duration_frames"] = j["median_duration_frames"];
    p["median_duration_ms"] = j["median_duration_ms"];
  }
  return {{"sweeps_logged", sweeps}, {"phases", phases}};
}

}  // namespace

std::map<int, std::vector<Occurrence>> syllable_occurrences(const std::vector<RecordingResults>& recordings) {
  std::map<int, std::vector<Occurrence>> out;
  for (std::size_t r = 0; r < recordings.size(); ++r) {
    const auto& z = recordings[r].syllable;
    std::size_t start = 0;
    for (std::size_t t = 1; t <= z.size(); ++t) {
      if (t == z.size() || z[t] != z[start]) {
        out[z[start]].push_back({r, static_cast<std::int64_t>(start), static_cast<std::int64_t>(t - start)});
        start = t;
      }
    }
  }
  return out;
}

FittedModel load_fitted_model(const fs::path& project) {
  FittedModel m;
  m.config = load_moseq_config(project);
  const fs::path checkpoint = project / kCheckpointFile;
  if (!fs::exists(checkpoint)) throw MissingInputError(checkpoint.string() + " does not exist (run `ethovid moseq fit` first)");
  m.data = build_model_data(m.config);
  m.state = read_checkpoint(checkpoint, m.data.segments.size(), m.data.plan.rows());
  if (m.state.config_digest != core::sha256_file(project / kConfigFile)) {
    throw ConfigError((project / kConfigFile).string() + " changed since the fit; fit again before using its results");
  }
  m.ordered = reindexed(m.state.ar, m.state.syllable_order);
  m.recordings = unbatch(m.data, m.state, m.ordered, m.config.nlags);
  return m;
}

core::Provenance project_provenance(const fs::path& project) {
  const MoseqConfig config = load_moseq_config(project);
  core::Provenance provenance;
  provenance.add_input(project / kConfigFile);
  for (const auto& file : config.pose_files) provenance.add_input(file);
  return provenance;
}

core::Provenance fitted_model_provenance(const fs::path& project) {
  core::Provenance provenance = project_provenance(project);
  if (fs::exists(project / kCheckpointFile)) provenance.add_input(project / kCheckpointFile);
  return provenance;
}

ResultsSummary extract_results(const fs::path& project, bool force) {
  core::Provenance provenance = fitted_model_provenance(project);
  provenance.set_parameters({{"config_sha256", core::sha256_file(project / kConfigFile)}});
  ResultsSummary out;
  out.h5 = project / kResultsH5;
  out.parquet = project / kResultsParquet;
  out.stats = project / kSyllableStats;
  out.summary_path = project / kMoseqSummary;
  if (!force) {
    if (auto previous = core::previous_run_if_up_to_date(out.summary_path, provenance, {out.h5, out.parquet, out.stats})) {
      out.skipped = true;
      out.summary = std::move(*previous);
      return out;
    }
  }
  const FittedModel model = load_fitted_model(project);
  const MoseqConfig& config = model.config;
  const ModelData& data = model.data;
  const FitState& state = model.state;
  std::int64_t total_frames = 0;
  for (const auto& r : data.recordings) total_frames += r.frames;
  out.recordings = model.recordings;
  write_h5(out.h5, out.recordings);
  write_parquet_table(out.parquet, out.recordings);
  const auto stats = syllable_stats(out.recordings, config.fps);
  core::write_text_atomically(out.stats, stats_csv(stats, config.fps));

  core::Json recordings = core::Json::array();
  for (const auto& r : data.recordings) {
    recordings.push_back({{"name", r.name}, {"source", r.source.string()}, {"frames", r.frames},
                          {"first_frame", r.first_frame}, {"keypoints_filled", r.filled}, {"outliers", r.outliers}});
  }
  std::vector<std::vector<int>> per_recording;
  std::vector<Eigen::VectorXd> all_real;
  for (const auto& r : out.recordings) {
    per_recording.push_back(r.syllable);
    all_real.push_back(Eigen::VectorXd::Ones(static_cast<Eigen::Index>(r.syllable.size())));
  }
  const double median_frames = median_duration(per_recording, all_real, 0);
  out.summary = {{"iterations", state.iteration},
                 {"ar_iterations", state.ar_iterations},
                 {"kappa", {{"ar_hmm", state.ar_kappa}, {"full_model", state.full_kappa}}},
                 {"latent_dim", state.latent_dim},
                 {"latent_dim_choice", {{"set_in_config", config.latent_dim.has_value()},
                                        {"explaining_90_percent", state.pca.components_for(0.9)},
                                        {"supported_by_the_data", supported_latent_dim(total_frames, config.num_states, config.nlags)}}},
                 {"pca_explained_variance", state.pca.explained_ratio().head(state.latent_dim).sum()},
                 {"syllables_used", stats.size()},
                 {"median_syllable_duration", {{"frames", median_frames}, {"ms", 1000 * median_frames / config.fps}}},
                 {"fps", config.fps},
                 {"convergence", convergence(project / kFitLog)},
                 {"kappa_search", fs::exists(project / "kappa_search.json") ? core::read_json(project / "kappa_search.json")["probes"]
                                                                            : core::Json::array()},
                 {"recordings", recordings},
                 {"recordings_left_out", left_out_json(data.left_out)},
                 {"outputs", {kResultsH5, kResultsParquet, kSyllableStats}},
                 {"provenance", provenance.finish()}};
  core::write_json(out.summary_path, out.summary);
  return out;
}

}  // namespace ethovid::moseq
