// The focus control server (issue 12 §3) against a SessionHub the test feeds: no camera, no
// loop. Each test serves on 127.0.0.1, any free port.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/control_server.hpp"
#include "ethovid/focus/session_hub.hpp"

namespace ethovid::focus {
namespace {

using Json = nlohmann::json;

class ControlServerTest : public ::testing::Test {
 protected:
  void serve(ControlServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<ControlServer>(hub_, options);
    port_ = server_->bind();
    server_->start();
  }
  void TearDown() override {
    hub_.close();
    if (server_) server_->stop();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10);
    return c;
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  SessionHub hub_;
  std::unique_ptr<ControlServer> server_;
  int port_ = 0;
};

// A flag one thread raises and another waits for (no sleeps, no timing).
class Signal {
 public:
  void raise() {
    std::lock_guard lock(mutex_);
    raised_ = true;
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return raised_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool raised_ = false;
};

// The parts of a multipart/x-mixed-replace body received so far, each part's body.
std::vector<std::string> multipart_bodies(const std::string& data, const std::string& boundary,
                                          bool* closed = nullptr) {
  std::vector<std::string> bodies;
  std::size_t at = 0;
  const std::string delimiter = "--" + boundary;
  while (true) {
    const auto start = data.find(delimiter, at);
    if (start == std::string::npos) break;
    if (data.compare(start + delimiter.size(), 2, "--") == 0) {
      if (closed) *closed = true;
      break;
    }
    const auto head_end = data.find("\r\n\r\n", start);
    if (head_end == std::string::npos) break;
    const std::string head = data.substr(start, head_end - start);
    EXPECT_NE(head.find("Content-Type: image/jpeg"), std::string::npos) << head;
    const auto length_at = head.find("Content-Length: ");
    if (length_at == std::string::npos) {
      ADD_FAILURE() << "a part without Content-Length: " << head;
      break;
    }
    const std::size_t length = std::stoul(head.substr(length_at + 16));
    if (data.size() < head_end + 4 + length + 2) break;  // not all of it yet
    bodies.push_back(data.substr(head_end + 4, length));
    EXPECT_EQ(data.substr(head_end + 4 + length, 2), "\r\n");
    at = head_end + 4 + length + 2;
  }
  return bodies;
}

struct SseEvent {
  std::string id, type, data;
};

// The complete events in an SSE text (comments and retry lines skipped).
std::vector<SseEvent> sse_events(const std::string& text) {
  std::vector<SseEvent> events;
  std::size_t at = 0;
  while (true) {
    const auto end = text.find("\n\n", at);
    if (end == std::string::npos) break;
    SseEvent event;
    bool any = false;
    std::size_t line_start = at;
    while (line_start < end) {
      auto line_end = text.find('\n', line_start);
      if (line_end > end) line_end = end;
      const std::string line = text.substr(line_start, line_end - line_start);
      if (line.rfind("id: ", 0) == 0) event.id = line.substr(4), any = true;
      if (line.rfind("event: ", 0) == 0) event.type = line.substr(7), any = true;
      if (line.rfind("data: ", 0) == 0) event.data = line.substr(6), any = true;
      line_start = line_end + 1;
    }
    if (any && !event.id.empty()) events.push_back(event);
    at = end + 2;
  }
  return events;
}

TEST(SessionHubTest, HandsOutCommandsOnceInOrder) {
  SessionHub hub;
  hub.post_command(ControlCommand::Pause);
  hub.post_command(ControlCommand::Start);
  EXPECT_EQ(hub.take_commands(), (std::vector{ControlCommand::Pause, ControlCommand::Start}));
  EXPECT_TRUE(hub.take_commands().empty());
}

TEST(SessionHubTest, WaitsEndOnCloseAndKeepTheLastEvents) {
  SessionHub hub(2);
  EXPECT_FALSE(hub.wait_frame(0, std::chrono::milliseconds(1)).has_value());
  hub.publish_frame({1, 2, 3});
  const auto frame = hub.wait_frame(0, std::chrono::milliseconds(1));
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->seq, 1u);
  EXPECT_EQ(*frame->jpeg, (std::vector<unsigned char>{1, 2, 3}));
  EXPECT_FALSE(hub.wait_frame(1, std::chrono::milliseconds(1)).has_value());

  EXPECT_EQ(hub.publish_event("state", {{"n", 1}}), 1u);
  EXPECT_EQ(hub.publish_event("state", {{"n", 2}}), 2u);
  EXPECT_EQ(hub.publish_event("session", {{"n", 3}}), 3u);
  const auto kept = hub.wait_events(0, std::chrono::milliseconds(1));  // history of 2
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, 2u);
  EXPECT_EQ(kept[1].type, "session");

  std::thread waiter([&] {
    // Would wait an hour; close() ends it.
    EXPECT_FALSE(hub.wait_frame(1, std::chrono::hours(1)).has_value());
    EXPECT_TRUE(hub.wait_events(3, std::chrono::hours(1)).empty());
  });
  hub.close();
  waiter.join();
  EXPECT_TRUE(hub.closed());
  // Events published before close() still come out, at once.
  EXPECT_EQ(hub.wait_events(2, std::chrono::hours(1)).size(), 1u);
}

TEST(ControlServerLoopback, KnowsLoopbackHosts) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "localhost", "LocalHost", "::1", "[::1]", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "", "192.168.1.10", "example.com", "128.0.0.1"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(ControlServerLoopback, RefusesANonLoopbackHostWithoutToken) {
  SessionHub hub;
  for (const char* host : {"0.0.0.0", "::", "192.168.1.10"}) {
    ControlServer server(hub, {host, 0, ""});
    EXPECT_THROW(server.bind(), ConfigError) << host;
  }
  ControlServer bad_token(hub, {"127.0.0.1", 0, "two words"});
  EXPECT_THROW(bad_token.bind(), ConfigError);
}

TEST(ControlServerLoopback, RefusesAPortInUse) {
  SessionHub hub;
  ControlServer first(hub, {"127.0.0.1", 0, ""});
  const int port = first.bind();
  ControlServer second(hub, {"127.0.0.1", port, ""});
  EXPECT_THROW(second.bind(), ConfigError);
  // Bound but never started, then stopped: the port is free again.
  first.stop();
  ControlServer third(hub, {"127.0.0.1", port, ""});
  EXPECT_EQ(third.bind(), port);
}

TEST_F(ControlServerTest, StatusIsWhatWasPublished) {
  serve();
  auto c = client();
  auto before = c.Get("/status");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  EXPECT_EQ(Json::parse(before->body), Json::object());

  Json status = {
      {"session_mode", "RUNNING"},
      {"state", "FOCUSED"},
      {"frames_processed", 42},
      {"features", {{"head_yaw_deg", 3.5}, {"ear_left", std::nan("")}}},
      {"timeline", Json::array({{{"state", "AWAY"}, {"start_s", 0.0}, {"end_s", 1.5}}})}};
  hub_.publish_status(status);
  auto after = c.Get("/status");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->get_header_value("Content-Type"), "application/json");
  const Json got = Json::parse(after->body);
  EXPECT_EQ(got["frames_processed"], 42);
  EXPECT_EQ(got["timeline"], status["timeline"]);
  EXPECT_TRUE(got["features"]["ear_left"].is_null());  // NaN as null
  EXPECT_EQ(got["features"]["head_yaw_deg"], 3.5);
  EXPECT_TRUE(after->get_header_value("Access-Control-Allow-Origin").empty());
}

TEST_F(ControlServerTest, ServesThePageAndRedirectsToIt) {
  serve();
  auto c = client();
  auto page = c.Get("/ui");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  for (const char* id : {"id=\"state\"", "id=\"session-mode\"", "id=\"stream\"", "id=\"btn-start\"",
                         "id=\"btn-pause\"", "id=\"btn-stop\"", "id=\"btn-camera\"",
                         "id=\"banner\"", "id=\"timeline\"", "id=\"frames\""}) {
    EXPECT_NE(page->body.find(id), std::string::npos) << id;
  }
  // Served whole from the binary: nothing to fetch from elsewhere.
  EXPECT_EQ(page->body.find("http://"), std::string::npos);
  EXPECT_EQ(page->body.find("https://"), std::string::npos);

  auto root = c.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(root->get_header_value("Location"), "/ui");

  auto missing = c.Get("/nothing/here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Json::parse(missing->body)["kind"], "NotFound");
}

TEST_F(ControlServerTest, StreamSendsThePublishedFramesAndEndsWithTheHub) {
  serve();
  const std::vector<std::string> frames = {"\xff\xd8 first frame", "\xff\xd8 second, longer frame",
                                           std::string("\xff\xd8 third\0frame", 16)};
  hub_.publish_frame({frames[0].begin(), frames[0].end()});
  std::string data, content_type;
  std::mutex mutex;
  std::condition_variable got_part;
  std::size_t distinct = 0;
  std::thread reader([&] {
    auto c = client();
    auto res = c.Get(
        "/stream",
        [&](const httplib::Response& r) {
          content_type = r.get_header_value("Content-Type");
          return true;
        },
        [&](const char* bytes, std::size_t size) {
          std::lock_guard lock(mutex);
          data.append(bytes, size);
          auto bodies = multipart_bodies(data, "ethovid-focus-frame");
          bodies.erase(std::unique(bodies.begin(), bodies.end()), bodies.end());
          distinct = bodies.size();
          got_part.notify_all();
          return true;
        });
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  });
  // Each next frame once the last has arrived: every one of them must then be sent.
  for (std::size_t i = 1; i <= frames.size(); ++i) {
    std::unique_lock lock(mutex);
    got_part.wait(lock, [&] { return distinct >= i; });
    lock.unlock();
    if (i < frames.size()) hub_.publish_frame({frames[i].begin(), frames[i].end()});
  }
  hub_.close();
  reader.join();
  EXPECT_EQ(content_type, "multipart/x-mixed-replace; boundary=ethovid-focus-frame");
  bool closed = false;
  auto bodies = multipart_bodies(data, "ethovid-focus-frame", &closed);
  bodies.erase(std::unique(bodies.begin(), bodies.end()), bodies.end());
  EXPECT_EQ(bodies, frames);
  EXPECT_TRUE(closed) << "no closing boundary";
}

TEST_F(ControlServerTest, EventsComeInOrderLiveAndResumeAfterLastEventId) {
  serve();
  hub_.publish_event("session", {{"session_mode", "RUNNING"}, {"run_id", "r1"}});
  std::string text;
  std::mutex mutex;
  std::condition_variable got;
  std::thread reader([&] {
    auto c = client();
    auto res = c.Get("/events", [&](const char* bytes, std::size_t size) {
      std::lock_guard lock(mutex);
      text.append(bytes, size);
      got.notify_all();
      return true;
    });
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  });
  {
    std::unique_lock lock(mutex);
    got.wait(lock, [&] { return sse_events(text).size() >= 1; });
  }
  hub_.publish_event("state", {{"state", "DISTRACTED"}, {"previous", "FOCUSED"}, {"at_s", 4.5}});
  hub_.publish_event("intervention", {{"type", "nudge"}, {"level", 1}});
  {
    std::unique_lock lock(mutex);
    got.wait(lock, [&] { return sse_events(text).size() >= 3; });
  }
  hub_.close();  // ends the stream
  reader.join();
  const auto events = sse_events(text);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id, "1");
  EXPECT_EQ(events[0].type, "session");
  EXPECT_EQ(Json::parse(events[0].data)["run_id"], "r1");
  EXPECT_EQ(events[1].id, "2");
  EXPECT_EQ(events[1].type, "state");
  EXPECT_EQ(Json::parse(events[1].data)["at_s"], 4.5);
  EXPECT_EQ(events[2].id, "3");
  EXPECT_EQ(events[2].type, "intervention");

  // The hub is closed now: a stream hands out what it still has after Last-Event-ID, then ends.
  auto c = client();
  auto resumed = c.Get("/events", {{"Last-Event-ID", "1"}});
  ASSERT_TRUE(resumed);
  const auto rest = sse_events(resumed->body);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, "2");
  EXPECT_EQ(rest[1].id, "3");
  auto bad = c.Get("/events", {{"Last-Event-ID", "two"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ControlServerTest, EventsFromNowSkipTheHistory) {
  serve();
  hub_.publish_event("state", {{"n", 1}});
  hub_.publish_event("state", {{"n", 2}});
  Signal open;
  std::string text;
  std::thread reader([&] {
    auto c = client();
    c.Get(
        "/events?from=now",
        [&](const httplib::Response&) {
          open.raise();
          return true;
        },
        [&](const char* bytes, std::size_t size) {
          text.append(bytes, size);
          return true;
        });
  });
  open.wait();  // the server has picked its starting point before it answers
  hub_.publish_event("intervention", {{"n", 3}});
  hub_.close();
  reader.join();
  const auto events = sse_events(text);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "3");
}

TEST_F(ControlServerTest, EachPostGivesItsCommand) {
  serve();
  const std::vector<std::tuple<std::string, ControlCommand, std::string>> cases = {
      {"/session/start", ControlCommand::Start, "start"},
      {"/session/pause", ControlCommand::Pause, "pause"},
      {"/session/stop", ControlCommand::Stop, "stop"},
      {"/camera/on", ControlCommand::CameraOn, "camera_on"},
      {"/camera/off", ControlCommand::CameraOff, "camera_off"},
      {"/intervention/test", ControlCommand::TestIntervention, "test_intervention"}};
  auto c = client();
  for (const auto& [path, command, name] : cases) {
    auto res = c.Post(path.c_str(), "{}", "application/json");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 202) << path << ": " << res->body;
    EXPECT_EQ(Json::parse(res->body), (Json{{"accepted", name}})) << path;
    EXPECT_EQ(hub_.take_commands(), std::vector{command}) << path;
  }
  // A charset parameter and an empty body are fine; a body that is not a JSON object is not.
  auto plain = c.Post("/session/pause", "", "application/json; charset=utf-8");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 202);
  EXPECT_EQ(hub_.take_commands(), std::vector{ControlCommand::Pause});
  auto broken = c.Post("/session/pause", "{not json", "application/json");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
  EXPECT_TRUE(hub_.take_commands().empty());
  auto get = c.Get("/session/start");  // a GET changes nothing
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
  EXPECT_TRUE(hub_.take_commands().empty());
}

TEST_F(ControlServerTest, RefusesAForeignHostOrOrigin) {
  serve();
  auto c = client();
  const std::string port = std::to_string(port_);
  const std::vector<std::string> foreign_hosts = {"evil.example:" + port, "evil.example",
                                                  "127.0.0.1:" + std::to_string(port_ + 1),
                                                  "localhost", "127.0.0.1:" + port + "x"};
  for (const auto& header : foreign_hosts) {
    auto res = c.Get("/status", {{"Host", header}});
    ASSERT_TRUE(res) << header;
    EXPECT_EQ(res->status, 403) << header;
    EXPECT_EQ(Json::parse(res->body)["kind"], "AccessError") << header;
  }
  const std::vector<std::string> own_hosts = {"localhost:" + port, "LOCALHOST:" + port,
                                              "[::1]:" + port, host()};
  for (const auto& header : own_hosts) {
    auto res = c.Get("/status", {{"Host", header}});
    ASSERT_TRUE(res) << header;
    EXPECT_EQ(res->status, 200) << header;
  }
  auto foreign =
      c.Post("/session/stop", {{"Origin", "http://evil.example"}}, "{}", "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  auto own = c.Post("/session/stop", {{"Origin", "http://" + host()}}, "{}", "application/json");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 202);
  EXPECT_EQ(hub_.take_commands(), std::vector{ControlCommand::Stop});
}

TEST_F(ControlServerTest, APostNeedsJsonWithoutToken) {
  serve();
  auto c = client();
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}) {
    auto res = c.Post("/session/stop", "{}", type);
    ASSERT_TRUE(res) << type;
    EXPECT_EQ(res->status, 403) << type;
  }
  auto none = c.Post("/session/stop");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 403);
  EXPECT_TRUE(hub_.take_commands().empty());
}

TEST_F(ControlServerTest, WithATokenEveryRequestCarriesIt) {
  serve({"127.0.0.1", 0, "s3cret-token"});
  auto c = client();
  auto missing = c.Get("/status");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer");
  auto wrong = c.Get("/status", {{"Authorization", "Bearer s3cret-tokem"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto wrong_query = c.Get("/ui?token=nope");
  ASSERT_TRUE(wrong_query);
  EXPECT_EQ(wrong_query->status, 403);
  auto header = c.Get("/status", {{"Authorization", "Bearer s3cret-token"}});
  ASSERT_TRUE(header);
  EXPECT_EQ(header->status, 200);
  auto query = c.Get("/ui?token=s3cret-token");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 200);
  auto redirect = c.Get("/?token=s3cret-token");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->get_header_value("Location"), "/ui?token=s3cret-token");

  auto unauthorised_post = c.Post("/session/start", "{}", "application/json");
  ASSERT_TRUE(unauthorised_post);
  EXPECT_EQ(unauthorised_post->status, 401);
  EXPECT_TRUE(hub_.take_commands().empty());
  // The token is proof enough: no JSON content type needed then.
  auto post = c.Post("/session/start?token=s3cret-token", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 202);
  EXPECT_EQ(hub_.take_commands(), std::vector{ControlCommand::Start});
  EXPECT_EQ(server_->ui_url(),
            "http://127.0.0.1:" + std::to_string(port_) + "/ui?token=s3cret-token");
}

TEST_F(ControlServerTest, RefusesAnOversizedBody) {
  serve();
  auto c = client();
  const std::string body = "{\"pad\": \"" + std::string(100 * 1024, 'x') + "\"}";
  auto res = c.Post("/session/start", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_TRUE(hub_.take_commands().empty());
}

TEST_F(ControlServerTest, BoundsTheOpenStreamsAndStillAnswersStatus) {
  serve();
  constexpr int kStreams = 8;
  std::vector<std::thread> readers;
  std::atomic<int> open{0};
  std::mutex mutex;
  std::condition_variable opened;
  for (int i = 0; i < kStreams; ++i) {
    readers.emplace_back([&, i] {
      auto c = client();
      c.Get(
          i % 2 ? "/stream" : "/events",
          [&](const httplib::Response& r) {
            EXPECT_EQ(r.status, 200);
            std::lock_guard lock(mutex);
            ++open;
            opened.notify_all();
            return true;
          },
          [](const char*, std::size_t) { return true; });
    });
  }
  {
    std::unique_lock lock(mutex);
    opened.wait(lock, [&] { return open == kStreams; });
  }
  auto c = client();
  auto extra = c.Get("/events");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->status, 503);
  EXPECT_EQ(Json::parse(extra->body)["kind"], "BusyError");
  auto status = c.Get("/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  hub_.close();
  for (auto& reader : readers) reader.join();
}

TEST_F(ControlServerTest, AClientThatLeavesFreesItsStream) {
  serve();
  hub_.publish_frame({0xff, 0xd8, 0xff, 0xd9});
  // Every slot taken by a client that reads a little and hangs up.
  for (int i = 0; i < 8; ++i) {
    auto c = client();
    int status = 0;
    c.Get(
        i % 2 ? "/stream" : "/events",
        [&](const httplib::Response& r) {
          status = r.status;
          return true;
        },
        [](const char*, std::size_t) { return false; });
    ASSERT_EQ(status, 200) << i;
  }
  // The server finds each gone client at its next write (the last frame again, a keep-alive
  // comment), so a new stream is let in again; wait for that, however long it takes here.
  int status = 0;
  for (int attempt = 0; attempt < 600 && status != 200; ++attempt) {
    auto c = client();
    c.Get(
        "/events",
        [&](const httplib::Response& r) {
          status = r.status;
          return false;
        },
        [](const char*, std::size_t) { return false; });
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(ControlServerTest, StopEndsAnOpenStream) {
  serve();
  hub_.publish_frame({0xff, 0xd8, 0xff, 0xd9});
  Signal first_part;
  std::atomic<bool> ended{false};
  std::thread reader([&] {
    auto c = client();
    c.Get("/stream", [&](const char*, std::size_t) {
      first_part.raise();
      return true;
    });
    ended = true;
  });
  first_part.wait();
  server_->stop();  // the hub stays open: the server alone must end the stream
  reader.join();
  EXPECT_TRUE(ended);
  EXPECT_FALSE(hub_.closed());
}

}  // namespace
}  // namespace ethovid::focus
