// `ethovid serve`: the HTTP job server (docs/api.md). Runs until SIGINT or SIGTERM; a signal
// stops the server cleanly, cancelling running jobs (whose outputs are then not written).

#include <iostream>
#include <memory>
#include <mutex>

#include "ethovid/cli/commands.hpp"
#include "ethovid/cli/signal_waiter.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/job_server.hpp"
#include "ethovid/faces/embed_job.hpp"

namespace ethovid::cli {

namespace {

struct ServeOptions {
  core::JobServerOptions server;
  std::filesystem::path root = ".";
  std::filesystem::path model_config;
};

int serve(const ServeOptions& o) {
  SignalWaiter::block_signals();  // before any thread starts: threads inherit the mask
  auto server = std::make_unique<core::JobServer>(o.server);
  server->add_kind("faces_embed", faces::faces_embed_job({o.root, o.model_config}));
  const int port = server->bind();
  std::cout << "ethovid serve: listening on http://" << o.server.host << ":" << port << " (root "
            << std::filesystem::canonical(o.root).string() << "); Ctrl-C stops" << std::endl;
  // The first signal stops the server; destroying it cancels running jobs at their next progress
  // step. A second signal, while that takes long, ends the program at once.
  std::mutex server_mutex;  // guards `server` between the waiter and the end of serve()
  bool served = false;
  {
    SignalWaiter waiter([&] {
      std::lock_guard<std::mutex> lock(server_mutex);
      if (!server) return;
      std::cout << "ethovid serve: stopping (cancelling running jobs; a second signal exits at once)"
                << std::endl;
      server->stop();
    });
    served = server->serve();
    std::unique_ptr<core::JobServer> ending;
    {
      std::lock_guard<std::mutex> lock(server_mutex);
      ending = std::move(server);
    }
    ending.reset();  // cancels running jobs; the waiter still answers a second signal meanwhile
  }
  if (!served) throw ConfigError("listening on " + o.server.host + ":" + std::to_string(port) + " failed");
  std::cout << "ethovid serve: stopped" << std::endl;
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Runner& run) {
  auto options = std::make_shared<ServeOptions>();
  auto* s = app.add_subcommand("serve", "Run jobs over HTTP: POST /jobs/faces_embed, follow them "
                                        "as Server-Sent Events (docs/api.md)");
  s->add_option("--host", options->server.host, "Address to listen on (loopback by default)")
      ->capture_default_str()
      ->type_name("HOST");
  s->add_option("--port", options->server.port, "Port (0: any free port)")->capture_default_str();
  s->add_option("--root", options->root, "Folder every requested path must lie in")
      ->capture_default_str()
      ->type_name("DIR");
  s->add_option("--workers", options->server.workers, "Jobs run at once")->capture_default_str();
  s->add_option("--queue", options->server.queue_capacity, "Jobs that may wait")->capture_default_str();
  s->add_option("--models", options->model_config, "Model config YAML (default: the bundled models)")->type_name("FILE");
  s->callback([&run, options] {
    run = [options] { return serve(*options); };
  });
}

}  // namespace ethovid::cli
