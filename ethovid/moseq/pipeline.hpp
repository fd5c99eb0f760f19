#pragma once
// `ethovid moseq run`: the whole chain in one command: setup (unless the project already has a
// config.yml), the kappa search when a target duration is given, the fit, the results and the
// plots (with grid movies when videos are given).
#include <filesystem>
#include <optional>
#include <vector>

#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/kappa_search.hpp"
#include "ethovid/moseq/plots.hpp"
#include "ethovid/moseq/results.hpp"

namespace ethovid::moseq {

struct PipelineOptions {
  std::filesystem::path project;
  std::vector<std::filesystem::path> pose_files;
  std::optional<double> fps;
  std::optional<std::filesystem::path> videos;
  FitOptions fit;                                       // project is filled in
  std::optional<std::pair<double, double>> target_ms;  // search kappa first
};

struct PipelineResult {
  bool set_up = false;  // a new config.yml was written
  std::optional<KappaSearchResult> search;
  FitResult fit;
  ResultsSummary results;
  PlotResult plots;
};

PipelineResult run_pipeline(const PipelineOptions& options);

}  // namespace ethovid::moseq
