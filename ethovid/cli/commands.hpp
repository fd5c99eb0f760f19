#pragma once
// Each command group registers its subcommands on the app and returns the function that runs the
// one the user chose. main() owns error handling and exit codes.
#include <functional>

#include <CLI/CLI.hpp>

namespace ethovid::cli {

using Runner = std::function<int()>;

void add_info_command(CLI::App& app, Runner& run);
void add_head_command(CLI::App& app, Runner& run);
void add_facemap_commands(CLI::App& app, Runner& run);
void add_faces_commands(CLI::App& app, Runner& run);
void add_moseq_commands(CLI::App& app, Runner& run);
void add_serve_command(CLI::App& app, Runner& run);

}  // namespace ethovid::cli
