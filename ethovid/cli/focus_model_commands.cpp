// `ethovid focus serve` and `ethovid focus label`.
#include "ethovid/cli/commands.hpp"


#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>

#include "ethovid/cli/focus_commands.hpp"
#include "ethovid/cli/signal_waiter.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/focus/focus_model.hpp"
#include "ethovid/focus/labels.hpp"
#include "ethovid/focus/model_server.hpp"

namespace ethovid::cli {

namespace {

struct ServeOptions {
  std::filesystem::path model;
  focus::ModelServerOptions server;
};

int serve_model(const ServeOptions& o) {
  SignalWaiter::block_signals();  // before any thread starts: threads inherit the mask
  focus::FocusModel model = focus::FocusModel::load(o.model);
  focus::ModelServerOptions options = o.server;
  options.model_path = std::filesystem::absolute(o.model).string();
  options.model_sha256 = core::sha256_file(o.model);
  const std::size_t features = model.features.size(), classes = model.classes.size();
  auto server = std::make_unique<focus::ModelServer>(std::move(model), options);
  const int port = server->bind();
  if (options.host != "127.0.0.1" && options.host != "localhost" && options.host != "::1") {
    // The API has no token: on another address anyone who reaches the port can query the model.
    std::cerr << "ethovid focus serve: warning: listening on " << options.host
              << ", not loopback; every host that reaches this port can use the model" << std::endl;
  }
  std::cout << "ethovid focus serve: listening on http://" << options.host << ":" << port << " (model "
            << o.model.string() << ", " << features << " features, " << classes << " classes, " << options.threads
            << " threads); Ctrl-C stops" << std::endl;
  std::mutex server_mutex;  // guards `server` between the waiter and the end of serve()
  bool served = false;
  {
    SignalWaiter waiter([&] {
      std::lock_guard<std::mutex> lock(server_mutex);
      if (!server) return;
      std::cout << "ethovid focus serve: stopping" << std::endl;
      server->stop();
    });
    served = server->serve();
    std::lock_guard<std::mutex> lock(server_mutex);
    server.reset();
  }
  if (!served) throw ConfigError("listening on " + options.host + ":" + std::to_string(port) + " failed");
  std::cout << "ethovid focus serve: stopped" << std::endl;
  return 0;
}

int label(const focus::LabelOptions& o) {
  const focus::LabelResult r = focus::label_events(o);
  std::cout << "labelled: " << r.out.string() << " (" << r.labelled << " of " << r.rows << " rows labelled, "
            << r.source << ")\n";
  for (const auto& [state, rows] : r.per_label) std::cout << "  " << state << ": " << rows << " rows\n";
  if (!r.sessions_not_in_log.empty()) {
    std::cerr << "warning: " << r.sessions_not_in_log.size() << " session(s) of the labels are not in the log:";
    for (const auto& s : r.sessions_not_in_log) std::cerr << " " << s;
    std::cerr << "\n";
  }
  if (r.labelled == 0) {
    std::cerr << "warning: no row of the log is labelled (do the labels' session_id and times match the log's "
                 "session_id and video_time_s?)\n";
  }
  return 0;
}

}  // namespace

void add_focus_model_commands(CLI::App& app, Runner& run) {
  CLI::App& group = focus_group(app);

  auto serve = std::make_shared<ServeOptions>();
  auto* s = group.add_subcommand("serve", "Serve a trained focus model over HTTP: POST /predict, /predict/batch; "
                                          "GET /health, /config, /latency (docs/focus.md)");
  s->add_option("--model", serve->model, "Model JSON written by `focus train`")->required()->type_name("FILE");
  s->add_option("--host", serve->server.host, "Address to listen on (loopback by default)")
      ->capture_default_str()
      ->type_name("HOST");
  s->add_option("--port", serve->server.port, "Port (0: any free port, printed)")->capture_default_str();
  s->add_option("--threads", serve->server.threads,
                "Connections served at once (each open keep-alive connection holds one)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  s->add_option("--max-body-bytes", serve->server.max_body_bytes, "Larger request bodies get 413")
      ->capture_default_str();
  s->add_option("--max-batch-rows", serve->server.max_batch_rows, "Larger /predict/batch requests get 413")
      ->capture_default_str();
  s->add_option("--latency-window", serve->server.latency_window, "Requests GET /latency summarises")
      ->capture_default_str();
  s->callback([&run, serve] {
    run = [serve] { return serve_model(*serve); };
  });

  auto labels = std::make_shared<focus::LabelOptions>();
  auto labels_csv = std::make_shared<std::filesystem::path>();
  auto* l = group.add_subcommand("label", "Join labels onto the event log: human labels from a CSV "
                                          "(session_id,start_s,end_s,label) or, with --weak, the logged states");
  l->add_option("EVENTS_DIR", labels->events_dir, "The event log folder (`focus run --events`)")
      ->required()
      ->type_name("DIR");
  auto* csv = l->add_option("--labels", *labels_csv,
                            "CSV of session_id,start_s,end_s,label (seconds on the log's video_time_s; "
                            "FOCUSED/DISTRACTED/AWAY)")
                  ->type_name("FILE");
  auto weak_given = std::make_shared<bool>(false);
  auto* weak = l->add_flag("--weak", *weak_given,
                           "Use the logged smoothed states as weak labels (label_source weak_rules)");
  csv->excludes(weak);
  l->add_option("-o,--out", labels->out, "The labelled Parquet file to write")->required()->type_name("FILE");
  l->callback([&run, labels, labels_csv, csv, weak] {
    if (csv->count() == 0 && weak->count() == 0) {
      throw CLI::ValidationError("focus label", "give --labels FILE, or --weak to use the logged states");
    }
    if (csv->count()) labels->labels_csv = *labels_csv;
    run = [labels] { return label(*labels); };
  });
}

}  // namespace ethovid::cli
