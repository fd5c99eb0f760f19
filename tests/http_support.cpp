#include "http_support.hpp"

#include <httplib.h>

#include <gtest/gtest.h>

namespace ethovid::test {

RunningServer::RunningServer(core::JobServerOptions options,
                             const std::function<void(core::JobServer&)>& setup) {
  options.host = "127.0.0.1";
  options.port = 0;
  server_ = std::make_unique<core::JobServer>(options);
  setup(*server_);
  port_ = server_->bind();
  thread_ = std::thread([this] { server_->serve(); });
}

RunningServer::~RunningServer() {
  server_->stop();
  thread_.join();
}

namespace {

HttpReply to_reply(const httplib::Result& result, const std::string& what) {
  HttpReply reply;
  if (!result) {
    ADD_FAILURE() << what << " failed: " << httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  reply.body = core::Json::parse(result->body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(120));
  return c;
}

}  // namespace

HttpReply http_post(int port, const std::string& path, const std::string& body) {
  return to_reply(client(port).Post(path, body, "application/json"), "POST " + path);
}

HttpReply http_get(int port, const std::string& path) { return to_reply(client(port).Get(path), "GET " + path); }

HttpReply http_delete(int port, const std::string& path) { return to_reply(client(port).Delete(path), "DELETE " + path); }

std::vector<core::Json> read_events(int port, const std::string& job_id,
                                    std::optional<std::size_t> last_event_id) {
  httplib::Headers headers;
  if (last_event_id) headers.emplace("Last-Event-ID", std::to_string(*last_event_id));
  std::string stream;
  auto result = client(port).Get("/jobs/" + job_id + "/events", headers,
                                 [&](const char* data, std::size_t size) {
                                   stream.append(data, size);
                                   return true;
                                 });
  EXPECT_TRUE(result) << "the event stream of " << job_id << " failed";
  if (!result) return {};
  EXPECT_EQ(result->status, 200);
  EXPECT_NE(result->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  std::vector<core::Json> events;
  std::size_t start = 0;
  for (std::size_t end; (end = stream.find("\n\n", start)) != std::string::npos; start = end + 2) {
    const std::string frame = stream.substr(start, end - start);
    if (frame.rfind(":", 0) == 0) continue;  // a comment (keep-alive)
    std::string id, name, data;
    std::size_t line_start = 0;
    while (line_start <= frame.size()) {
      std::size_t line_end = frame.find('\n', line_start);
      if (line_end == std::string::npos) line_end = frame.size();
      const std::string line = frame.substr(line_start, line_end - line_start);
      if (line.rfind("id: ", 0) == 0) id = line.substr(4);
      if (line.rfind("event: ", 0) == 0) name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) data = line.substr(6);
      line_start = line_end + 1;
    }
    core::Json event = core::Json::parse(data, nullptr, false);
    EXPECT_FALSE(event.is_discarded()) << "event data is not JSON: " << data;
    if (event.is_discarded()) continue;
    EXPECT_EQ(id, std::to_string(event.value("seq", -1)));
    EXPECT_EQ(name, event.value("event", ""));
    events.push_back(std::move(event));
  }
  EXPECT_EQ(start, stream.size()) << "the stream ends inside an event";
  return events;
}

std::string submit_job(int port, const std::string& kind, const core::Json& body) {
  const HttpReply reply = http_post(port, "/jobs/" + kind, body.dump());
  EXPECT_EQ(reply.status, 202) << reply.body.dump();
  if (reply.status != 202) return "";
  return reply.body.value("job_id", "");
}

}  // namespace ethovid::test
