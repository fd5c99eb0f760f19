#pragma once
// HTTP helpers for the tests of `ethovid serve`: a JobServer on 127.0.0.1 (any free port) served
// from a background thread, and a small JSON/SSE client over cpp-httplib.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ethovid/core/job_server.hpp"

namespace ethovid::test {

class RunningServer {
 public:
  // `setup` adds the job kinds before the server starts listening.
  RunningServer(core::JobServerOptions options, const std::function<void(core::JobServer&)>& setup);
  ~RunningServer();  // stops the server and waits for it
  int port() const { return port_; }

 private:
  std::unique_ptr<core::JobServer> server_;
  int port_ = 0;
  std::thread thread_;
};

struct HttpReply {
  int status = 0;  // 0 when the request did not get through
  core::Json body;  // null when the body is not JSON
};

HttpReply http_post(int port, const std::string& path, const std::string& body);
HttpReply http_get(int port, const std::string& path);
HttpReply http_delete(int port, const std::string& path);

// The events of a job's SSE stream until the server ends it (each event's JSON data; the SSE
// `id` and `event` fields are checked against it). `last_event_id` resumes after that event.
std::vector<core::Json> read_events(int port, const std::string& job_id,
                                    std::optional<std::size_t> last_event_id = std::nullopt);

// Posts a job and returns its id; fails the test when it is not accepted.
std::string submit_job(int port, const std::string& kind, const core::Json& body);

}  // namespace ethovid::test
