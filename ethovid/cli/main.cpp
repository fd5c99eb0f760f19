// ethovid: one program, one subcommand per stage. Parses flags, calls exactly one library entry
// point, maps errors to exit codes: 0 ok, 2 bad input, 3 computation failed, 4 refused or
// cancelled, 130/143 interrupted by SIGINT/SIGTERM (core/interrupt.hpp).
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/cli/help_format.hpp"
#include "ethovid/core/build_info.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/interrupt.hpp"

int main(int argc, char** argv) {
  ethovid::core::install_interrupt_handlers();
  CLI::App app{"ethovid: video of faces and bodies in, time-aligned analysis-ready data out"};
  ethovid::cli::use_help_formatter(app);  // first: the subcommands take it when they are made
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Print more detail when something fails");
  app.set_version_flag("--version", std::string("ethovid ") + ethovid::kVersion + " (" +
                                        ethovid::kGitCommit + ")");
  ethovid::cli::Runner run;
  ethovid::cli::add_info_command(app, run);
  ethovid::cli::add_head_command(app, run);
  ethovid::cli::add_facemap_commands(app, run);
  ethovid::cli::add_faces_commands(app, run);
  ethovid::cli::add_moseq_commands(app, run);
  ethovid::cli::add_serve_command(app, run);
  ethovid::cli::add_focus_run_command(app, run);
  ethovid::cli::add_focus_log_commands(app, run);
  ethovid::cli::add_focus_model_commands(app, run);
  ethovid::cli::add_focus_train_command(app, run);
  ethovid::cli::add_ssl_commands(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "ethovid: " << ethovid::cli::explain_parse_error(app, e) << "\n";
    return 2;
  }
  try {
    return run();
  } catch (const ethovid::Error& e) {
    std::cerr << "ethovid: " << e.kind() << ": " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    // Not one of our typed errors: something inside a library failed.
    std::cerr << "ethovid: computation failed: " << e.what() << "\n";
    if (verbose) std::cerr << "(unexpected " << typeid(e).name() << ")\n";
    return 3;
  }
}
