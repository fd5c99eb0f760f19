#pragma once
// The `focus` command group is filled by several files, one per kind of work: focus_run_command.cpp
// (run), focus_log_commands.cpp (report), focus_model_commands.cpp (label, train, serve). Each
// registers its subcommands on the one group this returns.
#include <CLI/CLI.hpp>

namespace ethovid::cli {

// The app's `focus` subcommand, made on the first call.
CLI::App& focus_group(CLI::App& app);

}  // namespace ethovid::cli
