#include "ethovid/core/job_server.hpp"

#include <map>
#include <thread>

#include "ethovid/core/error.hpp"
#include "ethovid/core/http_server.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

namespace {

constexpr auto kEventWait = std::chrono::milliseconds(1000);  // also how soon stop() ends a stream

// Text from files and error messages may hold bytes that are not UTF-8: replace them rather than
// fail the answer.
std::string to_text(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(to_text(body) + "\n", "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
  reply(res, status, {{"error", message}, {"kind", kind}});
}

// The HTTP status of a typed error raised while reading a request.
int status_of(const Error& e) {
  if (dynamic_cast<const AccessError*>(&e)) return 403;
  if (dynamic_cast<const MissingInputError*>(&e)) return 404;
  if (dynamic_cast<const BusyError*>(&e)) return 503;
  return e.exit_code() == 2 ? 400 : 500;
}

// One Server-Sent Event: its number as the id, its kind as the event name, the JSON as data.
std::string sse_frame(const Json& event) {
  return "id: " + std::to_string(event["seq"].get<std::size_t>()) + "\nevent: " +
         event["event"].get<std::string>() + "\ndata: " + to_text(event) + "\n\n";
}

}  // namespace

struct JobServer::Impl {
  JobServerOptions options;
  JobQueue queue;
  HttpServer http;
  std::map<std::string, JobFactory> kinds;
  std::atomic<bool> stopping{false};  // ends the open event streams
  // Each open event stream holds an HTTP thread for as long as its job lasts; a few threads stay
  // free for POST, GET and DELETE whatever the streams do.
  std::atomic<int> open_streams{0};
  int max_streams;

  explicit Impl(JobServerOptions o)
      : options(std::move(o)), queue(options.workers, options.queue_capacity) {
    if (options.http_threads < 8) {
      throw ConfigError("the job server needs at least 8 HTTP threads, not " + std::to_string(options.http_threads));
    }
    const int threads = options.http_threads;
    max_streams = threads - 4;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    http.set_keep_alive_timeout(1);  // idle connections must not hold up stop()
    routes();
  }

  void routes() {
    http.Post(R"(/jobs/([A-Za-z0-9_]+))", [this](const httplib::Request& req, httplib::Response& res) {
      submit(req.matches[1], req.body, res);
    });
    http.Get("/jobs", [this](const httplib::Request&, httplib::Response& res) {
      reply(res, 200, {{"jobs", queue.list()}});
    });
    http.Get(R"(/jobs/([0-9a-f]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (auto status = queue.status(req.matches[1])) return reply(res, 200, *status);
      reply_error(res, 404, "UnknownJob", "no job " + std::string(req.matches[1]));
    });
    http.Get(R"(/jobs/([0-9a-f]+)/events)", [this](const httplib::Request& req, httplib::Response& res) {
      stream_events(req.matches[1], req, res);
    });
    http.Delete(R"(/jobs/([0-9a-f]+))", [this](const httplib::Request& req, httplib::Response& res) {
      cancel(req.matches[1], res);
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const Error& e) {
        reply_error(res, status_of(e), e.kind(), e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, "ComputationError", e.what());
      }
    });
    // A path no route serves, or a method a path does not take, gets a JSON body too.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      reply_error(res, res.status, "NotFound", req.method + " " + req.path + " is not part of this API");
    });
  }

  void submit(const std::string& kind, const std::string& body, httplib::Response& res) {
    const auto factory = kinds.find(kind);
    if (factory == kinds.end()) {
      return reply_error(res, 404, "UnknownJobKind", "no job kind '" + kind + "'");
    }
    Json request;
    try {
      request = Json::parse(body);
    } catch (const Json::parse_error& e) {
      return reply_error(res, 400, "BadJson", "the request body is not JSON: " + std::string(e.what()));
    }
    if (!request.is_object()) {
      return reply_error(res, 400, "BadJson", "the request body must be a JSON object, not " +
                                                  std::string(request.type_name()));
    }
    JobWork work = factory->second(request);  // a typed error here becomes its status
    const std::string id = queue.submit(kind, request, std::move(work));
    reply(res, 202, {{"job_id", id}, {"status_url", "/jobs/" + id}, {"events_url", "/jobs/" + id + "/events"}});
  }

  void stream_events(const std::string& id, const httplib::Request& req, httplib::Response& res) {
    if (!queue.status(id)) return reply_error(res, 404, "UnknownJob", "no job " + id);
    auto next = std::make_shared<std::size_t>(0);
    if (req.has_header("Last-Event-ID")) {
      try {
        *next = std::stoull(req.get_header_value("Last-Event-ID")) + 1;
      } catch (const std::exception&) {
        return reply_error(res, 400, "BadRequest", "Last-Event-ID must be an event number");
      }
    }
    if (++open_streams > max_streams) {
      --open_streams;
      return reply_error(res, 503, "BusyError", std::to_string(max_streams) +
                                                    " event streams are open already; poll GET /jobs/" + id + " instead");
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, id, next](std::size_t, httplib::DataSink& sink) {
          // httplib calls this outside its own exception handling: nothing may escape.
          try {
            return send_events(id, *next, sink);
          } catch (...) {
            return false;
          }
        },
        [this](bool) { --open_streams; });
  }

  // One round of an event stream: the events after `next` (waiting up to a second for one), or a
  // comment line. False ends the stream at once (server stopping, job gone, client gone).
  bool send_events(const std::string& id, std::size_t& next, httplib::DataSink& sink) {
    if (stopping) return false;
    const auto batch = queue.events_since(id, next, kEventWait);
    if (!batch) return false;
    std::string frames;
    for (const auto& event : batch->events) frames += sse_frame(event);
    next += batch->events.size();
    if (frames.empty()) frames = ": waiting\n\n";  // a comment: finds closed connections
    if (!sink.write(frames.data(), frames.size())) return false;
    if (batch->ended) sink.done();
    return true;
  }

  void cancel(const std::string& id, httplib::Response& res) {
    switch (queue.cancel(id)) {
      case CancelOutcome::kUnknownJob:
        return reply_error(res, 404, "UnknownJob", "no job " + id);
      case CancelOutcome::kAlreadyOver:
        return reply_error(res, 409, "JobOver", "job " + id + " is already " +
                                                    queue.status(id)->at("state").get<std::string>());
      case CancelOutcome::kCancelled:
        return reply(res, 200, {{"job_id", id}, {"state", "cancelled"}});
      case CancelOutcome::kCancelling:
        return reply(res, 202, {{"job_id", id}, {"state", "cancelling"}});
    }
  }
};

JobServer::JobServer(JobServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

JobServer::~JobServer() { stop(); }

void JobServer::add_kind(const std::string& kind, JobFactory factory) {
  impl_->kinds[kind] = std::move(factory);
}

int JobServer::bind() {
  return impl_->http.bind_listener(impl_->options.host, impl_->options.port, "the job server");
}

bool JobServer::serve() { return impl_->http.listen_until_stopped(); }

void JobServer::stop() {
  impl_->stopping = true;
  impl_->http.stop_listening();
}

fs::path resolve_inside(const fs::path& root, const std::string& path) {
  try {
    const fs::path base = fs::weakly_canonical(root);
    // `..` goes first, on the text: weakly_canonical resolves symlinks only up to the first part
    // that does not exist and treats a `..` after it as text, so "nope/../link" would keep a
    // symlink unresolved. What is returned is what was checked; callers open that path.
    const fs::path joined = (fs::path(path).is_absolute() ? fs::path(path) : base / path).lexically_normal();
    const fs::path full = fs::weakly_canonical(joined);
    const auto [end, _] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
    if (end != base.end()) {
      throw AccessError("'" + path + "' resolves to " + full.string() + ", outside the server root " +
                        base.string());
    }
    return full;
  } catch (const fs::filesystem_error& e) {
    throw AccessError("'" + path + "' cannot be resolved under " + root.string() + ": " + e.code().message());
  }
}

}  // namespace ethovid::core
