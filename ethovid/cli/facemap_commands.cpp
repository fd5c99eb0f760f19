// `ethovid facemap compute` and `ethovid facemap import`.
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/facemap/facemap.hpp"

namespace ethovid::cli {

namespace {

void add_alignment_options(CLI::App* cmd, facemap::AlignmentOptions& alignment,
                           std::shared_ptr<std::string> timestamps) {
  cmd->add_option("--timestamps", *timestamps,
                  "Sync folder holding timestamps_<camera>.csv (frame_index,timestamp in s); "
                  "without it time = frame_index / fps")
      ->type_name("DIR");
  cmd->add_option("--camera", alignment.camera_id,
                  "Camera id: which timestamps_<camera>.csv to use (needed when there are several)")
      ->type_name("ID");
  cmd->add_option("--max-frame-mismatch", alignment.max_frame_mismatch,
                  "Frames by which video and timestamps may differ at the tail (then trimmed)")
      ->capture_default_str();
}

int report(const facemap::StageResult& result) {
  if (result.skipped) {
    std::cout << "up to date: " << result.table_path.string() << " (use --force to recompute)\n";
    return 0;
  }
  const auto& stats = result.summary["statistics"];
  std::cout << "table:   " << result.table_path.string() << " (" << result.rows << " rows, "
            << stats["metrics"].size() << " metrics, coverage "
            << stats["coverage_ratio"].get<double>() << ")\n"
            << "summary: " << result.summary_path.string() << "\n"
            << "qc plot: " << result.qc_plot_path.string() << "\n";
  for (const auto& warning : result.summary["warnings"]) {
    std::cout << "warning: " << warning.get<std::string>() << "\n";
  }
  return 0;
}

}  // namespace

void add_facemap_commands(CLI::App& app, Runner& run) {
  auto* group = app.add_subcommand("facemap", "Facial motion metrics: motion energy, motion/movie "
                                              "SVD, pupil area, blinks, on the session clock");
  group->require_subcommand(1);

  auto compute = std::make_shared<facemap::ComputeOptions>();
  auto compute_ts = std::make_shared<std::string>();
  auto motion_rois = std::make_shared<std::vector<std::string>>();
  auto pupil_roi = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  auto* c = group->add_subcommand("compute", "Compute metrics from a face video");
  c->add_option("VIDEO", compute->video, "Video file, or image sequence as a printf pattern")
      ->required()
      ->type_name("FILE|PATTERN");
  c->add_option("-o,--output", compute->output_dir, "Output folder")->required()->type_name("DIR");
  add_alignment_options(c, compute->alignment, compute_ts);
  c->add_option("--motion-roi", *motion_rois,
                "Motion ROI X,Y,W,H in pixels; repeat for more (the first feeds the unprefixed "
                "columns, others roi1_, roi2_, ...). Default: the whole frame")
      ->take_all()
      ->type_name("X,Y,W,H");
  c->add_option("--pupil-roi", *pupil_roi, "Pupil ROI X,Y,W,H in pixels (adds pupil and blink columns)")
      ->type_name("X,Y,W,H");
  c->add_option("--sbin", compute->sbin, "Spatial binning for the SVDs (1-16)")->capture_default_str();
  c->add_option("--svd-components", compute->svd_components, "Components per SVD")->capture_default_str();
  c->add_flag("!--no-motion-svd", compute->motion_svd, "Skip the motion SVD");
  c->add_flag("!--no-movie-svd", compute->movie_svd, "Skip the movie SVD");
  c->add_option("--fps", compute->fps, "Frame rate to use instead of the video's (e.g. image sequences)");
  c->add_option("--session-id", compute->session_id, "Session id for the summary (default: video name)")->type_name("ID");
  c->add_option("--config", *config, "YAML config (motion_rois, pupil_roi, sbin, svd_components, ...); "
                                     "flags given here override it")
      ->type_name("FILE");
  c->add_flag("--force", compute->force, "Recompute even when the outputs are up to date");
  c->callback([&run, compute, compute_ts, motion_rois, pupil_roi, config, c] {
    run = [compute, compute_ts, motion_rois, pupil_roi, config, c] {
      facemap::ComputeOptions options;
      if (!config->empty()) facemap::apply_config_file(*config, options);
      // Flags the user actually gave win over the config file.
      options.video = compute->video;
      options.output_dir = compute->output_dir;
      options.force = compute->force;
      auto given = [&](const char* name) { return c->count(name) > 0; };
      if (given("--sbin")) options.sbin = compute->sbin;
      if (given("--svd-components")) options.svd_components = compute->svd_components;
      if (given("--no-motion-svd")) options.motion_svd = false;
      if (given("--no-movie-svd")) options.movie_svd = false;
      if (given("--fps")) options.fps = compute->fps;
      if (given("--session-id")) options.session_id = compute->session_id;
      if (given("--camera")) options.alignment.camera_id = compute->alignment.camera_id;
      if (given("--max-frame-mismatch")) options.alignment.max_frame_mismatch = compute->alignment.max_frame_mismatch;
      if (!compute_ts->empty()) options.alignment.timestamps_dir = *compute_ts;
      if (!motion_rois->empty()) {
        options.motion_rois.clear();
        for (const auto& text : *motion_rois) options.motion_rois.push_back(facemap::parse_roi(text, "--motion-roi"));
      }
      if (!pupil_roi->empty()) options.pupil_roi = facemap::parse_roi(*pupil_roi, "--pupil-roi");
      return report(facemap::compute(options));
    };
  });

  auto import = std::make_shared<facemap::ImportOptions>();
  auto import_ts = std::make_shared<std::string>();
  auto* i = group->add_subcommand("import", "Import Facemap's *_proc.npy or *_proc.mat output");
  i->add_option("FILE", import->proc_file, "Facemap output (*_proc.npy or *_proc.mat)")->required()->type_name("FILE");
  i->add_option("-o,--output", import->output_dir, "Output folder")->required()->type_name("DIR");
  add_alignment_options(i, import->alignment, import_ts);
  i->add_option("--fps", import->fps, "Frame rate when no --timestamps are given");
  i->add_option("--session-id", import->session_id, "Session id for the summary (default: file name)")->type_name("ID");
  i->add_flag("--force", import->force, "Re-import even when the outputs are up to date");
  i->callback([&run, import, import_ts] {
    run = [import, import_ts] {
      facemap::ImportOptions options = *import;
      if (!import_ts->empty()) options.alignment.timestamps_dir = *import_ts;
      return report(facemap::import_metrics(options));
    };
  });
}

}  // namespace ethovid::cli
