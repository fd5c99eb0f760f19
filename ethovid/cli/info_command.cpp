// `ethovid info VIDEO`: a video's facts as JSON.
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/video.hpp"

namespace ethovid::cli {

void add_info_command(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("info", "Print a video's facts (frames, fps, size, codec) as JSON");
  auto video = std::make_shared<std::string>();
  cmd->add_option("VIDEO", *video, "Video file, or image sequence as a printf pattern (frames/%05d.png)")
      ->required()
      ->type_name("FILE|PATTERN");
  cmd->callback([&run, video] {
    run = [video] {
      const core::VideoInfo info = core::probe_video(*video);
      core::Json json = {{"source", info.source},
                         // 0 means the container states no count: say so, not a number.
                         {"frame_count", info.frame_count > 0 ? core::Json(info.frame_count)
                                                              : core::Json(nullptr)},
                         {"fps", info.fps},
                         {"width", info.width},
                         {"height", info.height},
                         {"duration_s", info.duration_s()},
                         {"codec", info.codec},
                         {"image_sequence", info.image_sequence}};
      std::cout << json.dump(2) << "\n";
      return 0;
    };
  });
}

}  // namespace ethovid::cli
