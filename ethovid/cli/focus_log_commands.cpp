// `ethovid focus report EVENTS_DIR [--session-id ID] --out DIR`: prints the session summary and
// writes focus_report.json and focus_timeline.png.
#include "ethovid/cli/commands.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "ethovid/cli/focus_commands.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/focus/session_report.hpp"

namespace ethovid::cli {

void add_focus_log_commands(CLI::App& app, Runner& run) {
  CLI::App& focus = focus_group(app);
  auto* cmd = focus.add_subcommand(
      "report",
      "Summarise an event log: time per state, distractions, PERCLOS, interventions "
      "(focus_report.json and focus_timeline.png)");
  struct Args {
    std::string events;
    std::string session_id;
    std::string out;
    double max_gap_s = 2.0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("EVENTS_DIR", args->events,
                  "The event log folder (date=YYYY-MM-DD/part-*.parquet)")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--session-id", args->session_id, "Only this session (default: every session)")
      ->type_name("ID");
  cmd->add_option("--out", args->out, "Folder for focus_report.json and focus_timeline.png")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--max-gap-s", args->max_gap_s,
                  "The most one log row counts for, seconds (a gap in the log is not credited "
                  "to one state)")
      ->capture_default_str();
  cmd->callback([&run, args] {
    run = [args] {
      focus::ReportOptions options;
      if (!args->session_id.empty()) options.session_id = args->session_id;
      options.max_gap_s = args->max_gap_s;
      std::vector<focus::SessionReport> sessions;
      focus::write_session_report(args->events, args->out, options, &sessions);
      std::cout << focus::report_text(sessions);
      const std::filesystem::path out(args->out);
      std::cout << "wrote " << (out / "focus_report.json").string() << " and "
                << (out / "focus_timeline.png").string() << "\n";
      return 0;
    };
  });
}

}  // namespace ethovid::cli
