#pragma once
// Each command group registers its subcommands on the app and returns the function that runs the
// one the user chose. main() owns error handling and exit codes.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace ethovid::cli {

using Runner = std::function<int()>;

void add_info_command(CLI::App& app, Runner& run);
void add_head_command(CLI::App& app, Runner& run);
void add_facemap_commands(CLI::App& app, Runner& run);
void add_faces_commands(CLI::App& app, Runner& run);
void add_moseq_commands(CLI::App& app, Runner& run);
void add_serve_command(CLI::App& app, Runner& run);
// The focus group (focus_commands.hpp): run (the live loop), report (a log's summary), label and
// serve (focus_model_commands.cpp), train.
void add_focus_run_command(CLI::App& app, Runner& run);
void add_focus_log_commands(CLI::App& app, Runner& run);
void add_focus_model_commands(CLI::App& app, Runner& run);
void add_focus_train_command(CLI::App& app, Runner& run);
void add_ssl_commands(CLI::App& app, Runner& run);

// One line for a command line CLI11 refused. An unknown command or option is named with the
// nearest valid one, e.g. "unknown command 'compte'; did you mean 'compute'?".
std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error);

}  // namespace ethovid::cli
