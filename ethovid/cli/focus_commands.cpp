#include "ethovid/cli/focus_commands.hpp"

namespace ethovid::cli {

CLI::App& focus_group(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "focus"; }))
    return *sub;
  CLI::App* focus = app.add_subcommand("focus",
                                       "A private focus monitor: webcam or video in, FOCUSED / "
                                       "DISTRACTED / AWAY states, a local web UI, "
                                       "a Parquet event log, a trained model and its API");
  focus->require_subcommand(1);
  return *focus;
}

}  // namespace ethovid::cli
