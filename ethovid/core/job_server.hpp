#pragma once
// `ethovid serve`: long work as background jobs over HTTP (cpp-httplib), JSON in and out.
//
//   POST   /jobs/{kind}         body: a JSON object for that kind -> 202 {"job_id", ...}
//   GET    /jobs                every job's status
//   GET    /jobs/{id}           one job's status, progress and, once done, its result
//   GET    /jobs/{id}/events    Server-Sent Events: the job's events in order, from the first
//                               (or after Last-Event-ID), ending with its last event
//   DELETE /jobs/{id}           cancels a queued or running job
//
// Statuses: 400 bad JSON or bad request values (ConfigError, FormatError), 403 a path outside
// the server's root (AccessError), 404 an unknown job, kind or input file, 409 cancelling a
// finished job, 503 a full queue or too many open event streams (BusyError), 500 anything else.
// Every error body is {"error": ..., "kind": ...}.
// docs/api.md has the whole contract with curl examples.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "ethovid/core/job_queue.hpp"

namespace ethovid::core {

struct JobServerOptions {
  std::string host = "127.0.0.1";  // loopback only unless asked
  int port = 8765;                 // 0: any free port (bind() says which)
  int workers = 1;                 // jobs run at once; each job already uses every core
  std::size_t queue_capacity = 64; // jobs waiting to run
  int http_threads = 32;           // connections served at once (>= 8); event streams may hold
                                   // all but 4 of them, more get 503
};

// Turns a request body into the work of one job, or throws a typed error (see the statuses
// above) so that a bad request is refused before it is queued.
using JobFactory = std::function<JobWork(const Json& body)>;

class JobServer {
 public:
  explicit JobServer(JobServerOptions options);
  ~JobServer();  // stops serving, cancels running jobs
  JobServer(const JobServer&) = delete;
  JobServer& operator=(const JobServer&) = delete;

  void add_kind(const std::string& kind, JobFactory factory);  // before serve()

  // Binds the listening socket and returns the port. ConfigError when it cannot.
  int bind();
  // Serves until stop(); bind() first. False when listening failed.
  bool serve();
  // Safe from any thread; open event streams end within a second.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `path` (relative to `root`, or absolute) as an absolute path with symlinks resolved, when it
// lies inside `root`; AccessError naming both otherwise.
std::filesystem::path resolve_inside(const std::filesystem::path& root, const std::string& path);

}  // namespace ethovid::core
