// The HTTP job server against a real socket on 127.0.0.1, with two small job kinds: SSE events in
// order (and resumed with Last-Event-ID), 20 concurrent clients, cancellation, a full queue, and
// the status of every kind of bad request.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <httplib.h>

#include "ethovid/core/error.hpp"
#include "ethovid/core/job_server.hpp"
#include "http_support.hpp"
#include "test_support.hpp"

namespace ethovid {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// "count": {"steps": n, "step_ms": m} counts with progress; "size": {"path": p} gives the size of
// a file under `root`. Both refuse bad requests the way real kinds do.
void add_test_kinds(core::JobServer& server, const fs::path& root) {
  server.add_kind("count", [](const core::Json& body) -> core::JobWork {
    if (!body.value("steps", core::Json()).is_number_integer()) {
      throw ConfigError("request: 'steps' must be an integer, not " + body.value("steps", core::Json()).dump());
    }
    const int steps = body["steps"];
    const auto step = std::chrono::milliseconds(body.value("step_ms", 1));
    return [steps, step](const core::JobContext& context) {
      core::ProgressBar bar("counting", steps, "steps", &context.progress);
      for (int i = 0; i < steps; ++i) {
        std::this_thread::sleep_for(step);
        bar.update(i + 1);
      }
      return core::Json{{"steps", steps}};
    };
  });
  server.add_kind("size", [root](const core::Json& body) -> core::JobWork {
    const fs::path file = core::resolve_inside(root, body.value("path", ""));
    if (!fs::is_regular_file(file)) throw MissingInputError(file.string() + " does not exist");
    return [file](const core::JobContext&) { return core::Json{{"bytes", fs::file_size(file)}}; };
  });
}

std::vector<std::string> names(const std::vector<core::Json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e["event"]);
  return out;
}

TEST(JobServer, EventsStreamInOrderAndResumeAfterLastEventId) {
  test::ScratchDir root;
  test::RunningServer server({}, [&](core::JobServer& s) { add_test_kinds(s, root.path()); });
  const std::string id = test::submit_job(server.port(), "count", {{"steps", 40}, {"step_ms", 10}});
  ASSERT_FALSE(id.empty());
  const auto events = test::read_events(server.port(), id);
  ASSERT_GE(events.size(), 4u);
  const auto kinds = names(events);
  EXPECT_EQ(kinds.front(), "queued");
  EXPECT_EQ(kinds[1], "running");
  EXPECT_EQ(kinds.back(), "done");
  std::int64_t done = -1;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["seq"], i);
    if (i >= 2 && i + 1 < events.size()) {
      EXPECT_EQ(kinds[i], "progress");
      EXPECT_GE(events[i]["done"].get<std::int64_t>(), done);
      done = events[i]["done"];
    }
  }
  EXPECT_EQ(done, 40);
  EXPECT_EQ(events.back()["result"]["steps"], 40);

  // After the end the whole stream is still there; Last-Event-ID gives what follows it.
  EXPECT_EQ(test::read_events(server.port(), id).size(), events.size());
  const auto rest = test::read_events(server.port(), id, 1);
  ASSERT_EQ(rest.size(), events.size() - 2);
  EXPECT_EQ(rest.front()["seq"], 2);

  const auto status = test::http_get(server.port(), "/jobs/" + id);
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body["state"], "done");
  EXPECT_EQ(status.body["result"]["steps"], 40);
  EXPECT_EQ(status.body["progress"]["done"], 40);
}

TEST(JobServer, TwentyConcurrentClientsAllFinish) {
  test::ScratchDir root;
  test::RunningServer server({}, [&](core::JobServer& s) { add_test_kinds(s, root.path()); });
  constexpr int kClients = 20;
  std::vector<std::vector<core::Json>> seen(kClients);
  std::vector<std::string> ids(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      ids[c] = test::submit_job(server.port(), "count", {{"steps", 5 + c}, {"step_ms", 5}});
      if (!ids[c].empty()) seen[c] = test::read_events(server.port(), ids[c]);
    });
  }
  for (auto& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) {
    ASSERT_FALSE(seen[c].empty()) << "client " << c;
    EXPECT_EQ(seen[c].front()["event"], "queued");
    EXPECT_EQ(seen[c].back()["event"], "done") << "client " << c;
    EXPECT_EQ(seen[c].back()["result"]["steps"], 5 + c);
    for (const auto& e : seen[c]) EXPECT_EQ(e["job_id"], ids[c]);
  }
  const auto all = test::http_get(server.port(), "/jobs");
  ASSERT_EQ(all.body["jobs"].size(), static_cast<std::size_t>(kClients));
  for (const auto& job : all.body["jobs"]) EXPECT_EQ(job["state"], "done");
}

TEST(JobServer, CancelRunningAndQueuedJobsAndAFullQueue) {
  test::ScratchDir root;
  core::JobServerOptions options;
  options.queue_capacity = 1;
  test::RunningServer server(options, [&](core::JobServer& s) { add_test_kinds(s, root.path()); });
  const int port = server.port();
  const std::string running = test::submit_job(port, "count", {{"steps", 100000}, {"step_ms", 2}});
  for (int i = 0; i < 2000 && test::http_get(port, "/jobs/" + running).body["state"] != "running"; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  const std::string waiting = test::submit_job(port, "count", {{"steps", 1}});
  const auto full = test::http_post(port, "/jobs/count", R"({"steps": 1})");
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(full.body["kind"], "BusyError");

  auto reply = test::http_delete(port, "/jobs/" + waiting);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["state"], "cancelled");
  reply = test::http_delete(port, "/jobs/" + running);
  EXPECT_EQ(reply.status, 202);
  EXPECT_EQ(reply.body["state"], "cancelling");
  EXPECT_EQ(test::read_events(port, running).back()["event"], "cancelled");
  EXPECT_EQ(names(test::read_events(port, waiting)), (std::vector<std::string>{"queued", "cancelled"}));
  reply = test::http_delete(port, "/jobs/" + running);
  EXPECT_EQ(reply.status, 409);
  EXPECT_NE(reply.body["error"].get<std::string>().find("already cancelled"), std::string::npos);
}

TEST(JobServer, BadRequestsGetTheirStatus) {
  test::ScratchDir root;
  test::ScratchDir outside;
  std::ofstream(root / "in.txt") << "12345";
  std::ofstream(outside / "secret.txt") << "x";
  fs::create_symlink(outside.path(), root / "link");
  test::RunningServer server({}, [&](core::JobServer& s) { add_test_kinds(s, root.path()); });
  const int port = server.port();
  struct Case {
    std::string method, path, body;
    int status;
    std::string kind, fragment;
  };
  const std::vector<Case> cases = {
      {"POST", "/jobs/count", "{\"steps\": ", 400, "BadJson", "not JSON"},
      {"POST", "/jobs/count", "[1, 2]", 400, "BadJson", "must be a JSON object, not array"},
      {"POST", "/jobs/count", R"({"steps": "many"})", 400, "ConfigError", "'steps' must be an integer"},
      {"POST", "/jobs/nothing", "{}", 404, "UnknownJobKind", "no job kind 'nothing'"},
      {"POST", "/jobs/size", R"({"path": "../x.txt"})", 403, "AccessError", "outside the server root"},
      {"POST", "/jobs/size", R"({"path": "link/secret.txt"})", 403, "AccessError", "outside the server root"},
      {"POST", "/jobs/size", R"({"path": ")" + (outside / "secret.txt").string() + "\"}", 403, "AccessError",
       "secret.txt"},
      {"POST", "/jobs/size", R"({"path": "none.txt"})", 404, "MissingInputError", "none.txt does not exist"},
      {"GET", "/jobs/0123456789abcdef", "", 404, "UnknownJob", "no job 0123456789abcdef"},
      {"GET", "/jobs/0123456789abcdef/events", "", 404, "UnknownJob", "no job"},
      {"DELETE", "/jobs/0123456789abcdef", "", 404, "UnknownJob", "no job"},
      {"GET", "/elsewhere", "", 404, "NotFound", "GET /elsewhere is not part of this API"},
  };
  for (const auto& c : cases) {
    const test::HttpReply reply = c.method == "POST"   ? test::http_post(port, c.path, c.body)
                                  : c.method == "GET" ? test::http_get(port, c.path)
                                                      : test::http_delete(port, c.path);
    SCOPED_TRACE(c.method + " " + c.path + " " + c.body);
    EXPECT_EQ(reply.status, c.status);
    EXPECT_EQ(reply.body.value("kind", ""), c.kind);
    EXPECT_NE(reply.body.value("error", "").find(c.fragment), std::string::npos) << reply.body.dump();
  }
  // Nothing refused was queued; a good request still works.
  EXPECT_TRUE(test::http_get(port, "/jobs").body["jobs"].empty());
  const std::string id = test::submit_job(port, "size", {{"path", "in.txt"}});
  EXPECT_EQ(test::read_events(port, id).back()["result"]["bytes"], 5);
}

TEST(ResolveInside, PathsMustStayInsideTheRootAfterSymlinks) {
  test::ScratchDir root;
  fs::create_directories(root / "a");
  const fs::path base = fs::canonical(root.path());
  EXPECT_EQ(core::resolve_inside(root.path(), "a/new.mp4"), base / "a" / "new.mp4");
  EXPECT_EQ(core::resolve_inside(root.path(), "a/../b"), base / "b");
  EXPECT_EQ(core::resolve_inside(root.path(), (base / "a").string()), base / "a");
  // A sibling whose name starts with the root's is still outside.
  test::expect_error<AccessError>([&] { core::resolve_inside(root.path(), base.string() + "x/f"); },
                                  {"outside the server root"});
  test::expect_error<AccessError>([&] { core::resolve_inside(root.path(), "../f"); }, {"'../f'"});
  fs::create_symlink("/", root / "up");
  test::expect_error<AccessError>([&] { core::resolve_inside(root.path(), "up/etc/passwd"); }, {"/etc/passwd"});
  // A `..` after a part that does not exist must not hide a symlink that leads out.
  test::expect_error<AccessError>([&] { core::resolve_inside(root.path(), "nope/../up/etc/passwd"); },
                                  {"/etc/passwd"});
  EXPECT_EQ(core::resolve_inside(root.path(), "nope/../a/x"), base / "a" / "x");
}

// A stop that comes before serve() has started listening must still end it.
TEST(JobServer, StopBeforeServeEndsServe) {
  core::JobServerOptions options;
  options.port = 0;
  core::JobServer server(options);
  server.bind();
  server.stop();
  EXPECT_TRUE(server.serve());
}

TEST(JobServer, EventStreamsBeyondTheCapGet503) {
  test::ScratchDir root;
  core::JobServerOptions options;
  options.http_threads = 8;  // 4 streams at most
  test::RunningServer server(options, [&](core::JobServer& s) { add_test_kinds(s, root.path()); });
  const int port = server.port();
  const std::string id = test::submit_job(port, "count", {{"steps", 100000}, {"step_ms", 2}});
  std::atomic<int> streaming{0};  // readers that have received their first event
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      bool first = true;
      client.Get("/jobs/" + id + "/events", [&](const char*, std::size_t) {
        if (first) ++streaming;
        first = false;
        return true;
      });
    });
  }
  while (streaming < 4) std::this_thread::sleep_for(2ms);
  const test::HttpReply fifth = test::http_get(port, "/jobs/" + id + "/events");
  EXPECT_EQ(fifth.status, 503);
  EXPECT_EQ(fifth.body.value("kind", ""), "BusyError");
  // Commands still get through while the streams are open; the cancel ends the streams.
  EXPECT_EQ(test::http_delete(port, "/jobs/" + id).status, 202);
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(test::http_get(port, "/jobs/" + id).body["state"], "cancelled");
}

}  // namespace
}  // namespace ethovid
