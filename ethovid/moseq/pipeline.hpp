#pragma once
// `ethovid moseq fit` and `ethovid moseq run`.
//
// fit_searching_kappa: the kappa search when a target duration is given, then the fit with the
// kappas it found (each probe of the search is a fit of its own, in PROJECT/kappa_search/). The
// kappas config.yml states (trans_hypparams.kappa, and / 100 for the full model) are where the
// search starts; config.yml is not changed, and the kappas used are in checkpoint.h5 and
// moseq_summary.json. When the search's last full-model probe wins and was made with the fit's
// own sweeps (search_full_iters 0), it is the fit: its checkpoint and log move into the project
// instead of the same model being fitted again. PROJECT/fit_summary.json records what the fit
// was asked (the options, config.yml and the pose files' sha256) and what it gave; the same
// request again, with checkpoint.h5 and fit_log.jsonl still there, is up to date (skipped)
// unless `force`.
//
// run_pipeline: the whole chain in one command: setup (unless the project already has a
// config.yml), fit_searching_kappa, the results and the plots (with grid movies when videos are
// given or named by the pose files).
#include <filesystem>
#include <optional>
#include <vector>

#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/kappa_search.hpp"
#include "ethovid/moseq/plots.hpp"
#include "ethovid/moseq/results.hpp"

namespace ethovid::moseq {

inline constexpr const char* kFitSummary = "fit_summary.json";

struct SearchAndFit {
  bool skipped = false;  // up to date: nothing was fitted
  std::optional<KappaSearchResult> search;
  bool fit_is_winning_probe = false;  // the search's last probe won and was this fit: not fitted again
  FitResult fit;
};

// options.project is the project; search_full_iters: full-model sweeps of each probe (0: the
// fit's own, so the final fit repeats the winning probe exactly).
SearchAndFit fit_searching_kappa(const FitOptions& options, std::optional<std::pair<double, double>> target_ms,
                                 int search_full_iters = 0, bool force = false);

struct PipelineOptions {
  std::filesystem::path project;
  std::vector<std::filesystem::path> pose_files;
  std::optional<double> fps;
  std::optional<std::filesystem::path> videos;
  FitOptions fit;                                       // project is filled in
  std::optional<std::pair<double, double>> target_ms;  // search kappa first
  bool force = false;                                  // fit, results and plots again even when up to date
};

struct PipelineResult {
  bool set_up = false;         // a new config.yml was written
  bool fps_defaulted = false;  // ... with the default 30 fps: no rate in --fps, the files or a video
  SearchAndFit fitted;
  ResultsSummary results;  // results.skipped, plots.skipped: up to date
  PlotResult plots;
};

PipelineResult run_pipeline(const PipelineOptions& options);

}  // namespace ethovid::moseq
