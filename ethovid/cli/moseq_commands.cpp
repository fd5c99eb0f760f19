// `ethovid moseq setup|calibrate|fit|results|plots|run`.
#include <algorithm>
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/core/error.hpp"
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

}  // namespace

void add_moseq_commands(CLI::App& app, Runner& run) {
  auto* group = app.add_subcommand("moseq", "Keypoint-MoSeq: pose files in, behavioural syllables out");
  group->require_subcommand(1);

  auto setup = std::make_shared<moseq::SetupOptions>();
  auto fps = std::make_shared<double>(0);
  auto* s = group->add_subcommand("setup", "Create a project: read the pose files and write PROJECT/config.yml");
  s->add_option("PROJECT", setup->project, "Project folder")->required();
  s->add_option("--pose", setup->pose_files,
                "Pose files (SLEAP .slp/.h5, DeepLabCut .h5/.csv, NWB, lightning-pose or deepof CSV)")
      ->required();
  auto* fps_option = s->add_option("--fps", *fps, "Frames per second (default: what the files state, else 30)");
  s->add_flag("--force", setup->force, "Replace an existing config.yml");
  s->callback([&run, setup, fps, fps_option] {
    run = [setup, fps, fps_option] {
      if (fps_option->count() > 0) setup->fps = *fps;
      const auto result = moseq::setup_project(*setup);
      const auto& c = result.config;
      std::cout << "config:      " << result.config_path.string() << " (" << result.recordings << " recordings from "
                << c.pose_files.size() << " files)\n"
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
  c->add_option("PROJECT", *calibrate_project, "Project folder")->required();
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
  f->add_option("PROJECT", fit->project, "Project folder (from `moseq setup`)")->required();
  f->add_option("--ar-iters", fit->ar_iters, "AR-HMM sweeps")->capture_default_str();
  f->add_option("--full-iters", fit->full_iters, "Full-model sweeps after them")->capture_default_str();
  auto* kappa_option = f->add_option("--kappa", *kappa, "Stickiness of the AR-HMM (default: trans_hypparams.kappa)");
  auto* full_kappa_option =
      f->add_option("--full-kappa", *full_kappa, "Stickiness of the full model (default: the AR-HMM's / 100)");
  f->add_option("--checkpoint-every", fit->checkpoint_every, "Sweeps between checkpoints")->capture_default_str();
  f->add_option("--seed", fit->seed, "Random seed (the same seed gives the same fit)")->capture_default_str();
  f->add_flag("--resume", fit->resume, "Continue from checkpoint.h5 up to --ar-iters + --full-iters sweeps");
  auto target = std::make_shared<std::vector<double>>();
  auto search_full_iters = std::make_shared<int>(0);
  auto* target_option = f->add_option("--target-duration-ms", *target,
                                      "Search kappa (AR-HMM, then full model) for a median syllable duration in "
                                      "LO,HI ms first (kappa_search.json; alone: 300,400), then fit with it")
                            ->delimiter(',')
                            ->expected(0, 2);
  target_option->excludes(kappa_option)->excludes(full_kappa_option);
  f->add_option("--search-full-iters", *search_full_iters,
                "Full-model sweeps of each kappa-search probe (default: --full-iters, so the final fit is the "
                "winning probe's own fit, exactly)");
  f->callback([&run, fit, kappa, full_kappa, kappa_option, full_kappa_option, target, target_option, search_full_iters] {
    run = [fit, kappa, full_kappa, kappa_option, full_kappa_option, target, target_option, search_full_iters] {
      if (kappa_option->count() > 0) fit->kappa = *kappa;
      if (full_kappa_option->count() > 0) fit->full_kappa = *full_kappa;
      if (target_option->count() > 0) {
        if (no_values(*target_option)) *target = {300, 400};  // keypoint-moseq's advice: ~400 ms
        if (target->size() != 2) throw ConfigError("--target-duration-ms takes LO,HI in ms, e.g. 300,400");
        moseq::KappaSearchOptions search;
        search.project = fit->project;
        search.target_low_ms = (*target)[0];
        search.target_high_ms = (*target)[1];
        search.ar_iters = std::max(1, fit->ar_iters);
        search.full_iters = *search_full_iters > 0 ? *search_full_iters : std::max(1, fit->full_iters);
        search.seed = fit->seed;
        const auto found = moseq::search_kappa(search);
        for (const auto& p : found.probes) {
          std::cout << "kappa search: " << p.phase << " kappa " << p.kappa << " -> median " << p.median_ms << " ms\n";
        }
        std::cout << "kappa: AR-HMM " << found.ar_kappa << (found.ar_in_target ? "" : " (target not reached)")
                  << ", full model " << found.full_kappa << (found.full_in_target ? "" : " (target not reached)") << "\n";
        fit->kappa = found.ar_kappa;
        fit->full_kappa = found.full_kappa;
      }
      const auto result = moseq::fit_model(*fit);
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
  r->add_option("PROJECT", *results_project, "Project folder")->required();
  r->callback([&run, results_project] {
    run = [results_project] {
      const auto out = moseq::extract_results(*results_project);
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
  p->add_option("PROJECT", plots->project, "Project folder")->required();
  auto* videos_option = p->add_option("--videos", *videos, "Folder with the recordings' videos");
  p->callback([&run, plots, videos, videos_option] {
    run = [plots, videos, videos_option] {
      if (videos_option->count() > 0) plots->videos = *videos;
      const auto out = moseq::write_plots(*plots);
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
  w->add_option("--pose", pipeline->pose_files, "Pose files")->required();
  w->add_option("-o,--output", pipeline->project, "Project folder (its config.yml is kept when it exists)")->required();
  auto* run_fps_option = w->add_option("--fps", *run_fps, "Frames per second (default: what the files state, else 30)");
  auto* run_videos_option = w->add_option("--videos", *run_videos, "Folder with the recordings' videos (grid movies)");
  w->add_option("--ar-iters", pipeline->fit.ar_iters, "AR-HMM sweeps")->capture_default_str();
  w->add_option("--full-iters", pipeline->fit.full_iters, "Full-model sweeps")->capture_default_str();
  auto* run_kappa_option = w->add_option("--kappa", *run_kappa, "Stickiness of the AR-HMM (full model: / 100)");
  auto* run_target_option = w->add_option("--target-duration-ms", *run_target,
                                          "Search kappa for a median syllable duration in LO,HI ms first "
                                          "(alone: 300,400)")
                                ->delimiter(',')
                                ->expected(0, 2);
  run_target_option->excludes(run_kappa_option);
  w->add_option("--seed", pipeline->fit.seed, "Random seed")->capture_default_str();
  w->callback([&run, pipeline, run_fps, run_videos, run_kappa, run_target, run_fps_option, run_videos_option,
               run_kappa_option, run_target_option] {
    run = [pipeline, run_fps, run_videos, run_kappa, run_target, run_fps_option, run_videos_option, run_kappa_option,
           run_target_option] {
      if (run_fps_option->count() > 0) pipeline->fps = *run_fps;
      if (run_videos_option->count() > 0) pipeline->videos = *run_videos;
      if (run_kappa_option->count() > 0) pipeline->fit.kappa = *run_kappa;
      if (run_target_option->count() > 0) {
        if (no_values(*run_target_option)) *run_target = {300, 400};
        if (run_target->size() != 2) throw ConfigError("--target-duration-ms takes LO,HI in ms, e.g. 300,400");
        pipeline->target_ms = std::make_pair((*run_target)[0], (*run_target)[1]);
      }
      const auto out = moseq::run_pipeline(*pipeline);
      if (out.search) {
        std::cout << "kappa: AR-HMM " << out.search->ar_kappa << (out.search->ar_in_target ? "" : " (target not reached)")
                  << ", full model " << out.search->full_kappa
                  << (out.search->full_in_target ? "" : " (target not reached)") << "\n";
      }
      std::cout << out.fit.iterations << " sweeps; median syllable duration " << out.fit.median_duration_frames
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
