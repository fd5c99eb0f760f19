// POST /jobs/faces_embed against a real server on 127.0.0.1: requests checked against the root
// before they are queued, a job on a generated video through track and embed with its events in
// order, a cancelled job that leaves no outputs, `ethovid serve` itself started and stopped, and
// (with ../shared/data) a talking-head episode giving gated, embedded crops.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include <opencv2/videoio.hpp>

#include "ethovid/core/npy.hpp"
#include "ethovid/faces/embed_job.hpp"
#include "http_support.hpp"
#include "test_support.hpp"

namespace ethovid::faces {
namespace {

namespace fs = std::filesystem;

void write_grey_video(const fs::path& path, int frames, cv::Size size) {
  fs::create_directories(path.parent_path());
  cv::VideoWriter writer(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25, size);
  cv::Mat frame(size, CV_8UC3);
  for (int i = 0; i < frames; ++i) {
    frame.setTo(cv::Scalar(60 + i % 50, 80, 100));
    writer.write(frame);
  }
}

std::unique_ptr<test::RunningServer> embed_server(const fs::path& root) {
  return std::make_unique<test::RunningServer>(core::JobServerOptions{}, [&](core::JobServer& server) {
    server.add_kind("faces_embed", faces_embed_job({root, {}}));
  });
}

std::vector<std::string> phases(const std::vector<core::Json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    const std::string name = e["event"];
    const std::string phase = name == "progress" ? e["phase"].get<std::string>().substr(0, 11) : name;
    if (out.empty() || out.back() != phase) out.push_back(phase);
  }
  return out;
}

TEST(FacesEmbedJob, BadRequestsAreRefusedBeforeQueueing) {
  test::ScratchDir root, outside;
  write_grey_video(root / "ep1/episode.avi", 3, {64, 48});
  write_grey_video(root / "clips/a.avi", 3, {64, 48});
  write_grey_video(outside / "b.avi", 3, {64, 48});
  fs::create_directories(root / "empty_episode");
  const auto server = embed_server(root.path());
  struct Case {
    std::string body;
    int status;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {R"({})", 400, "exactly one of 'video' and 'ep_id'"},
      {R"({"video": "clips/a.avi", "ep_id": "ep1"})", 400, "exactly one of"},
      {R"({"video": 7})", 400, "'video' must be a non-empty string"},
      {R"({"ep_id": "ep1/../clips"})", 400, "a folder name, not a path"},
      {R"({"video": "clips/a.avi", "min_quality": 2})", 400, "min_quality"},
      {R"({"video": "clips/a.avi", "min_quality": "high"})", 400, "'min_quality' has the wrong type"},
      {R"({"video": "clips/a.avi", "min_qualty": 0.5})", 400, "unknown key 'min_qualty'"},
      {R"({"video": "clips/a.avi", "sampling": "best"})", 400, "sampling is 'best'"},
      {R"({"video": "clips/a.avi", "stride": 0})", 400, "'stride' must be an integer >= 1"},
      {R"({"video": "clips/a.avi", "force": "yes"})", 400, "'force' must be true or false"},
      {R"({"video": "../b.avi"})", 403, "outside the server root"},
      {R"({"video": ")" + (outside / "b.avi").string() + "\"}", 403, "outside the server root"},
      {R"({"video": "clips/a.avi", "output": "/tmp"})", 403, "outside the server root"},
      {R"({"video": "clips/a.avi", "tracks": "../t.jsonl"})", 403, "outside the server root"},
      {R"({"video": "clips/none.avi"})", 404, "none.avi does not exist"},
      {R"({"video": "clips/a.avi", "tracks": "clips/t.jsonl"})", 404, "t.jsonl does not exist"},
      {R"({"ep_id": "empty_episode"})", 404, "no episode.mp4"},
      {R"({"ep_id": "ep9"})", 404, "no episode.mp4"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const auto reply = test::http_post(server->port(), "/jobs/faces_embed", c.body);
    EXPECT_EQ(reply.status, c.status) << reply.body.dump();
    EXPECT_NE(reply.body.value("error", "").find(c.fragment), std::string::npos) << reply.body.dump();
  }
  EXPECT_TRUE(test::http_get(server->port(), "/jobs").body["jobs"].empty());
}

TEST(FacesEmbedJob, VideoIsTrackedThenEmbeddedWithEventsInOrder) {
  test::ScratchDir root;
  write_grey_video(root / "ep1/episode.avi", 12, {96, 64});
  write_grey_video(root / "clips/a.avi", 8, {96, 64});
  const auto server = embed_server(root.path());
  const int port = server->port();

  const std::string id = test::submit_job(port, "faces_embed", {{"ep_id", "ep1"}, {"max_crops_per_track", 3}});
  auto events = test::read_events(port, id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(phases(events), (std::vector<std::string>{"queued", "running", "faces track", "faces embed", "done"}));
  const core::Json result = events.back()["result"];
  const fs::path episode = fs::canonical(root / "ep1");
  EXPECT_EQ(result["output_dir"], episode.string());
  EXPECT_EQ(result["faces"], 0);  // a grey video has no faces, but every file is there
  for (const char* key : {"tracks", "faces_jsonl", "faces_npy", "faces_parquet", "crops_debug", "summary"}) {
    EXPECT_TRUE(fs::exists(result[key].get<std::string>())) << key;
  }
  EXPECT_EQ(core::read_npy(episode / "faces.npy").shape, (std::vector<std::int64_t>{0, 512}));
  const auto summary = core::read_json(episode / "faces_summary.json");
  EXPECT_EQ(summary["config"]["max_crops_per_track"], 3);

  // By video path, into the default folder beside it; the same request again is up to date.
  const std::string second = test::submit_job(port, "faces_embed", {{"video", "clips/a.avi"}});
  EXPECT_EQ(test::read_events(port, second).back()["result"]["skipped"], false);
  EXPECT_TRUE(fs::exists(root / "clips/a_faces/faces.jsonl"));
  const std::string again = test::submit_job(port, "faces_embed", {{"video", "clips/a.avi"}});
  EXPECT_EQ(test::read_events(port, again).back()["result"]["skipped"], true);
}

TEST(FacesEmbedJob, CancelledWhileTrackingWritesNoOutputs) {
  test::ScratchDir root;
  write_grey_video(root / "long.avi", 1500, {160, 120});
  const auto server = embed_server(root.path());
  const int port = server->port();
  const std::string id = test::submit_job(port, "faces_embed", {{"video", "long.avi"}});
  for (int i = 0; i < 6000; ++i) {
    const auto status = test::http_get(port, "/jobs/" + id).body;
    if (status.contains("progress")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto reply = test::http_delete(port, "/jobs/" + id);
  EXPECT_EQ(reply.status, 202) << reply.body.dump();
  const auto events = test::read_events(port, id);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back()["event"], "cancelled");
  const auto& last_progress = events[events.size() - 2];
  ASSERT_EQ(last_progress["event"], "progress");
  EXPECT_LT(last_progress["done"].get<int>(), 1500) << "it stopped before the end";
  EXPECT_EQ(test::http_get(port, "/jobs/" + id).body["state"], "cancelled");
  // The output folder may exist, but holds none of the step's files.
  for (const char* name : {"tracks.jsonl", "faces_track_summary.json", "faces.jsonl", "faces_summary.json"}) {
    EXPECT_FALSE(fs::exists(root / "long_faces" / name)) << name;
  }
}

// The real program: it prints where it listens, serves, and on SIGTERM cancels the running job
// (which writes nothing) and exits 0.
TEST(FacesEmbedJob, ServeCommandCancelsItsRunningJobAndStopsOnSigterm) {
  test::ScratchDir root;
  write_grey_video(root / "long.avi", 1500, {160, 120});
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(ETHOVID_BINARY, "ethovid", "serve", "--port", "0", "--root", root.path().c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE* stream = fdopen(out[0], "r");
  char line[512] = {0};
  const std::string first = std::fgets(line, sizeof line, stream) ? line : "";
  const auto port_at = first.find("listening on http://127.0.0.1:");
  if (port_at == std::string::npos) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "no 'listening on' line: " << first;
  }
  const int port = std::stoi(first.substr(first.find("127.0.0.1:") + 10));
  EXPECT_EQ(test::http_post(port, "/jobs/faces_embed", R"({"video": "none.mp4"})").status, 404);
  const std::string id = test::submit_job(port, "faces_embed", {{"video", "long.avi"}});
  for (int i = 0; i < 6000 && !test::http_get(port, "/jobs/" + id).body.contains("progress"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  std::string rest;
  while (std::fgets(line, sizeof line, stream)) rest += line;
  std::fclose(stream);
  EXPECT_NE(rest.find("stopping"), std::string::npos) << rest;
  EXPECT_NE(rest.find("stopped"), std::string::npos) << rest;
  EXPECT_FALSE(fs::exists(root / "long_faces/tracks.jsonl"));
}

TEST(FacesEmbedJob, TalkingHeadEpisodeGivesGatedCrops) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  test::ScratchDir root;
  {  // the first 50 frames as an episode folder
    cv::VideoCapture capture((data / "face_video/liveportrait_d6.mp4").string());
    ASSERT_TRUE(capture.isOpened());
    cv::Mat frame;
    capture >> frame;
    fs::create_directories(root / "ep_talk");
    cv::VideoWriter writer((root / "ep_talk/episode.avi").string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                           25, frame.size());
    for (int i = 0; i < 50 && !frame.empty(); ++i, capture >> frame) writer.write(frame);
  }
  const auto server = embed_server(root.path());
  const std::string id = test::submit_job(server->port(), "faces_embed",
                                          {{"ep_id", "ep_talk"}, {"save_crops", true}, {"max_crops_per_track", 5},
                                           {"stride", 2}});
  const auto events = test::read_events(server->port(), id);
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(events.back()["event"], "done") << events.back().dump();
  const core::Json result = events.back()["result"];
  EXPECT_EQ(result["faces"], 5);
  EXPECT_EQ(result["candidates"], 25);
  EXPECT_EQ(core::read_npy(result["faces_npy"].get<std::string>()).shape, (std::vector<std::int64_t>{5, 512}));
  std::ifstream lines(result["faces_jsonl"].get<std::string>());
  for (std::string line; std::getline(lines, line);) {
    const auto face = core::Json::parse(line);
    EXPECT_TRUE(fs::exists(root / "ep_talk" / face["crop_path"].get<std::string>())) << line;
  }
}

}  // namespace
}  // namespace ethovid::faces
