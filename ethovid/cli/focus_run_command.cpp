// `ethovid focus run`: a camera or a file through the focus loop, with the control server on
// loopback unless --no-server. SIGINT or SIGTERM ends the loop after a last flush of the log
// (exit 0), so Ctrl-C on a live session loses nothing.

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>

#include "ethovid/cli/commands.hpp"
#include "ethovid/cli/focus_commands.hpp"
#include "ethovid/cli/signal_waiter.hpp"
#include "ethovid/focus/control_server.hpp"
#include "ethovid/focus/focus_session.hpp"
#include "ethovid/focus/session_hub.hpp"

namespace ethovid::cli {

namespace {

struct RunFlags {
  focus::SessionOptions session;
  std::filesystem::path config;
  focus::ControlServerOptions server;
  bool no_server = false;
  int camera = 0;
  std::string policy;
};

int focus_run(RunFlags& flags, const std::function<void(focus::SessionOptions&)>& apply_flags) {
  focus::SessionOptions options;
  if (!flags.config.empty()) focus::apply_focus_config(flags.config, options);
  apply_flags(options);

  std::atomic<bool> stop{false};
  // The first signal asks the loop to stop after a last flush; a second, while that takes long (a
  // source that blocks), exits at once.
  SignalWaiter waiter([&] {
    stop = true;
    std::cerr << "focus run: stopping after a last flush (a second signal exits at once)"
              << std::endl;
  });

  focus::SessionHub hub;
  std::unique_ptr<focus::ControlServer> server;
  focus::SessionResult result;
  try {
    if (!flags.no_server) {
      server = std::make_unique<focus::ControlServer>(hub, flags.server);
      server->bind();
      server->start();
      std::cout << "focus run: control server on " << server->ui_url() << std::endl;
    }
    result = focus::run_focus_session(options, flags.no_server ? nullptr : &hub, &stop);
  } catch (...) {
    hub.close();
    if (server) server->stop();
    throw;
  }
  hub.close();
  if (server) server->stop();
  const focus::SessionCounters& c = result.counters;
  std::printf(
      "focus run: session %s, %lld frames in %.1f s (%.0f frames/s, %lld dropped), %lld rows "
      "logged to %s\n",
      result.session_id.c_str(), static_cast<long long>(result.frames_processed), result.seconds,
      result.seconds > 0 ? result.frames_processed / result.seconds : 0.0,
      static_cast<long long>(result.frames_dropped), static_cast<long long>(result.rows_logged),
      options.events_dir.string().c_str());
  std::printf(
      "focus run: focused %.1f s, distracted %.1f s (%d times), away %.1f s, longest focused %.1f "
      "s\n",
      c.focused_s, c.distracted_s, c.distractions, c.away_s, c.longest_focused_s);
  return 0;
}

}  // namespace

void add_focus_run_command(CLI::App& app, Runner& run) {
  auto flags = std::make_shared<RunFlags>();
  auto* s = focus_group(app).add_subcommand("run",
                                            "Watch a camera or a video: FOCUSED / DISTRACTED / "
                                            "AWAY per frame, the Parquet event log, and the local "
                                            "web UI at http://127.0.0.1:8001/ui");
  focus::SessionOptions& o = flags->session;
  auto* camera =
      s->add_option("--camera", flags->camera, "V4L2 camera index (/dev/videoN)")->type_name("N");
  auto* video = s->add_option("--video", o.source.video,
                              "Video file, image sequence pattern (frames/%05d.png) or GIF")
                    ->type_name("FILE");
  camera->excludes(video);
  auto* realtime = s->add_flag("--realtime", o.source.realtime,
                               "Pace a file like a camera (frames it is late for are dropped)");
  auto* fps = s->add_option("--fps", o.source.fps,
                            "Frame rate of a file that states none (image sequences)");
  auto* events = s->add_option("--events", o.events_dir, "Event log folder (default data/events)")
                     ->type_name("DIR");
  auto* session_id =
      s->add_option("--session-id", o.session_id, "Session id (default: session-<UTC start time>)")
          ->type_name("ID");
  s->add_option("--config", flags->config, "app.yaml; flags given here override it")
      ->type_name("FILE");
  auto* policy = s->add_option("--policy", flags->policy, "rules, calibrated (default) or model")
                     ->type_name("POLICY");
  auto* model = s->add_option("--model", o.policy.model, "Trained model JSON for --policy model")
                    ->type_name("FILE");
  auto* interventions = s->add_option("--interventions", o.interventions,
                                      "interventions.yaml (default: built-in rules)")
                            ->type_name("FILE");
  auto* models = s->add_option("--models", o.model_config,
                               "Face model config YAML (default: the bundled models)")
                     ->type_name("FILE");
  auto* flush = s->add_option("--flush-s", o.flush_s,
                              "Seconds between log flushes (each a new Parquet part)");
  auto* log_hz = s->add_option("--log-hz", o.log_hz, "Rows per second of the log (0: every frame)");
  s->add_option("--host", flags->server.host,
                "Control server address (loopback by default; others need --token)")
      ->capture_default_str()
      ->type_name("HOST");
  s->add_option("--port", flags->server.port, "Control server port (0: any free port, printed)")
      ->capture_default_str();
  s->add_option("--token", flags->server.token,
                "Token every request must carry (?token= or Authorization: Bearer)")
      ->type_name("TOKEN");
  s->add_flag("--no-server", flags->no_server, "No control server (batch analysis of recordings)");
  auto* window = s->add_flag("--window", o.window,
                             "Show the overlay in a window (q quits, c turns the camera off/on)");
  s->callback([&run, flags, camera, video, realtime, fps, events, session_id, policy, model,
               interventions, models, flush, log_hz, window] {
    run = [=] {
      // Flags given on the command line win over app.yaml.
      const focus::SessionOptions& f = flags->session;
      const std::string policy_name = flags->policy;
      return focus_run(*flags, [=](focus::SessionOptions& o) {
        if (*camera) o.source.camera = flags->camera, o.source.video.clear();
        if (*video) o.source.video = f.source.video, o.source.camera.reset();
        if (*realtime) o.source.realtime = f.source.realtime;
        if (*fps) o.source.fps = f.source.fps;
        if (*events) o.events_dir = f.events_dir;
        if (*session_id) o.session_id = f.session_id;
        if (*policy) o.policy.kind = focus::parse_policy_kind(policy_name);
        if (*model) o.policy.model = f.policy.model;
        if (*interventions) o.interventions = f.interventions;
        if (*models) o.model_config = f.model_config;
        if (*flush) o.flush_s = f.flush_s;
        if (*log_hz) o.log_hz = f.log_hz;
        if (*window) o.window = f.window;
        if (*model && !*policy) o.policy.kind = focus::PolicyKind::Model;
      });
    };
  });
}

}  // namespace ethovid::cli
