// `ethovid moseq setup` (the rest of the moseq commands land with the model fit).
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/moseq/project_config.hpp"

namespace ethovid::cli {

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
}

}  // namespace ethovid::cli
