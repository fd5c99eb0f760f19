#include "ethovid/moseq/plots.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "ethovid/core/chart.hpp"
#include "ethovid/moseq/grid_movies.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/results.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

constexpr int kPanel = 300;
const cv::Scalar kBlue(180, 119, 31), kGrey(150, 150, 150), kRed(40, 39, 214);

// Aligned keypoints (K x D) of one latent vector.
Eigen::MatrixXd pose_of(const KeypointSlds& model, const Eigen::RowVectorXd& x, int K, int D) {
  const Eigen::MatrixXd flat = model.aligned_keypoints(x);
  Eigen::MatrixXd pose(K, D);
  for (int k = 0; k < K; ++k) pose.row(k) = flat.row(0).segment(k * D, D);
  return pose;
}

void draw_pose(core::Chart& chart, const Eigen::MatrixXd& pose, const std::vector<std::pair<int, int>>& edges,
               const cv::Scalar& colour) {
  for (const auto& [a, b] : edges) chart.segment(pose(a, 0), pose(a, 1), pose(b, 0), pose(b, 1), colour, 1);
  for (Eigen::Index k = 0; k < pose.rows(); ++k) chart.point(pose(k, 0), pose(k, 1), colour, 3);
}

// The box around every pose of every panel: panels framed by the same box share one scale.
struct Box {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  void add(const Eigen::MatrixXd& pose) {
    x_lo = std::min(x_lo, pose.col(0).minCoeff()), x_hi = std::max(x_hi, pose.col(0).maxCoeff());
    y_lo = std::min(y_lo, pose.col(1).minCoeff()), y_hi = std::max(y_hi, pose.col(1).maxCoeff());
  }
  // Keypoints are in the pose files' units: pixels, for trackers run on video.
  void frame(core::Chart& chart) const { chart.equal_axes(x_lo, x_hi, y_lo, y_hi, "x (px)", "y (px)"); }
};

std::vector<std::pair<int, int>> skeleton_edges(const MoseqConfig& c) {
  std::vector<std::pair<int, int>> edges;
  auto index = [&](const std::string& name) {
    return static_cast<int>(std::find(c.use_bodyparts.begin(), c.use_bodyparts.end(), name) - c.use_bodyparts.begin());
  };
  for (const auto& [a, b] : c.skeleton) {
    const int i = index(a), j = index(b);
    if (i < static_cast<int>(c.use_bodyparts.size()) && j < static_cast<int>(c.use_bodyparts.size())) edges.emplace_back(i, j);
  }
  return edges;
}

fs::path scree(const FittedModel& m, const fs::path& dir) {
  const Eigen::VectorXd ratio = m.state.pca.explained_ratio();
  std::vector<double> x, cumulative;
  double total = 0;
  for (Eigen::Index i = 0; i < ratio.size(); ++i) {
    total += ratio[i];
    x.push_back(static_cast<double>(i + 1));
    cumulative.push_back(total);
  }
  const double right = static_cast<double>(ratio.size()) + 0.5;
  core::Chart chart(2 * kPanel, kPanel, "explained variance of the pose PCs");
  chart.x_axis(0.5, right, "components", core::TickKind::kInteger);
  chart.y_axis(0, 1.04, "cumulative share");
  chart.line({0.5, right}, {0.9, 0.9}, kGrey, 1);
  chart.line(x, cumulative, kBlue);
  chart.segment(m.state.latent_dim, 0, m.state.latent_dim, 1.04, kRed, 1);
  chart.legend({{"cumulative share", kBlue},
                {"90% of variance", kGrey},
                {"latent_dim = " + std::to_string(m.state.latent_dim), kRed}},
               core::Corner::kBottomRight);
  const fs::path file = dir / "scree.png";
  core::save_png(file, chart.image());
  return file;
}

fs::path pcs(const FittedModel& m, const KeypointSlds& model, const fs::path& dir) {
  const int K = m.data.keypoints, D = m.data.dims, L = m.state.latent_dim;
  const auto edges = skeleton_edges(m.config);
  const Eigen::MatrixXd mean = pose_of(model, Eigen::RowVectorXd::Zero(L), K, D);
  std::vector<std::pair<Eigen::MatrixXd, Eigen::MatrixXd>> minus_plus;  // per latent dimension
  Box box;
  box.add(mean);
  for (int i = 0; i < std::min(L, 8); ++i) {
    Eigen::RowVectorXd x = Eigen::RowVectorXd::Zero(L);
    x[i] = -2;
    const Eigen::MatrixXd minus = pose_of(model, x, K, D);
    x[i] = 2;
    minus_plus.emplace_back(minus, pose_of(model, x, K, D));
    box.add(minus_plus.back().first), box.add(minus_plus.back().second);
  }
  box.y_hi += 0.35 * (box.y_hi - box.y_lo);  // room for the legend above the poses
  std::vector<cv::Mat> panels;
  for (std::size_t i = 0; i < minus_plus.size(); ++i) {
    core::Chart chart(kPanel, kPanel, "latent dimension " + std::to_string(i));
    box.frame(chart);
    draw_pose(chart, minus_plus[i].first, edges, kBlue);
    draw_pose(chart, mean, edges, kGrey);
    draw_pose(chart, minus_plus[i].second, edges, kRed);
    chart.legend({{"-2 sd", kBlue}, {"mean", kGrey}, {"+2 sd", kRed}}, core::Corner::kTopLeft);
    panels.push_back(chart.image().clone());
  }
  const fs::path file = dir / "pcs.png";
  core::save_png(file, core::tile(panels, 4));
  return file;
}

fs::path frequencies(const std::map<int, std::vector<Occurrence>>& runs,
                     const fs::path& dir) {
  std::size_t total = 0;
  int top = 0;
  for (const auto& [s, list] : runs) total += list.size(), top = std::max(top, s);
  std::vector<double> share(static_cast<std::size_t>(top + 1), 0.0);
  for (const auto& [s, list] : runs) share[static_cast<std::size_t>(s)] = static_cast<double>(list.size()) / static_cast<double>(total);
  core::Chart chart(2 * kPanel, kPanel, "syllable frequencies");
  chart.x_axis(-0.6, static_cast<double>(share.size()) - 0.4, "syllable (0 = most frequent)", core::TickKind::kInteger);
  chart.y_axis(0, *std::max_element(share.begin(), share.end()) * 1.1, "share of occurrences");
  chart.bars(share, kBlue);
  const fs::path file = dir / "syllable_frequencies.png";
  core::save_png(file, chart.image());
  return file;
}

fs::path dendrogram(const FittedModel& m, const std::map<int, std::vector<Occurrence>>& runs,
                    const fs::path& dir) {
  std::size_t total = 0;
  for (const auto& [s, list] : runs) total += list.size();
  std::vector<int> kept;
  for (const auto& [s, list] : runs) {
    if (static_cast<double>(list.size()) >= 0.01 * static_cast<double>(total)) kept.push_back(s);
  }
  const std::size_t n = kept.size();
  // Average linkage: clusters as lists of leaves, merged at the mean pairwise distance.
  auto distance = [&](int a, int b) { return (m.ordered.ar.Ab[static_cast<std::size_t>(a)] - m.ordered.ar.Ab[static_cast<std::size_t>(b)]).norm(); };
  struct Cluster {
    std::vector<int> leaves;
    double height = 0;
    double x = 0;  // filled when drawing
    int left = -1, right = -1;
  };
  std::vector<Cluster> nodes;
  std::vector<int> active;
  for (std::size_t i = 0; i < n; ++i) {
    nodes.push_back({{kept[i]}, 0, 0, -1, -1});
    active.push_back(static_cast<int>(i));
  }
  while (active.size() > 1) {
    double best = INFINITY;
    std::size_t bi = 0, bj = 1;
    for (std::size_t i = 0; i < active.size(); ++i) {
      for (std::size_t j = i + 1; j < active.size(); ++j) {
        double sum = 0;
        for (int a : nodes[static_cast<std::size_t>(active[i])].leaves) {
          for (int b : nodes[static_cast<std::size_t>(active[j])].leaves) sum += distance(a, b);
        }
        const double d = sum / static_cast<double>(nodes[static_cast<std::size_t>(active[i])].leaves.size() *
                                                   nodes[static_cast<std::size_t>(active[j])].leaves.size());
        if (d < best) best = d, bi = i, bj = j;
      }
    }
    Cluster merged;
    merged.left = active[bi];
    merged.right = active[bj];
    merged.leaves = nodes[static_cast<std::size_t>(merged.left)].leaves;
    for (int leaf : nodes[static_cast<std::size_t>(merged.right)].leaves) merged.leaves.push_back(leaf);
    merged.height = best;
    nodes.push_back(merged);
    active.erase(active.begin() + static_cast<std::ptrdiff_t>(bj));
    active[bi] = static_cast<int>(nodes.size() - 1);
  }
  core::Chart chart(2 * kPanel, kPanel, "syllables by distance between their AR dynamics");
  const double top = nodes.empty() ? 1 : std::max(1e-9, nodes.back().height);
  chart.y_axis(0, top * 1.1, "distance");
  std::vector<std::string> leaves;  // syllable names in tree order, as the x axis
  // Leaves left to right in tree order; each merge is drawn as a bracket at its height.
  if (!nodes.empty()) {
    double next_leaf = 0;
    std::function<void(int)> place = [&](int id) {
      Cluster& c = nodes[static_cast<std::size_t>(id)];
      if (c.left < 0) {
        c.x = next_leaf++;
        leaves.push_back(std::to_string(c.leaves.front()));
        return;
      }
      place(c.left);
      place(c.right);
      const Cluster& l = nodes[static_cast<std::size_t>(c.left)];
      const Cluster& r = nodes[static_cast<std::size_t>(c.right)];
      c.x = 0.5 * (l.x + r.x);
      chart.segment(l.x, l.height, l.x, c.height, kBlue, 1);
      chart.segment(r.x, r.height, r.x, c.height, kBlue, 1);
      chart.segment(l.x, c.height, r.x, c.height, kBlue, 1);
    };
    place(static_cast<int>(nodes.size() - 1));
  }
  chart.x_categories(leaves, "syllable");
  const fs::path file = dir / "syllable_dendrogram.png";
  core::save_png(file, chart.image());
  return file;
}

fs::path trajectories(const FittedModel& m, const KeypointSlds& model,
                      const std::map<int, std::vector<Occurrence>>& runs,
                      int max_syllables, const fs::path& dir) {
  const int K = m.data.keypoints, D = m.data.dims;
  const auto edges = skeleton_edges(m.config);
  constexpr int kBefore = 3, kAfter = 9, kMaxInstances = 50;
  struct Panel {
    std::string title;
    std::vector<Eigen::MatrixXd> poses;  // onset - 3 frames to onset + 9, every 3rd
  };
  std::vector<Panel> shown_panels;
  Box box;
  for (const auto& [syllable, list] : runs) {
    if (syllable >= max_syllables) break;
    std::vector<Eigen::MatrixXd> mean(kBefore + kAfter + 1, Eigen::MatrixXd::Zero(K, D));
    std::vector<int> count(kBefore + kAfter + 1, 0);
    int used = 0;
    for (const Occurrence& o : list) {
      if (used++ >= kMaxInstances) break;
      const RecordingResults& rec = m.recordings[o.recording];
      const std::int64_t onset = o.onset;
      const Eigen::MatrixXd aligned = model.aligned_keypoints(rec.latent);
      const double h0 = rec.heading[static_cast<Eigen::Index>(onset)];
      const Eigen::RowVectorXd v0 = rec.centroid.row(static_cast<Eigen::Index>(onset));
      for (int dt = -kBefore; dt <= kAfter; ++dt) {
        const std::int64_t t = onset + dt;
        if (t < 0 || t >= aligned.rows()) continue;
        // World keypoints at t, seen from the animal's frame at onset.
        const double h = rec.heading[t], c = std::cos(h), s = std::sin(h), c0 = std::cos(-h0), s0 = std::sin(-h0);
        for (int k = 0; k < K; ++k) {
          const double wx = c * aligned(t, k * D) - s * aligned(t, k * D + 1) + rec.centroid(t, 0) - v0[0];
          const double wy = s * aligned(t, k * D) + c * aligned(t, k * D + 1) + rec.centroid(t, 1) - v0[1];
          mean[static_cast<std::size_t>(dt + kBefore)](k, 0) += c0 * wx - s0 * wy;
          mean[static_cast<std::size_t>(dt + kBefore)](k, 1) += s0 * wx + c0 * wy;
        }
        ++count[static_cast<std::size_t>(dt + kBefore)];
      }
    }
    std::vector<Eigen::MatrixXd> shown;
    for (std::size_t i = 0; i < mean.size(); i += 3) {
      if (count[i] > 0) shown.push_back(mean[i] / count[i]);
    }
    if (shown.empty()) continue;
    for (const auto& pose : shown) box.add(pose);
    shown_panels.push_back({"syllable " + std::to_string(syllable) + " (" + std::to_string(list.size()) + "x)", shown});
  }
  std::vector<cv::Mat> panels;
  for (const auto& [title, shown] : shown_panels) {
    core::Chart chart(kPanel, kPanel, title);
    box.frame(chart);
    for (std::size_t i = 0; i < shown.size(); ++i) {
      const double fade = 0.15 + 0.85 * static_cast<double>(i) / std::max<std::size_t>(1, shown.size() - 1);
      const cv::Scalar colour = kBlue * fade + cv::Scalar(235, 235, 235) * (1 - fade);
      draw_pose(chart, shown[i], edges, colour);
    }
    panels.push_back(chart.image().clone());
  }
  const fs::path file = dir / "trajectories.png";
  if (!panels.empty()) core::save_png(file, core::tile(panels, 4));
  return file;
}

std::vector<fs::path> qa(const FittedModel& m, const fs::path& dir) {
  std::vector<fs::path> files;
  fs::create_directories(dir / "QA");
  for (const auto& r : m.data.recordings) {
    std::vector<double> missing, outliers;
    for (std::size_t k = 0; k < r.missing_per_keypoint.size(); ++k) {
      missing.push_back(static_cast<double>(r.missing_per_keypoint[k]) / static_cast<double>(r.frames));
      outliers.push_back(static_cast<double>(r.outliers_per_keypoint[k]) / static_cast<double>(r.frames));
    }
    const double top = std::max({0.01, *std::max_element(missing.begin(), missing.end()),
                                 *std::max_element(outliers.begin(), outliers.end())});
    std::vector<std::string> names = m.config.use_bodyparts;
    if (names.size() != missing.size()) {  // not expected; indices rather than wrong names
      names.clear();
      for (std::size_t k = 0; k < missing.size(); ++k) names.push_back(std::to_string(k));
    }
    core::Chart chart(2 * kPanel, kPanel, r.name + ": frames missing or flagged per keypoint");
    chart.x_categories(names);
    chart.y_axis(0, top * 1.1, "share of frames");
    chart.bars(missing, kGrey);
    chart.bars(outliers, kRed);
    chart.legend({{"missing", kGrey}, {"outliers", kRed}});
    std::string name = r.name;
    std::replace(name.begin(), name.end(), '/', '_');
    files.push_back(dir / "QA" / (name + ".png"));
    core::save_png(files.back(), chart.image());
  }
  return files;
}


// The files a previous run drew, when it was drawn from the same inputs with the same options
// and all of them are still there.
std::optional<PlotResult> previous_plots(const fs::path& summary, const core::Provenance& provenance) {
  const auto previous = core::previous_run_if_up_to_date(summary, provenance, {});
  if (!previous) return std::nullopt;
  PlotResult result;
  result.skipped = true;
  try {
    for (const auto& name : previous->at("files")) result.files.push_back(summary.parent_path() / name.get<std::string>());
    for (const auto& name : previous->at("recordings_without_video")) result.recordings_without_video.push_back(name);
  } catch (const core::Json::exception&) {
    return std::nullopt;
  }
  for (const auto& file : result.files) {
    if (!fs::exists(file)) return std::nullopt;
  }
  return result;
}

}  // namespace

PlotResult write_plots(const PlotOptions& o) {
  core::Provenance provenance = fitted_model_provenance(o.project);
  provenance.set_parameters({{"videos", o.videos ? core::Json(fs::absolute(*o.videos).string()) : core::Json()},
                             {"max_syllables", o.max_syllables}});
  const fs::path summary = o.project / kPlotsSummary;
  if (!o.force) {
    if (auto previous = previous_plots(summary, provenance)) return *previous;
  }
  const FittedModel m = load_fitted_model(o.project);
  const fs::path dir = o.project / "plots";
  fs::create_directories(dir);
  const ArHmm ar_hmm({m.config.nlags, m.config.S_0_scale, m.config.K_0_scale},
                     {m.config.num_states, m.config.alpha, m.config.gamma, m.config.kappa}, m.state.latent_dim);
  const KeypointSlds model(ar_hmm, m.state.params, {}, m.data.keypoints, m.data.dims);
  const auto runs = syllable_occurrences(m.recordings);
  PlotResult result;
  result.files.push_back(scree(m, dir));
  result.files.push_back(pcs(m, model, dir));
  result.files.push_back(frequencies(runs, dir));
  result.files.push_back(dendrogram(m, runs, dir));
  result.files.push_back(trajectories(m, model, runs, o.max_syllables, dir));
  for (auto& f : qa(m, dir)) result.files.push_back(std::move(f));
  // Grid movies with a videos folder, or when a pose file names its recording's video.
  const bool named = std::any_of(m.data.recordings.begin(), m.data.recordings.end(),
                                 [](const RecordingInfo& r) { return !r.video.empty(); });
  if (o.videos || named) {
    GridMovieOptions movies{o.videos, dir / "grid_movies", o.max_syllables};
    const GridMovieResult made = write_grid_movies(m, model, movies);
    for (const auto& f : made.files) result.files.push_back(f);
    result.recordings_without_video = made.recordings_without_video;
  }
  core::Json files = core::Json::array();
  for (const auto& f : result.files) files.push_back(f.lexically_relative(dir).string());
  core::write_json(summary, {{"files", files},
                             {"recordings_without_video", result.recordings_without_video},
                             {"provenance", provenance.finish()}});
  return result;
}

}  // namespace ethovid::moseq
