#include "ethovid/moseq/pipeline.hpp"

#include "ethovid/moseq/project_config.hpp"

namespace ethovid::moseq {

PipelineResult run_pipeline(const PipelineOptions& o) {
  PipelineResult out;
  if (!std::filesystem::exists(o.project / kConfigFile)) {
    SetupOptions setup;
    setup.project = o.project;
    setup.pose_files = o.pose_files;
    setup.fps = o.fps;
    setup_project(setup);
    out.set_up = true;
  }
  FitOptions fit = o.fit;
  fit.project = o.project;
  if (o.target_ms) {
    KappaSearchOptions search;
    search.project = o.project;
    search.target_low_ms = o.target_ms->first;
    search.target_high_ms = o.target_ms->second;
    search.ar_iters = std::max(1, fit.ar_iters);
    search.full_iters = std::max(1, fit.full_iters);  // so the final fit is the winning probe's
    search.seed = fit.seed;
    search.progress = fit.progress;
    out.search = search_kappa(search);
    fit.kappa = out.search->ar_kappa;
    fit.full_kappa = out.search->full_kappa;
  }
  out.fit = fit_model(fit);
  out.results = extract_results(o.project);
  PlotOptions plots;
  plots.project = o.project;
  plots.videos = o.videos;
  out.plots = write_plots(plots);
  return out;
}

}  // namespace ethovid::moseq
