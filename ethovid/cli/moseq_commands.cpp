// `ethovid moseq setup|calibrate|fit|results|plots|run`.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/interrupt.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/kappa_search.hpp"
#include "ethovid/moseq/noise_calibration.hpp"
#include "ethovid/moseq/pipeline.hpp"
#include "ethovid/moseq/plots.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "ethovid/moseq/results.hpp"

namespace ethovid::cli {

namespace {

// An option given alone (CLI11 records one empty result then).
bool no_values(const CLI::Option& option) {
  const auto& results = option.results();
  return std::all_of(results.begin(), results.end(), [](const std::string& r) { return r.empty(); });
}

// A fit's checkpoints outlive an interrupt: say how to go on from them.
constexpr const char* kInterruptedFit =
    "ethovid: interrupted; checkpoint.h5 is kept as it was: when this fit had written one (after its AR-HMM "
    "chains), `ethovid moseq fit PROJECT --resume` continues from it";

constexpr const char* kArChainsHelp =
    "AR-HMM chains of a new fit, each from its own seed; the one with the highest log p(x) goes on "
    "(1: keypoint-moseq's single chain)";

// The target a --target-duration-ms option gives, if it was given.
std::optional<std::pair<double, double>> target_of(const CLI::Option& option, std::vector<double>& values) {
  if (option.count() == 0) return std::nullopt;
  if (no_values(option)) values = {300, 400};  // keypoint-moseq's advice: ~400 ms
  if (values.size() != 2) throw ConfigError("--target-duration-ms takes LO,HI in ms, e.g. 300,400");
  return std::make_pair(values[0], values[1]);
}

// Names, the first ten of them.
std::string recording_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 10; ++i) out += (i > 0 ? ", " : "") + names[i];
  if (names.size() > 10) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

void warn_default_fps() {
  std::cerr << "ethovid: warning: the pose files and their videos state no frame rate; using 30 fps "
               "(give --fps, or set fps in config.yml before fitting)\n";
}

// What fit and run say of the search and the fit: the probes, the kappas used and where they
// came from, and every recording left out.
void print_search_and_fit(const moseq::SearchAndFit& out, const moseq::FitOptions& asked,
                          const std::filesystem::path& project, bool probes) {
  for (const auto& r : out.fit.left_out) {
    std::cerr << "ethovid: warning: left out recording " << r.name << " (" << r.source.string() << "): " << r.reason
              << "\n";
  }
  if (out.search) {
    if (probes) {
      for (const auto& p : out.search->probes) {
        std::cout << "kappa search: " << p.phase << " kappa " << p.kappa << " -> median " << p.median_ms << " ms\n";
      }
    }
    std::cout << "kappa (found by the search; config.yml is unchanged): AR-HMM " << out.search->ar_kappa
              << (out.search->ar_in_target ? "" : " (target not reached)") << ", full model " << out.search->full_kappa
              << (out.search->full_in_target ? "" : " (target not reached)") << "\n";
    if (out.fit_is_winning_probe) std::cout << "fit: the search's winning probe, moved in (not fitted twice)\n";
  } else if (asked.kappa || asked.full_kappa) {
    std::cout << "kappa (from the command line): AR-HMM " << out.fit.ar_kappa << ", full model " << out.fit.full_kappa << "\n";
  } else {
    std::cout << "kappa (config.yml trans_hypparams.kappa; full model / 100): AR-HMM " << out.fit.ar_kappa
              << ", full model " << out.fit.full_kappa << "\n";
  }
  // keypoint-moseq's advice is a median near 400 ms; kappa is what sets it, and the config's
  // kappa fits few datasets (on generated 300 ms syllables it merges six into two or three).
  const double median_ms = 1000 * out.fit.median_duration_frames / moseq::load_moseq_config(project).fps;
  if (!out.search && (median_ms < 250 || median_ms > 600)) {
    std::cerr << "ethovid: warning: the median syllable lasts " << std::lround(median_ms)
              << " ms, far from the ~400 ms keypoint-moseq advises; search kappa with --target-duration-ms 300,400\n";
  }
  if (out.fit.chains.size() > 1) {
    const auto& kept = out.fit.chains[static_cast<std::size_t>(out.fit.best_chain)];
    std::string others;
    for (const auto& c : out.fit.chains) {
      if (c.chain != kept.chain) others += (others.empty() ? "" : ", ") + std::to_string(std::lround(c.log_likelihood));
    }
    std::cout << "AR-HMM: kept chain " << kept.chain << " of " << out.fit.chains.size() << ": log p(x) "
              << std::lround(kept.log_likelihood) << ", " << kept.syllables_used << " syllables (the others: " << others
              << ")\n";
  }
}

}  // namespace

void add_moseq_commands(CLI::App& app, Runner& run) {
  auto* group = app.add_subcommand("moseq", "Keypoint-MoSeq: pose files in, behavioural syllables out");
  group->require_subcommand(1);

  auto setup = std::make_shared<moseq::SetupOptions>();
  auto fps = std::make_shared<double>(0);
  auto* s = group->add_subcommand("setup", "Create a project: read the pose files and write PROJECT/config.yml");
  s->add_option("PROJECT", setup->project, "Project folder")->required()->type_name("DIR");
  s->add_option("--pose", setup->pose_files,
                "Pose files (SLEAP .slp/.h5, DeepLabCut .h5/.csv, NWB, lightning-pose or deepof CSV)")
      ->required()
      ->type_name("FILE");
  auto* fps_option = s->add_option("--fps", *fps, "Frames per second (default: what the files state, else 30)");
  s->add_flag("--force", setup->force, "Replace an existing config.yml");
  s->callback([&run, setup, fps, fps_option] {
    run = [setup, fps, fps_option] {
      if (fps_option->count() > 0) setup->fps = *fps;
      const auto result = moseq::setup_project(*setup);
      if (result.up_to_date) {
        std::cout << "up to date: " << result.config_path.string() << " (set up from these pose files; --force replaces it)\n";
        return 0;
      }
      const auto& c = result.config;
      if (result.fps_defaulted) warn_default_fps();
      std::cout << "config:      " << result.config_path.string() << " (" << result.recordings << " recordings from "
                << c.pose_files.size() << " files)\n"
                << "recordings:  " << recording_list(result.recording_names) << "\n"
                << "bodyparts:   " << c.bodyparts.size() << "\n"
                << "anterior:    ";
      for (const auto& b : c.anterior_bodyparts) std::cout << b << " ";
      std::cout << "\nposterior:   ";
      for (const auto& b : c.posterior_bodyparts) std::cout << b << " ";
      std::cout << "\nfps:         " << c.fps << " (" << result.fps_source << ")\n"
                << "Check use_bodyparts, anterior_bodyparts and posterior_bodyparts in config.yml before fitting.\n";
      return 0;
    };
  });

  auto calibrate_project = std::make_shared<std::filesystem::path>();
  auto* c = group->add_subcommand("calibrate", "Fit the error estimator (keypoint error vs confidence) from still "
                                               "frames and write it into config.yml");
  c->add_option("PROJECT", *calibrate_project, "Project folder")->required()->type_name("DIR");
  c->callback([&run, calibrate_project] {
    run = [calibrate_project] {
      const auto out = moseq::calibrate_project(*calibrate_project);
      std::cout << "error_estimator: slope " << out.calibration.slope << ", intercept " << out.calibration.intercept
                << " (" << out.calibration.points << " keypoints in " << out.calibration.bins.size() << " bins)\n"
                << "config: " << out.config_path.string() << "\nreport: " << out.report_path.string() << "\n";
      return 0;
    };
  });

  auto fit = std::make_shared<moseq::FitOptions>();
  auto kappa = std::make_shared<double>(0), full_kappa = std::make_shared<double>(0);
  auto* f = group->add_subcommand("fit", "Fit the AR-HMM, then the full keypoint SLDS (checkpoint.h5, fit_log.jsonl)");
  f->add_option("PROJECT", fit->project, "Project folder (from `moseq setup`)")->required()->type_name("DIR");
  f->add_option("--ar-iters", fit->ar_iters, "AR-HMM sweeps")->capture_default_str();
  f->add_option("--full-iters", fit->full_iters, "Full-model sweeps after them")->capture_default_str();
  f->add_option("--ar-chains", fit->ar_chains, kArChainsHelp)->capture_default_str();
  auto* kappa_option =
      f->add_option("--kappa", *kappa, "Stickiness of the AR-HMM (default: config.yml's trans_hypparams.kappa)");
  auto* full_kappa_option =
      f->add_option("--full-kappa", *full_kappa, "Stickiness of the full model (default: the AR-HMM's / 100)");
  f->add_flag("--strict", fit->strict,
              "Stop at a recording that cannot carry the model (too few frames, a bodypart never seen) "
              "instead of leaving it out with a warning");
  f->add_option("--checkpoint-every", fit->checkpoint_every, "Sweeps between checkpoints")->capture_default_str();
  f->add_option("--seed", fit->seed, "Random seed (the same seed gives the same fit)")->capture_default_str();
  f->add_flag("--resume", fit->resume, "Continue from checkpoint.h5 up to --ar-iters + --full-iters sweeps");
  auto fit_force = std::make_shared<bool>(false);
  f->add_flag("--force", *fit_force, "Fit again even when the fit is up to date (fit_summary.json)");
  auto target = std::make_shared<std::vector<double>>();
  auto search_full_iters = std::make_shared<int>(0);
  auto* target_option = f->add_option("--target-duration-ms", *target,
                                      "Search kappa (AR-HMM, then full model) for a median syllable duration in "
                                      "LO,HI ms first (kappa_search.json; alone: 300,400), then fit with it")
                            ->delimiter(',')
                            ->expected(0, 2)
                            ->type_name("[LO,HI]");
  target_option->excludes(kappa_option)->excludes(full_kappa_option);
  f->add_option("--search-full-iters", *search_full_iters,
                "Full-model sweeps of each kappa-search probe (default: --full-iters, so the final fit is the "
                "winning probe's own fit, exactly)");
  f->callback([&run, fit, kappa, full_kappa, kappa_option, full_kappa_option, target, target_option, search_full_iters,
               fit_force] {
    run = [fit, kappa, full_kappa, kappa_option, full_kappa_option, target, target_option, search_full_iters, fit_force] {
      if (kappa_option->count() > 0) fit->kappa = *kappa;
      if (full_kappa_option->count() > 0) fit->full_kappa = *full_kappa;
      core::set_interrupt_message(kInterruptedFit);
      const auto out = moseq::fit_searching_kappa(*fit, target_of(*target_option, *target), *search_full_iters, *fit_force);
      print_search_and_fit(out, *fit, fit->project, true);
      const auto& result = out.fit;
      if (out.skipped) std::cout << "up to date: " << result.checkpoint.string() << " (use --force to fit again)\n";
      std::cout << (result.resumed ? "resumed; " : "") << result.iterations << " sweeps\n"
                << "checkpoint: " << result.checkpoint.string() << "\n"
                << "log:        " << result.log.string() << "\n"
                << "median syllable duration: " << result.median_duration_frames << " frames\n";
      return 0;
    };
  });

  auto results_project = std::make_shared<std::filesystem::path>();
  auto* r = group->add_subcommand("results", "Write results.h5, results.parquet, syllable_stats.csv and "
                                             "moseq_summary.json from the fitted model");
  r->add_option("PROJECT", *results_project, "Project folder")->required()->type_name("DIR");
  auto results_force = std::make_shared<bool>(false);
  r->add_flag("--force", *results_force, "Write them again even when they are up to date");
  r->callback([&run, results_project, results_force] {
    run = [results_project, results_force] {
      const auto out = moseq::extract_results(*results_project, *results_force);
      if (out.skipped) std::cout << "up to date: " << out.summary_path.string() << " (use --force to write again)\n";
      std::cout << "results:  " << out.h5.string() << "\n          " << out.parquet.string() << "\n"
                << "stats:    " << out.stats.string() << " (" << out.summary["syllables_used"] << " syllables)\n"
                << "summary:  " << out.summary_path.string() << "\n";
      return 0;
    };
  });

  auto plots = std::make_shared<moseq::PlotOptions>();
  auto videos = std::make_shared<std::filesystem::path>();
  auto* p = group->add_subcommand("plots", "Draw scree, PCs, syllable frequencies, dendrogram, trajectories and QA "
                                           "plots (PROJECT/plots/); grid movies with --videos");
  p->add_option("PROJECT", plots->project, "Project folder")->required()->type_name("DIR");
  auto* videos_option = p->add_option("--videos", *videos, "Folder with the recordings' videos")->type_name("DIR");
  p->add_flag("--force", plots->force, "Draw them again even when they are up to date");
  p->callback([&run, plots, videos, videos_option] {
    run = [plots, videos, videos_option] {
      if (videos_option->count() > 0) plots->videos = *videos;
      const auto out = moseq::write_plots(*plots);
      if (out.skipped) std::cout << "up to date: " << (plots->project / moseq::kPlotsSummary).string() << " (use --force to draw again)\n";
      for (const auto& file : out.files) std::cout << "plot: " << file.string() << "\n";
      for (const auto& name : out.recordings_without_video) std::cout << "no video found for " << name << "\n";
      return 0;
    };
  });

  auto pipeline = std::make_shared<moseq::PipelineOptions>();
  auto run_fps = std::make_shared<double>(0);
  auto run_videos = std::make_shared<std::filesystem::path>();
  auto run_kappa = std::make_shared<double>(0);
  auto run_target = std::make_shared<std::vector<double>>();
  auto* w = group->add_subcommand("run", "The whole chain: setup, [kappa search,] fit, results and plots");
  w->add_option("--pose", pipeline->pose_files, "Pose files")->required()->type_name("FILE");
  w->add_option("-o,--output", pipeline->project, "Project folder (its config.yml is kept when it exists)")
      ->required()
      ->type_name("DIR");
  auto* run_fps_option = w->add_option("--fps", *run_fps, "Frames per second (default: what the files state, else 30)");
  auto* run_videos_option = w->add_option("--videos", *run_videos, "Folder with the recordings' videos (grid movies)")->type_name("DIR");
  w->add_option("--ar-iters", pipeline->fit.ar_iters, "AR-HMM sweeps")->capture_default_str();
  w->add_option("--full-iters", pipeline->fit.full_iters, "Full-model sweeps")->capture_default_str();
  w->add_option("--ar-chains", pipeline->fit.ar_chains, kArChainsHelp)->capture_default_str();
  auto run_full_kappa = std::make_shared<double>(0);
  auto* run_kappa_option =
      w->add_option("--kappa", *run_kappa, "Stickiness of the AR-HMM (default: config.yml's trans_hypparams.kappa)");
  auto* run_full_kappa_option =
      w->add_option("--full-kappa", *run_full_kappa, "Stickiness of the full model (default: the AR-HMM's / 100)");
  auto* run_target_option = w->add_option("--target-duration-ms", *run_target,
                                          "Search kappa for a median syllable duration in LO,HI ms first "
                                          "(alone: 300,400)")
                                ->delimiter(',')
                                ->expected(0, 2)
                                ->type_name("[LO,HI]");
  run_target_option->excludes(run_kappa_option)->excludes(run_full_kappa_option);
  w->add_option("--seed", pipeline->fit.seed, "Random seed")->capture_default_str();
  w->add_flag("--strict", pipeline->fit.strict,
              "Stop at a recording that cannot carry the model instead of leaving it out with a warning");
  w->add_flag("--force", pipeline->force,
              "Fit, write the results and draw the plots again even when they are up to date (config.yml is kept)");
  w->callback([&run, pipeline, run_fps, run_videos, run_kappa, run_full_kappa, run_target, run_fps_option,
               run_videos_option, run_kappa_option, run_full_kappa_option, run_target_option] {
    run = [pipeline, run_fps, run_videos, run_kappa, run_full_kappa, run_target, run_fps_option, run_videos_option,
           run_kappa_option, run_full_kappa_option, run_target_option] {
      if (run_fps_option->count() > 0) pipeline->fps = *run_fps;
      if (run_videos_option->count() > 0) pipeline->videos = *run_videos;
      if (run_kappa_option->count() > 0) pipeline->fit.kappa = *run_kappa;
      if (run_full_kappa_option->count() > 0) pipeline->fit.full_kappa = *run_full_kappa;
      pipeline->target_ms = target_of(*run_target_option, *run_target);
      core::set_interrupt_message(kInterruptedFit);
      const auto out = moseq::run_pipeline(*pipeline);
      if (out.fps_defaulted) warn_default_fps();
      print_search_and_fit(out.fitted, pipeline->fit, pipeline->project, false);
      const auto& fitted = out.fitted.fit;
      if (out.fitted.skipped && out.results.skipped && out.plots.skipped) {
        std::cout << "up to date: " << pipeline->project.string() << " (use --force to fit again)\n";
      }
      std::cout << fitted.iterations << " sweeps; median syllable duration " << fitted.median_duration_frames
                << " frames\n"
                << "results: " << out.results.h5.string() << ", " << out.results.parquet.string() << "\n"
                << "stats:   " << out.results.stats.string() << "\n"
                << "summary: " << out.results.summary_path.string() << "\n"
                << "plots:   " << out.plots.files.size() << " files in " << (pipeline->project / "plots").string() << "\n";
      for (const auto& name : out.plots.recordings_without_video) std::cout << "no video found for " << name << "\n";
      return 0;
    };
  });
}

}  // namespace ethovid::cli
