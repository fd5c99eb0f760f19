#pragma once
// `ethovid focus report`: the session summary of an event log (focus/session_report.hpp).
#include <CLI/CLI.hpp>

#include "ethovid/cli/commands.hpp"

namespace ethovid::cli {

// Adds `report` to the `focus` group (focus_commands.hpp).
void add_focus_log_commands(CLI::App& app, Runner& run);

}  // namespace ethovid::cli
