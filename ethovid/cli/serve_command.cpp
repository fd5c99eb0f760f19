// `ethovid serve`: the HTTP job server (docs/api.md). Runs until SIGINT or SIGTERM; a signal
// stops the server cleanly, cancelling running jobs (whose outputs are then not written).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "ethovid/cli/commands.hpp"
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
  // Signals go to one waiting thread, not to whichever thread they hit: block them before any
  // thread starts (threads inherit the mask), then sigwait for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = std::make_unique<core::JobServer>(o.server);
  server->add_kind("faces_embed", faces::faces_embed_job({o.root, o.model_config}));
  const int port = server->bind();
  std::cout << "ethovid serve: listening on http://" << o.server.host << ":" << port << " (root "
            << std::filesystem::canonical(o.root).string() << "); Ctrl-C stops" << std::endl;
  // The first signal stops the server; destroying it cancels running jobs at their next progress
  // step. A second signal, while that takes long, ends the program at once.
  std::mutex server_mutex;  // guards `server` between the waiter and the end of serve()
  std::atomic<bool> finished{false};
  std::thread waiter([&, signals] {
    int received = 0;
    sigwait(&signals, &received);
    if (finished) return;
    {
      std::lock_guard<std::mutex> lock(server_mutex);
      if (server) {
        std::cout << "ethovid serve: stopping (cancelling running jobs; a second signal exits at once)"
                  << std::endl;
        server->stop();
      }
    }
    sigwait(&signals, &received);
    if (!finished) std::_Exit(128 + received);
  });
  const bool served = server->serve();
  std::unique_ptr<core::JobServer> ending;
  {
    std::lock_guard<std::mutex> lock(server_mutex);
    ending = std::move(server);
  }
  ending.reset();
  finished = true;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter, whichever sigwait it is in
  waiter.join();
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
