// MLflow tracking of `focus train` (mlflow_tracking.hpp): the file store's folders and the exact
// contents of its files (meta.yaml as PyYAML writes it, params, metrics, tags, artifacts), and
// the REST API against a small in-test server that records the requests and answers as MLflow
// does, so CI needs no MLflow.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "ethovid/focus/mlflow_tracking.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::read_file;

std::chrono::system_clock::time_point at_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

MlflowRun sample_run(const fs::path& artifact) {
  MlflowRun run;
  run.experiment_name = "focus";
  run.run_name = "bright-owl-7";
  run.user = "alice";
  run.source_name = "ethovid focus train";
  run.params = {{"C", "1.0"}, {"features", "face_present,nose_offset_abs"}};
  run.metrics = {{"accuracy", 0.75}, {"log_loss", 0.1 + 0.2}, {"roc_auc_AWAY", std::nan("")}};
  run.tags = {{"ethovid.version", "0.1.0"}};
  run.artifacts = {artifact};
  run.start_time = at_ms(1700000000123);
  run.end_time = at_ms(1700000005456);
  return run;
}

TEST(MlflowFormats, PythonFloatRepr) {
  EXPECT_EQ(python_float_repr(0.75), "0.75");
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.00001), "1e-05");
  EXPECT_EQ(python_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_float_repr(123456789.0), "123456789.0");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e22), "1e+22");
  EXPECT_EQ(python_float_repr(1.0 / 3), "0.3333333333333333");
}

TEST(MlflowFormats, YamlStringsQuotedWherePyYamlQuotesThem) {
  // Each checked against PyYAML 6.0's safe_dump.
  EXPECT_EQ(yaml_string(""), "''");
  EXPECT_EQ(yaml_string("0"), "'0'");
  EXPECT_EQ(yaml_string("123456789012345678"), "'123456789012345678'");
  EXPECT_EQ(yaml_string("2026-12-04"), "'2026-12-04'");
  EXPECT_EQ(yaml_string("1.5"), "'1.5'");
  EXPECT_EQ(yaml_string("yes"), "'yes'");
  EXPECT_EQ(yaml_string("null"), "'null'");
  EXPECT_EQ(yaml_string("3f2a"), "3f2a");
  EXPECT_EQ(yaml_string("Default"), "Default");
  EXPECT_EQ(yaml_string("file:///tmp/mlruns/0"), "file:///tmp/mlruns/0");
  EXPECT_EQ(yaml_string("a b"), "a b");
  EXPECT_EQ(yaml_string("it's"), "it's");
  EXPECT_EQ(yaml_string("a: b"), "'a: b'");
  EXPECT_EQ(yaml_string("#x"), "'#x'");
  EXPECT_EQ(yaml_string("'q'"), "'''q'''");
}

TEST(MlflowFormats, TrackingUriToStoreFolder) {
  const fs::path cwd = "/work/here";
  EXPECT_EQ(file_store_root("", cwd), cwd / "mlruns");
  EXPECT_EQ(file_store_root("file:///abs/store", cwd), fs::path("/abs/store"));
  EXPECT_EQ(file_store_root("file://localhost/abs/store", cwd), fs::path("/abs/store"));
  EXPECT_EQ(file_store_root("file:rel/store", cwd), cwd / "rel/store");
  EXPECT_EQ(file_store_root("rel", cwd), cwd / "rel");
  EXPECT_EQ(file_store_root("/abs", cwd), fs::path("/abs"));
  EXPECT_EQ(file_store_root("file:///with%20space", cwd), fs::path("/with space"));
}

TEST(MlflowFileStore, LaysOutANewStoreAsMlflowDoes) {
  test::ScratchDir dir;
  const fs::path artifact = dir / "focus_model.json";
  std::ofstream(artifact) << "{\"format\": \"ethovid-focus-model\"}";
  const fs::path root = dir / "mlruns";
  const MlflowRun run = sample_run(artifact);
  const MlflowResult r = log_mlflow_run(run, "file://" + root.string());
  EXPECT_FALSE(r.rest);
  EXPECT_EQ(r.location, root.string());

  // The Default experiment of a new store, and the trash folder FileStore makes.
  // clang-format off
  EXPECT_EQ(read_file(root / "0" / "meta.yaml"),
            "artifact_location: file://" + root.string() + "/0\n"
            "creation_time: 1700000000123\n"
            "experiment_id: '0'\n"
            "last_update_time: 1700000000123\n"
            "lifecycle_stage: active\n"
            "name: Default\n");
  // clang-format on
  EXPECT_TRUE(fs::is_directory(root / ".trash"));

  // The new experiment: an 18-digit id, its meta.yaml with this moment's times.
  ASSERT_TRUE(std::regex_match(r.experiment_id, std::regex("[1-9][0-9]{17}"))) << r.experiment_id;
  const std::string experiment_meta = read_file(root / r.experiment_id / "meta.yaml");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(experiment_meta, m,
                               std::regex("artifact_location: (.*)\ncreation_time: ([0-9]+)\n"
                                          "experiment_id: '([0-9]+)'\nlast_update_time: ([0-9]+)\n"
                                          "lifecycle_stage: active\nname: focus\n")))
      << experiment_meta;
  EXPECT_EQ(m[1].str(), "file://" + root.string() + "/" + r.experiment_id);
  EXPECT_EQ(m[3].str(), r.experiment_id);
  EXPECT_EQ(m[2].str(), m[4].str());

  // The run.
  ASSERT_TRUE(std::regex_match(r.run_id, std::regex("[0-9a-f]{32}"))) << r.run_id;
  const fs::path run_dir = root / r.experiment_id / r.run_id;
  EXPECT_EQ(r.run_dir, run_dir);
  EXPECT_EQ(r.artifact_uri,
            "file://" + root.string() + "/" + r.experiment_id + "/" + r.run_id + "/artifacts");
  // clang-format off
  EXPECT_EQ(read_file(run_dir / "meta.yaml"),
            "artifact_uri: " + r.artifact_uri + "\n"
            "end_time: 1700000005456\n"
            "entry_point_name: ''\n"
            "experiment_id: '" + r.experiment_id + "'\n"
            "lifecycle_stage: active\n"
            "run_id: " + yaml_string(r.run_id) + "\n"
            "run_name: bright-owl-7\n"
            "run_uuid: " + yaml_string(r.run_id) + "\n"
            "source_name: ''\n"
            "source_type: 4\n"
            "source_version: ''\n"
            "start_time: 1700000000123\n"
            "status: 3\n"
            "tags: []\n"
            "user_id: alice\n");
  // clang-format on
  EXPECT_EQ(read_file(run_dir / "params" / "C"), "1.0");
  EXPECT_EQ(read_file(run_dir / "params" / "features"), "face_present,nose_offset_abs");
  EXPECT_EQ(read_file(run_dir / "metrics" / "accuracy"), "1700000005456 0.75 0\n");
  EXPECT_EQ(read_file(run_dir / "metrics" / "log_loss"), "1700000005456 0.30000000000000004 0\n");
  EXPECT_FALSE(fs::exists(run_dir / "metrics" / "roc_auc_AWAY"));
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("roc_auc_AWAY"), std::string::npos);
  EXPECT_EQ(read_file(run_dir / "tags" / "mlflow.runName"), "bright-owl-7");
  EXPECT_EQ(read_file(run_dir / "tags" / "mlflow.user"), "alice");
  EXPECT_EQ(read_file(run_dir / "tags" / "mlflow.source.name"), "ethovid focus train");
  EXPECT_EQ(read_file(run_dir / "tags" / "mlflow.source.type"), "LOCAL");
  EXPECT_EQ(read_file(run_dir / "tags" / "ethovid.version"), "0.1.0");
  EXPECT_EQ(read_file(run_dir / "artifacts" / "focus_model.json"), read_file(artifact));
  // Nothing else in the run folder, and no staging folder left behind.
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(run_dir))
    entries.push_back(e.path().filename().string());
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries,
            (std::vector<std::string>{"artifacts", "meta.yaml", "metrics", "params", "tags"}));
  std::vector<std::string> in_experiment;
  for (const auto& e : fs::directory_iterator(root / r.experiment_id)) {
    in_experiment.push_back(e.path().filename().string());
  }
  std::sort(in_experiment.begin(), in_experiment.end());
  EXPECT_EQ(in_experiment, (std::vector<std::string>{r.run_id, "meta.yaml"}));

  // A second run joins the same experiment.
  const MlflowResult again = log_to_file_store(run, root);
  EXPECT_EQ(again.experiment_id, r.experiment_id);
  EXPECT_NE(again.run_id, r.run_id);
  EXPECT_TRUE(fs::is_regular_file(root / r.experiment_id / again.run_id / "meta.yaml"));
}

TEST(MlflowFileStore, MetaFilesAreWhatPyYamlWritesForTheSameValues) {
  // Loads each meta.yaml with Debian's PyYAML and dumps it again the way MLflow's write_yaml
  // does (safe_dump, block style, sorted keys): the text must not change, and the types must
  // be MLflow's (ids as strings, times and status as integers, tags an empty list).
  test::ScratchDir dir;
  const fs::path artifact = dir / "a.json";
  std::ofstream(artifact) << "{}";
  const MlflowResult r = log_to_file_store(sample_run(artifact), dir / "mlruns");
  const std::string script =
      "import sys, yaml\n"
      "for path in sys.argv[1:]:\n"
      "    text = open(path).read()\n"
      "    data = yaml.safe_load(text)\n"
      "    again = yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True,\n"
      "                      Dumper=yaml.SafeDumper)\n"
      "    assert again == text, (path, again, text)\n"
      "    assert isinstance(data['experiment_id'], str), path\n"
      "    if 'run_id' in data:\n"
      "        assert data['status'] == 3 and data['source_type'] == 4 and data['tags'] == []\n"
      "        assert isinstance(data['start_time'], int) and isinstance(data['end_time'], int)\n"
      "        assert isinstance(data['run_id'], str) and data['run_id'] == data['run_uuid']\n"
      "    else:\n"
      "        assert isinstance(data['creation_time'], int) and data['lifecycle_stage'] == "
      "'active'\n";
  const fs::path script_path = dir / "check.py";
  std::ofstream(script_path) << script;
  const fs::path root = dir / "mlruns";
  const int rc = std::system("/usr/bin/python3 -c 'import yaml' 2>/dev/null");
  if (rc != 0) GTEST_SKIP() << "Debian's python3-yaml is not installed";
  const std::string command =
      "/usr/bin/python3 " + script_path.string() + " " + (root / "0" / "meta.yaml").string() + " " +
      (root / r.experiment_id / "meta.yaml").string() + " " + (r.run_dir / "meta.yaml").string();
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(MlflowFileStore, ADeletedExperimentOfTheNameIsAnError) {
  test::ScratchDir dir;
  const fs::path root = dir / "mlruns";
  fs::create_directories(root / "0");
  fs::create_directories(root / ".trash" / "42");
  std::ofstream(root / ".trash" / "42" / "meta.yaml")
      << "artifact_location: file:///x/42\ncreation_time: 1\nexperiment_id: '42'\n"
         "last_update_time: 2\nlifecycle_stage: deleted\nname: focus\n";
  const fs::path artifact = dir / "a.json";
  std::ofstream(artifact) << "{}";
  test::expect_error<TrackingError>([&] { log_to_file_store(sample_run(artifact), root); },
                                    {"'focus'", "deleted", ".trash/42", "--experiment-id 42"});
}

TEST(MlflowFileStore, AnExistingExperimentIsFoundByName) {
  test::ScratchDir dir;
  const fs::path root = dir / "mlruns";
  fs::create_directories(root / "0");
  fs::create_directories(root / ".trash");
  fs::create_directories(root / "5");
  std::ofstream(root / "5" / "meta.yaml")
      << "artifact_location: file://" << (root / "5").string()
      << "\ncreation_time: 1\nexperiment_id: '5'\n"
         "last_update_time: 2\nlifecycle_stage: active\nname: focus\n";
  const fs::path artifact = dir / "a.json";
  std::ofstream(artifact) << "{}";
  const MlflowResult r = log_to_file_store(sample_run(artifact), root);
  EXPECT_EQ(r.experiment_id, "5");
  EXPECT_TRUE(fs::is_regular_file(root / "5" / r.run_id / "artifacts" / "a.json"));
  EXPECT_FALSE(fs::exists(root / "0" / "meta.yaml"));  // an existing store is not given one
  // An experiment whose meta.yaml has no artifact_location (and a malformed one beside it):
  // the artifacts go to its own folder.
  fs::create_directories(root / "9");
  std::ofstream(root / "9" / "meta.yaml") << "experiment_id: '9'\nname: bare\n";
  fs::create_directories(root / "10");
  std::ofstream(root / "10" / "meta.yaml") << "name: [not, a, name]\n";
  MlflowRun bare = sample_run(artifact);
  bare.experiment_name = "bare";
  const MlflowResult b = log_to_file_store(bare, root);
  EXPECT_EQ(b.experiment_id, "9");
  EXPECT_TRUE(fs::is_regular_file(root / "9" / b.run_id / "artifacts" / "a.json"));
  EXPECT_EQ(b.artifact_uri, "file://" + root.string() + "/9/" + b.run_id + "/artifacts");
}

TEST(MlflowFileStore, OtherStoresAreNamed) {
  const MlflowRun run;
  test::expect_error<TrackingError>([&] { log_mlflow_run(run, "sqlite:///mlflow.db"); },
                                    {"sqlite:///mlflow.db", "mlflow server"});
}

// ---- REST ----

struct Recorded {
  std::string method, path, body, authorization;
};

// Answers as an MLflow 2.x tracking server with proxied artifacts does, for the calls
// log_to_rest makes; records each request.
class FakeMlflowServer {
 public:
  explicit FakeMlflowServer(std::string prefix = "") : prefix_(std::move(prefix)) {
    const auto record = [this](const httplib::Request& req) {
      std::lock_guard lock(mutex_);
      std::string path = req.path;
      if (!req.params.empty()) {
        path += "?";
        for (const auto& [k, v] : req.params) path += k + "=" + v;
      }
      requests_.push_back({req.method, path, req.body, req.get_header_value("Authorization")});
    };
    const std::string api = prefix_ + "/api/2.0/mlflow/";
    server_.Get(api + "experiments/get-by-name", [this, record](const httplib::Request& req,
                                                                httplib::Response& res) {
      record(req);
      if (existing_experiment_) {
        res.set_content(
            json{{"experiment",
                  {{"experiment_id", "3"}, {"name", "focus"}, {"lifecycle_stage", "active"}}}}
                .dump(),
            "application/json");
      } else {
        res.status = 404;
        res.set_content(R"({"error_code": "RESOURCE_DOES_NOT_EXIST", )"
                        R"("message": "Could not find experiment with name 'focus'"})",
                        "application/json");
      }
    });
    server_.Post(api + "experiments/create",
                 [record](const httplib::Request& req, httplib::Response& res) {
                   record(req);
                   res.set_content(R"({"experiment_id": "7"})", "application/json");
                 });
    server_.Post(api + "runs/create",
                 [this, record](const httplib::Request& req, httplib::Response& res) {
                   record(req);
                   const json body = json::parse(req.body);
                   const std::string exp = body.at("experiment_id");
                   res.set_content(json{{"run",
                                         {{"info",
                                           {{"run_id", "abc123"},
                                            {"run_uuid", "abc123"},
                                            {"experiment_id", exp},
                                            {"status", "RUNNING"},
                                            {"artifact_uri", artifact_uri_},
                                            {"lifecycle_stage", "active"}}},
                                          {"data", json::object()}}}}
                                       .dump(),
                                   "application/json");
                 });
    server_.Post(api + "runs/log-batch", [this, record](const httplib::Request& req,
                                                        httplib::Response& res) {
      record(req);
      if (fail_log_batch_) {
        res.status = 400;
        res.set_content(R"({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad param"})",
                        "application/json");
        return;
      }
      res.set_content("{}", "application/json");
    });
    server_.Post(api + "runs/update",
                 [record](const httplib::Request& req, httplib::Response& res) {
                   record(req);
                   res.set_content(R"({"run_info": {}})", "application/json");
                 });
    server_.Put(R"(.*/api/2\.0/mlflow-artifacts/artifacts/.*)",
                [record](const httplib::Request& req, httplib::Response& res) {
                  record(req);
                  res.set_content("{}", "application/json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing until the listening loop runs.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeMlflowServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + prefix_; }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  bool existing_experiment_ = false;
  bool fail_log_batch_ = false;
  std::string artifact_uri_ = "mlflow-artifacts:/7/abc123/artifacts";

 private:
  std::string prefix_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Recorded> requests_;
};

TEST(MlflowRest, LogsARunThroughTheApi) {
  test::ScratchDir dir;
  const fs::path artifact = dir / "focus_model.json";
  std::ofstream(artifact) << "{\"format\": \"ethovid-focus-model\"}";
  FakeMlflowServer server;
  const MlflowResult r = log_mlflow_run(sample_run(artifact), server.url());
  EXPECT_TRUE(r.rest);
  EXPECT_EQ(r.experiment_id, "7");
  EXPECT_EQ(r.run_id, "abc123");
  EXPECT_EQ(r.artifact_uri, "mlflow-artifacts:/7/abc123/artifacts");

  const std::vector<Recorded> q = server.requests();
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0].method, "GET");
  EXPECT_EQ(q[0].path, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=focus");
  EXPECT_EQ(q[1].method, "POST");
  EXPECT_EQ(q[1].path, "/api/2.0/mlflow/experiments/create");
  EXPECT_EQ(json::parse(q[1].body), (json{{"name", "focus"}}));

  EXPECT_EQ(q[2].path, "/api/2.0/mlflow/runs/create");
  const json create = json::parse(q[2].body);
  EXPECT_EQ(create.at("experiment_id"), "7");
  EXPECT_EQ(create.at("user_id"), "alice");
  EXPECT_EQ(create.at("run_name"), "bright-owl-7");
  EXPECT_EQ(create.at("start_time"), 1700000000123);
  std::map<std::string, std::string> tags;
  for (const json& t : create.at("tags")) tags[t.at("key")] = t.at("value");
  EXPECT_EQ(tags, (std::map<std::string, std::string>{{"ethovid.version", "0.1.0"},
                                                      {"mlflow.runName", "bright-owl-7"},
                                                      {"mlflow.source.name", "ethovid focus train"},
                                                      {"mlflow.source.type", "LOCAL"},
                                                      {"mlflow.user", "alice"}}));

  EXPECT_EQ(q[3].path, "/api/2.0/mlflow/runs/log-batch");
  const json batch = json::parse(q[3].body);
  EXPECT_EQ(batch.at("run_id"), "abc123");
  EXPECT_EQ(batch.at("params"),
            (json::array({{{"key", "C"}, {"value", "1.0"}},
                          {{"key", "features"}, {"value", "face_present,nose_offset_abs"}}})));
  ASSERT_EQ(batch.at("metrics").size(), 2u);  // the NaN one is left out
  EXPECT_EQ(
      batch.at("metrics")[0],
      (json{{"key", "accuracy"}, {"value", 0.75}, {"timestamp", 1700000005456}, {"step", 0}}));
  EXPECT_EQ(batch.at("metrics")[1].at("key"), "log_loss");
  EXPECT_DOUBLE_EQ(batch.at("metrics")[1].at("value").get<double>(), 0.1 + 0.2);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("roc_auc_AWAY"), std::string::npos);

  EXPECT_EQ(q[4].method, "PUT");
  EXPECT_EQ(q[4].path, "/api/2.0/mlflow-artifacts/artifacts/7/abc123/artifacts/focus_model.json");
  EXPECT_EQ(q[4].body, read_file(artifact));

  EXPECT_EQ(q[5].path, "/api/2.0/mlflow/runs/update");
  EXPECT_EQ(json::parse(q[5].body), (json{{"run_id", "abc123"},
                                          {"run_uuid", "abc123"},
                                          {"status", "FINISHED"},
                                          {"end_time", 1700000005456}}));
}

TEST(MlflowRest, UsesAnExistingExperimentAPathPrefixAndTheToken) {
  test::ScratchDir dir;
  const fs::path artifact = dir / "m.json";
  std::ofstream(artifact) << "{}";
  FakeMlflowServer server("/mlflow");
  server.existing_experiment_ = true;
  setenv("MLFLOW_TRACKING_TOKEN", "s3cret", 1);
  const MlflowResult r = log_to_rest(sample_run(artifact), server.url());
  unsetenv("MLFLOW_TRACKING_TOKEN");
  EXPECT_EQ(r.experiment_id, "3");
  const std::vector<Recorded> q = server.requests();
  ASSERT_EQ(q.size(), 5u);  // no experiments/create
  EXPECT_EQ(q[0].path, "/mlflow/api/2.0/mlflow/experiments/get-by-name?experiment_name=focus");
  EXPECT_EQ(q[1].path, "/mlflow/api/2.0/mlflow/runs/create");
  EXPECT_EQ(json::parse(q[1].body).at("experiment_id"), "3");
  EXPECT_EQ(q[3].path, "/mlflow/api/2.0/mlflow-artifacts/artifacts/7/abc123/artifacts/m.json");
  for (const Recorded& rq : q) EXPECT_EQ(rq.authorization, "Bearer s3cret") << rq.path;
}

TEST(MlflowRest, BatchesWithinMlflowsLimits) {
  FakeMlflowServer server;
  MlflowRun run;
  run.user = "bob";
  run.run_name = "r";
  for (int i = 0; i < 150; ++i)
    run.params[std::string("p").append(std::to_string(1000 + i))] = std::to_string(i);
  for (int i = 0; i < 1200; ++i)
    run.metrics[std::string("m").append(std::to_string(10000 + i))] = i;
  log_to_rest(run, server.url());
  std::size_t params = 0, metrics = 0, batches = 0;
  for (const Recorded& rq : server.requests()) {
    if (rq.path != "/api/2.0/mlflow/runs/log-batch") continue;
    const json b = json::parse(rq.body);
    EXPECT_LE(b.at("params").size(), 100u);
    EXPECT_LE(b.at("metrics").size() + b.at("params").size(), 1000u);
    params += b.at("params").size();
    metrics += b.at("metrics").size();
    ++batches;
  }
  EXPECT_EQ(params, 150u);
  EXPECT_EQ(metrics, 1200u);
  EXPECT_EQ(batches, 2u);
}

TEST(MlflowRest, ARefusedRequestIsATrackingErrorAndTheRunIsMarkedFailed) {
  test::ScratchDir dir;
  const fs::path artifact = dir / "m.json";
  std::ofstream(artifact) << "{}";
  FakeMlflowServer server;
  server.fail_log_batch_ = true;
  test::expect_error<TrackingError>(
      [&] { log_to_rest(sample_run(artifact), server.url()); },
      {server.url(), "POST /api/2.0/mlflow/runs/log-batch", "400", "bad param"});
  const std::vector<Recorded> q = server.requests();
  ASSERT_FALSE(q.empty());
  EXPECT_EQ(q.back().path, "/api/2.0/mlflow/runs/update");
  EXPECT_EQ(json::parse(q.back().body).at("status"), "FAILED");
}

TEST(MlflowRest, ArtifactsOutsideTheServerAreNotedNotUploaded) {
  test::ScratchDir dir;
  const fs::path artifact = dir / "m.json";
  std::ofstream(artifact) << "{}";
  FakeMlflowServer server;
  server.artifact_uri_ = "s3://bucket/7/abc123/artifacts";
  const MlflowResult r = log_to_rest(sample_run(artifact), server.url());
  for (const Recorded& rq : server.requests()) EXPECT_NE(rq.method, "PUT");
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[1].find("s3://bucket/7/abc123/artifacts"), std::string::npos);
}

TEST(MlflowRest, AnUnreachableServerIsNamed) {
  // A port that was free a moment ago: bind, note it, close.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  test::expect_error<TrackingError>([&] { log_to_rest(MlflowRun{}, url); },
                                    {url, "could not be reached"});
  test::expect_error<TrackingError>([&] { log_to_rest(MlflowRun{}, "http://"); },
                                    {"not http(s)://host"});
}

TEST(MlflowRest, HttpsSpeaksTls) {
  // TLS to a plain-HTTP server fails in the handshake: the client did try TLS.
  FakeMlflowServer server;
  const std::string url = "https" + server.url().substr(4);
  test::expect_error<TrackingError>([&] { log_to_rest(MlflowRun{}, url); },
                                    {url, "could not be reached"});
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace ethovid::focus
