#include "ethovid/moseq/pipeline.hpp"

#include "ethovid/core/provenance.hpp"
#include "ethovid/moseq/project_config.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

// What a fit depends on: config.yml, the pose files and every option that changes the model.
core::Provenance fit_request(const FitOptions& o, const std::optional<std::pair<double, double>>& target_ms,
                             int search_full_iters) {
  core::Provenance provenance = project_provenance(o.project);
  auto optional = [](const std::optional<double>& v) { return v ? core::Json(*v) : core::Json(); };
  provenance.set_parameters({{"ar_iters", o.ar_iters}, {"full_iters", o.full_iters}, {"ar_chains", o.ar_chains}, {"kappa", optional(o.kappa)},
                             {"full_kappa", optional(o.full_kappa)},
                             {"target_ms", target_ms ? core::Json{target_ms->first, target_ms->second} : core::Json()},
                             {"search_full_iters", search_full_iters}, {"seed", o.seed}, {"strict", o.strict}});
  return provenance;
}

core::Json to_json(const SearchAndFit& out) {
  core::Json j = {{"iterations", out.fit.iterations}, {"log_likelihood", out.fit.log_likelihood},
                  {"median_duration_frames", out.fit.median_duration_frames}, {"ar_kappa", out.fit.ar_kappa},
                  {"full_kappa", out.fit.full_kappa}, {"recordings_left_out", left_out_json(out.fit.left_out)}};
  if (!out.fit.chains.empty()) {
    core::Json chains = core::Json::array();
    for (const auto& c : out.fit.chains) {
      chains.push_back({{"chain", c.chain}, {"seed", c.seed}, {"log_likelihood", c.log_likelihood},
                        {"syllables_used", c.syllables_used}, {"kept", c.chain == out.fit.best_chain}});
    }
    j["ar_chains"] = chains;
  }
  if (out.search) {
    j["search"] = {{"ar_kappa", out.search->ar_kappa}, {"full_kappa", out.search->full_kappa},
                   {"ar_in_target", out.search->ar_in_target}, {"full_in_target", out.search->full_in_target}};
  }
  return j;
}

SearchAndFit from_json(const core::Json& j, const fs::path& project) {
  SearchAndFit out;
  out.skipped = true;
  out.fit.iterations = j.at("iterations").get<int>();
  out.fit.log_likelihood = j.at("log_likelihood").get<double>();
  out.fit.median_duration_frames = j.at("median_duration_frames").get<double>();
  out.fit.ar_kappa = j.at("ar_kappa").get<double>();
  out.fit.full_kappa = j.at("full_kappa").get<double>();
  out.fit.checkpoint = project / kCheckpointFile;
  out.fit.log = project / kFitLog;
  out.fit.left_out = left_out_from_json(j.at("recordings_left_out"));
  for (const auto& c : j.value("ar_chains", core::Json::array())) {
    out.fit.chains.push_back({c.at("chain").get<int>(), c.at("seed").get<std::uint64_t>(),
                              c.at("log_likelihood").get<double>(), c.at("syllables_used").get<int>()});
    if (c.at("kept").get<bool>()) out.fit.best_chain = c.at("chain").get<int>();
  }
  if (j.contains("search")) {
    const auto& s = j["search"];
    out.search = KappaSearchResult{};
    out.search->ar_kappa = s.at("ar_kappa").get<double>();
    out.search->full_kappa = s.at("full_kappa").get<double>();
    out.search->ar_in_target = s.at("ar_in_target").get<bool>();
    out.search->full_in_target = s.at("full_in_target").get<bool>();
    out.search->state_file = project / kKappaSearchFile;
  }
  return out;
}

// The search's last full-model probe is the final fit when it won and was made with the final
// fit's sweeps (and, by construction, its seed, chains and config): its checkpoint and log move
// into the project instead of fitting the same model again.
std::optional<FitResult> winning_probe_fit(const KappaSearchResult& search, const KappaSearchOptions& searched,
                                           const FitOptions& fit) {
  const auto& last = search.last_full_probe;
  if (!last || fit.resume || last->ar_kappa != search.ar_kappa || last->full_kappa != search.full_kappa ||
      searched.ar_iters != fit.ar_iters || searched.full_iters != fit.full_iters) {
    return std::nullopt;
  }
  FitResult adopted = *last;
  adopted.checkpoint = fit.project / kCheckpointFile;
  adopted.log = fit.project / kFitLog;
  fs::rename(last->checkpoint, adopted.checkpoint);
  fs::rename(last->log, adopted.log);
  return adopted;
}

}  // namespace

SearchAndFit fit_searching_kappa(const FitOptions& options, std::optional<std::pair<double, double>> target_ms,
                                 int search_full_iters, bool force) {
  const core::Provenance request = fit_request(options, target_ms, search_full_iters);
  const fs::path summary = options.project / kFitSummary;
  if (!force) {
    const auto previous = core::previous_run_if_up_to_date(
        summary, request, {options.project / kCheckpointFile, options.project / kFitLog});
    if (previous && previous->contains("fit")) {
      try {
        return from_json((*previous)["fit"], options.project);
      } catch (const core::Json::exception&) {
        // another shape: fit again
      }
    }
  }
  // Gone before the fit starts, so a fit that stops midway leaves no record claiming it is done.
  fs::remove(summary);
  SearchAndFit out;
  FitOptions fit = options;
  if (target_ms) {
    KappaSearchOptions search;
    search.project = fit.project;
    search.target_low_ms = target_ms->first;
    search.target_high_ms = target_ms->second;
    search.ar_iters = std::max(1, fit.ar_iters);
    search.full_iters = search_full_iters > 0 ? search_full_iters : std::max(1, fit.full_iters);
    search.ar_chains = fit.ar_chains;
    search.seed = fit.seed;
    search.strict = fit.strict;
    search.progress = fit.progress;
    out.search = search_kappa(search);
    fit.kappa = out.search->ar_kappa;
    fit.full_kappa = out.search->full_kappa;
    if (auto adopted = winning_probe_fit(*out.search, search, fit)) {
      out.fit = std::move(*adopted);
      out.fit_is_winning_probe = true;
    }
  }
  if (!out.fit_is_winning_probe) out.fit = fit_model(fit);
  core::write_json(summary, {{"fit", to_json(out)}, {"provenance", request.finish()}});
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
  out.fitted = fit_searching_kappa(fit, o.target_ms, 0, o.force);
  out.results = extract_results(o.project, o.force);
  PlotOptions plots;
  plots.project = o.project;
  plots.videos = o.videos;
  plots.force = o.force;
  out.plots = write_plots(plots);
  return out;
}

}  // namespace ethovid::moseq
