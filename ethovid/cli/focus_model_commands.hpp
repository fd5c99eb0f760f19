#pragma once
// `ethovid focus serve` (the trained model over HTTP, focus/model_server.hpp) and `ethovid focus
// label` (human or weak labels joined onto the event log, focus/labels.hpp).
#include "ethovid/cli/commands.hpp"

namespace ethovid::cli {

void add_focus_model_commands(CLI::App& app, Runner& run);

}  // namespace ethovid::cli
