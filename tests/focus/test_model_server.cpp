// `focus serve` (model_server.hpp) on a free port, driven with cpp-httplib's client: the
// probabilities it answers are exactly FocusModel::predict_proba's; every refusal has its status
// and a one-line {"error", "kind"} body; /latency counts what was served; a connection stays open
// for many requests.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/focus_model.hpp"
#include "ethovid/focus/model_server.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

using nlohmann::json;

FocusModel reference_model() {
  FocusModel m;
  m.features = {"face_present", "nose_offset_abs", "nose_offset_signed"};
  m.classes = {"AWAY", "DISTRACTED", "FOCUSED"};
  m.mean = {0.8, 0.06, 0.0};
  m.scale = {0.4, 0.05, 0.08};
  m.impute = {0.0, 0.06, 0.0};
  m.coefficients = {{-3.0, 0.2, 0.0}, {0.5, 2.5, 0.3}, {1.5, -2.0, -0.1}};
  m.intercepts = {-0.5, -0.2, 0.7};
  m.temperature = 1.3;
  m.training = {{"rows", 5000}, {"data_sha256", "feed"}};
  return m;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelServerOptions options;
    options.port = 0;
    options.threads = 16;
    options.max_body_bytes = 4096;
    options.max_batch_rows = 5;
    options.latency_window = 50;
    options.model_path = "models/focus_model.json";
    options.model_sha256 = "abc123";
    server_ = std::make_unique<ModelServer>(model_, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }

  struct Reply {
    int status = 0;
    std::string text;
    json body;
  };
  static Reply reply_of(const httplib::Result& r) {
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.text = r->body;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  Reply post(const std::string& path, const std::string& body) {
    return reply_of(client_->Post(path.c_str(), body, "application/json"));
  }
  Reply get(const std::string& path) { return reply_of(client_->Get(path.c_str())); }

  // A refusal: its status, its kind, one line of JSON, and each fragment in the message.
  void expect_refusal(const Reply& r, int status, const std::string& kind, const std::vector<std::string>& fragments) {
    EXPECT_EQ(r.status, status) << r.text;
    EXPECT_EQ(r.body.value("kind", ""), kind) << r.text;
    ASSERT_TRUE(r.body.contains("error")) << r.text;
    const std::string message = r.body["error"].get<std::string>();
    for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << "'" << message << "' lacks '" << f << "'";
    ASSERT_FALSE(r.text.empty());
    EXPECT_EQ(r.text.find('\n'), r.text.size() - 1) << "not one line: " << r.text;
  }

  // The answer predict_proba gives for a row, checked number for number.
  void expect_prediction(const json& answer, const std::vector<double>& row) {
    const std::vector<double> p = model_.predict_proba(row);
    ASSERT_TRUE(answer.contains("probabilities")) << answer.dump();
    ASSERT_EQ(answer["probabilities"].size(), model_.classes.size());
    for (std::size_t k = 0; k < p.size(); ++k) {
      EXPECT_EQ(answer["probabilities"][model_.classes[k]].get<double>(), p[k]) << model_.classes[k];
    }
    EXPECT_EQ(answer["state"], model_.classes[model_.predict(row)]);
  }

  FocusModel model_ = reference_model();
  std::unique_ptr<ModelServer> server_;
  int port_ = 0;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, HealthAndConfigDescribeTheModelAndTheLimits) {
  const Reply health = get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body["status"], "ok");
  EXPECT_EQ(health.body["features"], 3);
  EXPECT_EQ(health.body["classes"], 3);
  const Reply config = get("/config");
  ASSERT_EQ(config.status, 200);
  EXPECT_EQ(config.body["features"], json(model_.features));
  EXPECT_EQ(config.body["classes"], json(model_.classes));
  EXPECT_EQ(config.body["temperature"], 1.3);
  EXPECT_EQ(config.body["training"]["rows"], 5000);
  EXPECT_EQ(config.body["model_path"], "models/focus_model.json");
  EXPECT_EQ(config.body["model_sha256"], "abc123");
  EXPECT_EQ(config.body["limits"]["max_batch_rows"], 5);
  EXPECT_EQ(config.body["limits"]["max_body_bytes"], 4096);
  EXPECT_EQ(config.body["limits"]["threads"], 16);
  EXPECT_EQ(config.body["limits"]["latency_window"], 50);
}

TEST_F(ServerTest, PredictAnswersTheModelsProbabilities) {
  const Reply r = post("/predict", R"({"face_present":1,"nose_offset_abs":0.02,"nose_offset_signed":0.01})");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "FOCUSED");
  expect_prediction(r.body, {1, 0.02, 0.01});
  // Another state, booleans as 1/0, integers, keys in any order, extra keys (of any shape) ignored.
  const Reply away = post("/predict", R"({"extra":{"a":[1,{"face_present":"x"}]},"nose_offset_signed":-0.3,
      "face_present":false,"nose_offset_abs":0,"note":"hi","more":null})");
  ASSERT_EQ(away.status, 200) << away.text;
  EXPECT_EQ(away.body["state"], "AWAY");
  expect_prediction(away.body, {0, 0, -0.3});
  const Reply distracted = post("/predict", R"({"face_present":true,"nose_offset_abs":0.3,"nose_offset_signed":2e-1})");
  ASSERT_EQ(distracted.status, 200) << distracted.text;
  EXPECT_EQ(distracted.body["state"], "DISTRACTED");
  expect_prediction(distracted.body, {1, 0.3, 0.2});
}

TEST_F(ServerTest, BatchAnswersEveryRowInOrderInBothShapes) {
  const std::vector<std::vector<double>> rows = {{1, 0.02, 0.01}, {0, 0, 0}, {1, 0.3, -0.3}};
  const std::string listed = R"([{"face_present":1,"nose_offset_abs":0.02,"nose_offset_signed":0.01},
      {"face_present":0,"nose_offset_abs":0,"nose_offset_signed":0},
      {"face_present":1,"nose_offset_abs":0.3,"nose_offset_signed":-0.3}])";
  for (const std::string& body : {listed, R"({"model":"x","rows":)" + listed + R"(,"after":[1,2]})"}) {
    const Reply r = post("/predict/batch", body);
    ASSERT_EQ(r.status, 200) << r.text;
    ASSERT_EQ(r.body["predictions"].size(), rows.size()) << r.text;
    for (std::size_t i = 0; i < rows.size(); ++i) expect_prediction(r.body["predictions"][i], rows[i]);
  }
  const Reply empty = post("/predict/batch", R"({"rows":[]})");
  ASSERT_EQ(empty.status, 200) << empty.text;
  EXPECT_EQ(empty.body, json({{"predictions", json::array()}}));
}

TEST_F(ServerTest, MissingFeaturesAreEachNamed) {
  expect_refusal(post("/predict", R"({"face_present":1})"), 400, "MissingFeatures",
                 {"nose_offset_abs, nose_offset_signed"});
  expect_refusal(post("/predict", R"({})"), 400, "MissingFeatures",
                 {"face_present, nose_offset_abs, nose_offset_signed"});
  // A feature only inside an ignored value does not count.
  expect_refusal(post("/predict", R"({"face_present":1,"nose_offset_abs":0.1,"x":{"nose_offset_signed":0}})"), 400,
                 "MissingFeatures", {"missing features: nose_offset_signed"});
  expect_refusal(post("/predict/batch", R"({"rows":[{"face_present":1,"nose_offset_abs":0.1,"nose_offset_signed":0},
                                                   {"face_present":1,"nose_offset_signed":0}]})"),
                 400, "MissingFeatures", {"rows[1]", "nose_offset_abs"});
}

TEST_F(ServerTest, FeaturesThatAreNotFiniteNumbersAreRefused) {
  const std::string rest = R"(,"nose_offset_abs":0.1,"nose_offset_signed":0})";
  for (const char* value : {"null", "\"NaN\"", "\"0.5\"", "{}", "[1]"}) {
    SCOPED_TRACE(value);
    expect_refusal(post("/predict", std::string(R"({"face_present":)") + value + rest), 400, "BadFeature",
                   {"'face_present'", "finite number"});
  }
  expect_refusal(post("/predict", R"({"face_present":1e999)" + rest), 400, "BadFeature",
                 {"'face_present'", "finite", "1e999"});
  expect_refusal(post("/predict/batch", R"([{"face_present":1)" + rest + R"(,{"face_present":null)" + rest + "]"), 400,
                 "BadFeature", {"rows[1]", "'face_present'", "null"});
}

TEST_F(ServerTest, BadJsonAndBodiesOfTheWrongShapeAre400) {
  expect_refusal(post("/predict", "{"), 400, "BadJson", {"not JSON"});
  expect_refusal(post("/predict", "face_present=1"), 400, "BadJson", {"not JSON"});
  expect_refusal(post("/predict", ""), 400, "BadJson", {"not JSON"});
  expect_refusal(post("/predict", R"({"face_present":1} {})"), 400, "BadJson", {"not JSON"});
  expect_refusal(post("/predict", "[1,2]"), 400, "BadJson", {"JSON object", "array"});
  expect_refusal(post("/predict/batch", R"({"rows":3})"), 400, "BadJson", {"\"rows\" must be an array", "number"});
  expect_refusal(post("/predict/batch", R"({"row":[]})"), 400, "BadJson", {"no \"rows\""});
  expect_refusal(post("/predict/batch", R"([1])"), 400, "BadJson", {"rows[0]", "object"});
  expect_refusal(post("/predict/batch", R"("rows")"), 400, "BadJson", {"JSON array", "string"});
}

TEST_F(ServerTest, OversizedBodiesAndBatchesAre413) {
  std::string big = R"({"face_present":1,"nose_offset_abs":0.1,"nose_offset_signed":0,"pad":")";
  big += std::string(5000, 'x') + "\"}";
  expect_refusal(post("/predict", big), 413, "PayloadTooLarge", {"4096 bytes"});
  std::string rows = "[";
  for (int i = 0; i < 6; ++i) rows += std::string(i ? "," : "") + R"({"face_present":1,"nose_offset_abs":0.1,"nose_offset_signed":0})";
  expect_refusal(post("/predict/batch", rows + "]"), 413, "TooManyRows", {"at most 5 rows"});
  // Five rows are fine; the server still answers after refusals.
  const Reply five = post("/predict/batch", rows.substr(0, rows.rfind(",{")) + "]");
  EXPECT_EQ(five.status, 200) << five.text;
  EXPECT_EQ(five.body["predictions"].size(), 5u);
}

TEST_F(ServerTest, UnknownPathsAre404) {
  expect_refusal(get("/nope"), 404, "NotFound", {"GET /nope"});
  expect_refusal(post("/predict/more", "{}"), 404, "NotFound", {"POST /predict/more"});
  expect_refusal(get("/predict"), 404, "NotFound", {"GET /predict"});
}

TEST_F(ServerTest, LatencyCountsTheLastRequestsOfEachEndpoint) {
  const std::string row = R"({"face_present":1,"nose_offset_abs":0.02,"nose_offset_signed":0.01})";
  for (int i = 0; i < 7; ++i) ASSERT_EQ(post("/predict", row).status, 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(post("/predict/batch", "[" + row + "," + row + "]").status, 200);
  get("/health");  // not counted
  const Reply r = get("/latency");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["window"], 50);
  EXPECT_EQ(r.body["predict"]["count"], 7);
  EXPECT_EQ(r.body["predict_batch"]["count"], 3);
  EXPECT_EQ(r.body["all"]["count"], 10);
  for (const char* which : {"predict", "predict_batch", "all"}) {
    const json& s = r.body[which];
    EXPECT_GT(s["p50_ms"].get<double>(), 0) << which;
    EXPECT_LE(s["p50_ms"].get<double>(), s["p95_ms"].get<double>()) << which;
    EXPECT_LE(s["p95_ms"].get<double>(), s["p99_ms"].get<double>()) << which;
    EXPECT_LE(s["p99_ms"].get<double>(), s["max_ms"].get<double>()) << which;
  }
  // Past the window: the count stays at the window, the total goes on.
  for (int i = 0; i < 45; ++i) ASSERT_EQ(post("/predict", row).status, 200);
  const Reply later = get("/latency");
  EXPECT_EQ(later.body["predict"]["count"], 50);
  EXPECT_EQ(later.body["predict"]["total"], 52);
  EXPECT_EQ(later.body["all"]["total"], 55);
}

// Sends `count` requests one after another on one TCP connection; the number answered 200.
int answered_on_one_connection(int port, int count) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  const std::string body = R"({"face_present":1,"nose_offset_abs":0.02,"nose_offset_signed":0.01})";
  const std::string request = "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  int answered = 0;
  for (int i = 0; i < count; ++i) {
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) break;
    std::string reply;
    std::size_t needed = std::string::npos;
    char buffer[4096];
    while (needed == std::string::npos || reply.size() < needed) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
      const auto end = reply.find("\r\n\r\n");
      const auto length = reply.find("Content-Length: ");
      if (end != std::string::npos && length != std::string::npos && length < end) {
        needed = end + 4 + std::stoul(reply.substr(length + 16));
      }
    }
    if (needed == std::string::npos || reply.size() < needed || reply.rfind("HTTP/1.1 200", 0) != 0) break;
    ++answered;
  }
  ::close(fd);
  return answered;
}

TEST_F(ServerTest, OneConnectionServesManyRequests) {
  // httplib's default closes a connection after 5 requests; a client must not have to reconnect.
  EXPECT_EQ(answered_on_one_connection(port_, 40), 40);
}

TEST_F(ServerTest, ConcurrentClientsGetTheirOwnAnswers) {
  // Eight connections at once, each with its own rows: no answer is mixed up with another's.
  std::vector<std::thread> clients;
  std::vector<int> wrong(8, 0);
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port_);
      for (int i = 0; i < 50; ++i) {
        const double offset = 0.001 * (c * 50 + i);
        const json row = {{"face_present", 1}, {"nose_offset_abs", offset}, {"nose_offset_signed", -offset}};
        const auto r = client.Post("/predict", row.dump(), "application/json");
        const std::vector<double> p = model_.predict_proba({1, offset, -offset});
        if (!r || r->status != 200 || json::parse(r->body)["probabilities"]["FOCUSED"].get<double>() != p[2]) ++wrong[c];
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < 8; ++c) EXPECT_EQ(wrong[c], 0) << "client " << c;
}

TEST(LatencyRing, PercentilesAreNearestRankOverTheWindow) {
  LatencyRing ring(100);
  EXPECT_EQ(ring.summary().count, 0u);
  EXPECT_EQ(ring.summary().p99_ms, 0.0);
  for (int ms = 100; ms >= 1; --ms) ring.record(static_cast<std::uint64_t>(ms) * 1000000);
  LatencyRing::Summary s = ring.summary();
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.total, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  // A hundred fast requests push every slow one out of the window.
  for (int i = 0; i < 100; ++i) ring.record(250000);
  s = ring.summary();
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.total, 200u);
  EXPECT_DOUBLE_EQ(s.p99_ms, 0.25);
  EXPECT_DOUBLE_EQ(s.max_ms, 0.25);
}

TEST(ModelServer, RefusesOptionsItCannotServeWith) {
  ModelServerOptions options;
  options.threads = 0;
  test::expect_error<ConfigError>([&] { ModelServer(reference_model(), options); }, {"thread", "0"});
  options.threads = 2;
  options.max_batch_rows = 0;
  test::expect_error<ConfigError>([&] { ModelServer(reference_model(), options); }, {"max_batch_rows (0)"});
}

TEST(ModelServer, APortInUseIsAConfigErrorNamingIt) {
  ModelServerOptions options;
  options.port = 0;
  ModelServer first(reference_model(), options);
  options.port = first.bind();
  ModelServer second(reference_model(), options);
  test::expect_error<ConfigError>([&] { second.bind(); }, {"127.0.0.1:" + std::to_string(options.port)});
}

}  // namespace
}  // namespace ethovid::focus
