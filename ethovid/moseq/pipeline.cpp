#include "ethovid/moseq/pipeline.hpp"

#include "ethovid/moseq/project_config.hpp"

namespace ethovid::moseq {

SearchAndFit fit_searching_kappa(const FitOptions& options, std::optional<std::pair<double, double>> target_ms,
                                 int search_full_iters) {
  SearchAndFit out;
  FitOptions fit = options;
  if (target_ms) {
    KappaSearchOptions search;
    search.project = fit.project;
    search.target_low_ms = target_ms->first;
    search.target_high_ms = target_ms->second;
    search.ar_iters = std::max(1, fit.ar_iters);
    search.full_iters = search_full_iters > 0 ? search_full_iters : std::max(1, fit.full_iters);
    search.seed = fit.seed;
    search.strict = fit.strict;
    search.progress = fit.progress;
    out.search = search_kappa(search);
    fit.kappa = out.search->ar_kappa;
    fit.full_kappa = out.search->full_kappa;
  }
  out.fit = fit_model(fit);
  return out;
}

PipelineResult run_pipeline(const PipelineOptions& o) {
  PipelineResult out;
  if (!std::filesystem::exists(o.project / kConfigFile)) {
    SetupOptions setup;
    setup.project = o.project;
    setup.pose_files = o.pose_files;
    setup.fps = o.fps;
    out.fps_defaulted = setup_project(setup).fps_defaulted;
    out.set_up = true;
  }
  FitOptions fit = o.fit;
  fit.project = o.project;
  out.fitted = fit_searching_kappa(fit, o.target_ms);
  out.results = extract_results(o.project);
  PlotOptions plots;
  plots.project = o.project;
  plots.videos = o.videos;
  out.plots = write_plots(plots);
  return out;
}

}  // namespace ethovid::moseq
