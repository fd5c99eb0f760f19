#include "ethovid/focus/model_server.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/core/http_server.hpp"

namespace ethovid::focus {

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kJsonType = "application/json";

// A request refused with a status and a one-line reason.
struct Refusal {
  int status;
  const char* kind;
  std::string message;
};

std::string to_text(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

void reply_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
  res.status = status;
  res.set_content(to_text({{"error", message}, {"kind", kind}}) + "\n", kJsonType);
}

// Shortest text that reads back as the same double, so a client gets exactly predict_proba's numbers.
void append_number(std::string& out, double x) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;
  out.append(buffer, end);
}

std::string describe(const char* type, const std::string& text = "") {
  std::string out = type;
  if (!text.empty()) out += " " + (text.size() > 40 ? text.substr(0, 37) + "..." : text);
  return out;
}

// Reads rows of features straight from a request body (nlohmann's SAX interface): no JSON tree is
// built, a key is compared with the model's feature names as it is read, and each complete row is
// handed to `on_row`. The first problem stops the parse and is kept as the refusal.
//   single: the body is one row (an object).
//   batch:  {"rows": [row, ...]} (other keys ignored) or [row, ...].
class RowReader {
 public:
  using RowCallback = void (*)(void* context, const std::vector<double>& row);

  RowReader(const std::vector<std::string>& features, bool batch, std::size_t max_rows, RowCallback on_row,
            void* context)
      : features_(features),
        batch_(batch),
        max_rows_(max_rows),
        on_row_(on_row),
        context_(context),
        values_(features.size()),
        present_(features.size()) {}

  // The refusal, or nullopt when the body was read and every row handed over. A body that is not
  // JSON is reported as such even when a row before the fault was already refused.
  std::optional<Refusal> read(const std::string& body) {
    const bool ok = Json::sax_parse(body.begin(), body.end(), this);
    if (!ok) return syntax_ ? syntax_ : Refusal{400, "BadJson", "the request body is not JSON"};
    if (refusal_) return refusal_;
    if (batch_ && root_object_ && !saw_rows_) {
      return Refusal{400, "BadJson", "the request body has no \"rows\": send {\"rows\": [{...}, ...]} or a JSON array"};
    }
    return std::nullopt;
  }

  // The SAX interface.
  bool null() { return value(Kind::kNull, 0, "null"); }
  bool boolean(bool b) { return value(Kind::kNumber, b ? 1.0 : 0.0, b ? "true" : "false"); }
  bool number_integer(Json::number_integer_t x) { return value(Kind::kNumber, static_cast<double>(x), ""); }
  bool number_unsigned(Json::number_unsigned_t x) { return value(Kind::kNumber, static_cast<double>(x), ""); }
  // The parser refuses numbers too large for a double itself, so `x` is finite.
  bool number_float(Json::number_float_t x, const Json::string_t&) { return value(Kind::kNumber, x, ""); }
  bool string(Json::string_t& s) { return value(Kind::kString, 0, s); }
  bool binary(Json::binary_t&) { return value(Kind::kString, 0, ""); }
  bool start_object(std::size_t) {
    if (!value(Kind::kObject, 0, "")) return false;
    ++depth_;
    if (starting_row_) {
      starting_row_ = false;
      row_depth_ = depth_;
      std::fill(present_.begin(), present_.end(), false);
      feature_ = -1;
    }
    return true;
  }
  bool end_object() {
    if (row_depth_ == depth_) {
      row_depth_ = 0;
      if (!finish_row()) return false;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (!value(Kind::kArray, 0, "")) return false;
    ++depth_;
    if (starting_rows_) {
      starting_rows_ = false;
      rows_depth_ = depth_;
    }
    return true;
  }
  bool end_array() {
    if (rows_depth_ == depth_) rows_depth_ = 0;
    --depth_;
    return true;
  }
  bool key(Json::string_t& k) {
    if (row_depth_ != 0 && depth_ == row_depth_) {
      feature_ = -1;
      for (std::size_t j = 0; j < features_.size(); ++j) {
        if (features_[j] == k) {
          feature_ = static_cast<int>(j);
          break;
        }
      }
    } else if (batch_ && root_object_ && depth_ == 1) {
      rows_key_ = k == "rows";
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) {
    // 406: a number too large for a double, i.e. not finite; name the feature it was given for.
    if (e.id == 406 && row_depth_ != 0 && depth_ == row_depth_ && feature_ >= 0) {
      syntax_ = Refusal{400, "BadFeature", where() + "feature '" + features_[static_cast<std::size_t>(feature_)] +
                                               "' must be a finite number, not " + describe("number", token)};
    } else {
      syntax_ = Refusal{400, "BadJson", std::string("the request body is not JSON: ") + e.what()};
    }
    return false;
  }

 private:
  enum class Kind { kNull, kNumber, kString, kObject, kArray };

  static const char* type_name(Kind kind) {
    switch (kind) {
      case Kind::kNull: return "null";
      case Kind::kNumber: return "number";
      case Kind::kString: return "string";
      case Kind::kObject: return "object";
      case Kind::kArray: return "array";
    }
    return "?";
  }

  // Keeps the first refusal and reads on (rows after it are not predicted), so that a body that
  // turns out not to be JSON is reported as that.
  bool refuse(int status, const char* kind, std::string message) {
    if (!refusal_) refusal_ = Refusal{status, kind, std::move(message)};
    return true;
  }

  std::string where() const { return batch_ ? "rows[" + std::to_string(rows_ - 1) + "]: " : ""; }

  // Every value, a container's start included, before it is entered: what it is depends on where.
  bool value(Kind kind, double x, const std::string& text) {
    if (depth_ == 0) {  // the body itself
      if (!batch_) {
        if (kind != Kind::kObject) {
          return refuse(400, "BadJson", "the request body must be a JSON object of features, not " +
                                            describe(type_name(kind), text));
        }
        return begin_row();
      }
      if (kind == Kind::kObject) {
        root_object_ = true;
        return true;
      }
      if (kind == Kind::kArray) {
        saw_rows_ = starting_rows_ = true;
        return true;
      }
      return refuse(400, "BadJson", "the request body must be {\"rows\": [...]} or a JSON array, not " +
                                        describe(type_name(kind), text));
    }
    if (row_depth_ != 0 && depth_ == row_depth_) {  // the value of a key in a row
      if (feature_ < 0) return true;                // not a feature: ignored
      const std::string& name = features_[static_cast<std::size_t>(feature_)];
      if (kind != Kind::kNumber) {
        return refuse(400, "BadFeature", where() + "feature '" + name + "' must be a finite number (or true/false), not " +
                                             describe(type_name(kind), text));
      }
      values_[static_cast<std::size_t>(feature_)] = x;
      present_[static_cast<std::size_t>(feature_)] = true;
      return true;
    }
    if (batch_ && rows_depth_ != 0 && depth_ == rows_depth_) {  // an element of the rows
      if (kind != Kind::kObject) {
        return refuse(400, "BadJson", "rows[" + std::to_string(rows_) + "] must be an object of features, not " +
                                          describe(type_name(kind), text));
      }
      return begin_row();
    }
    if (batch_ && root_object_ && depth_ == 1 && rows_key_) {  // the value of "rows"
      rows_key_ = false;
      if (saw_rows_) return refuse(400, "BadJson", "the request body has \"rows\" twice");
      if (kind != Kind::kArray) {
        return refuse(400, "BadJson", "\"rows\" must be an array of objects, not " + describe(type_name(kind), text));
      }
      saw_rows_ = starting_rows_ = true;
      return true;
    }
    return true;  // inside a value that is ignored
  }

  bool begin_row() {
    if (refusal_) return true;
    if (batch_ && rows_ >= max_rows_) {
      return refuse(413, "TooManyRows", "a batch may hold at most " + std::to_string(max_rows_) + " rows; this one has more");
    }
    ++rows_;
    starting_row_ = true;
    return true;
  }

  bool finish_row() {
    if (refusal_) return true;
    std::string missing;
    for (std::size_t j = 0; j < features_.size(); ++j) {
      if (present_[j]) continue;
      if (!missing.empty()) missing += ", ";
      missing += features_[j];
    }
    if (!missing.empty()) {
      std::string all;
      for (const auto& f : features_) all += (all.empty() ? "" : ", ") + f;
      return refuse(400, "MissingFeatures", where() + "missing features: " + missing + " (the model needs " + all + ")");
    }
    on_row_(context_, values_);
    return true;
  }

  const std::vector<std::string>& features_;
  const bool batch_;
  const std::size_t max_rows_;
  const RowCallback on_row_;
  void* const context_;
  std::vector<double> values_;
  std::vector<bool> present_;
  std::optional<Refusal> refusal_;  // the first thing wrong with a body that is JSON
  std::optional<Refusal> syntax_;   // why the body is not JSON
  int depth_ = 0;        // containers open
  int row_depth_ = 0;    // depth inside the row being read; 0 outside rows
  int rows_depth_ = 0;   // depth inside the rows array; 0 outside it
  int feature_ = -1;     // the feature the current key names, -1 for another key
  bool starting_row_ = false, starting_rows_ = false;
  bool root_object_ = false, rows_key_ = false, saw_rows_ = false;
  std::size_t rows_ = 0;
};

Json summary_json(const LatencyRing::Summary& s) {
  return {{"count", s.count}, {"total", s.total}, {"p50_ms", s.p50_ms},
          {"p95_ms", s.p95_ms}, {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}};
}

}  // namespace

LatencyRing::LatencyRing(std::size_t capacity)
    : capacity_(capacity), slots_(std::make_unique<std::atomic<std::uint32_t>[]>(capacity)) {
  for (std::size_t i = 0; i < capacity_; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

void LatencyRing::record(std::uint64_t nanoseconds) {
  const std::uint64_t slot = next_.fetch_add(1, std::memory_order_relaxed) % capacity_;
  const auto capped = static_cast<std::uint32_t>(std::min<std::uint64_t>(nanoseconds, UINT32_MAX));
  slots_[slot].store(capped, std::memory_order_relaxed);
}

LatencyRing::Summary LatencyRing::summary() const {
  Summary s;
  s.total = next_.load(std::memory_order_relaxed);
  s.count = static_cast<std::size_t>(std::min<std::uint64_t>(s.total, capacity_));
  if (s.count == 0) return s;
  std::vector<std::uint32_t> values(s.count);
  for (std::size_t i = 0; i < s.count; ++i) values[i] = slots_[i].load(std::memory_order_relaxed);
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least q of the window at or below it.
  const auto rank = [&](double q) {
    const auto r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.count)));
    return values[std::clamp<std::size_t>(r, 1, s.count) - 1] / 1e6;
  };
  s.p50_ms = rank(0.50);
  s.p95_ms = rank(0.95);
  s.p99_ms = rank(0.99);
  s.max_ms = values.back() / 1e6;
  return s;
}

struct ModelServer::Impl {
  FocusModel model;
  ModelServerOptions options;
  core::HttpServer http;
  std::vector<std::string> class_keys;  // `"NAME":` for each class, escaped once
  std::vector<std::string> state_values;  // `"NAME"` for each class
  std::string config_body;
  LatencyRing latency_single, latency_batch, latency_all;
  const Clock::time_point started = Clock::now();

  Impl(FocusModel m, ModelServerOptions o)
      : model(std::move(m)),
        options(std::move(o)),
        latency_single(std::max<std::size_t>(options.latency_window, 1)),
        latency_batch(std::max<std::size_t>(options.latency_window, 1)),
        latency_all(std::max<std::size_t>(options.latency_window, 1)) {
    if (options.threads < 1) throw ConfigError("focus serve needs at least 1 thread, not " + std::to_string(options.threads));
    if (options.max_body_bytes == 0 || options.max_batch_rows == 0 || options.latency_window == 0) {
      throw ConfigError("focus serve: max_body_bytes (" + std::to_string(options.max_body_bytes) + "), max_batch_rows (" +
                        std::to_string(options.max_batch_rows) + ") and latency_window (" +
                        std::to_string(options.latency_window) + ") must be > 0");
    }
    for (const auto& c : model.classes) {
      state_values.push_back(to_text(c));
      class_keys.push_back(state_values.back() + ":");
    }
    config_body = to_text({{"features", model.features},
                           {"classes", model.classes},
                           {"temperature", model.temperature},
                           {"training", model.training},
                           {"model_path", options.model_path},
                           {"model_sha256", options.model_sha256},
                           {"limits",
                            {{"max_body_bytes", options.max_body_bytes},
                             {"max_batch_rows", options.max_batch_rows},
                             {"threads", options.threads},
                             {"latency_window", options.latency_window},
                             {"keep_alive_timeout_s", 1}}}}) +
                  "\n";
    const auto threads = static_cast<std::size_t>(options.threads);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Many small requests on few connections: keep each connection for as long as its client
    // wants (httplib's default ends it after 5 requests), and send each answer at once rather
    // than waiting for the client's delayed ACK of the headers (httplib writes headers and body
    // separately).
    http.set_keep_alive_max_count(std::numeric_limits<std::size_t>::max());
    http.set_keep_alive_timeout(1);  // an idle connection frees its thread, and stop() is quick
    http.set_tcp_nodelay(true);
    http.set_payload_max_length(options.max_body_bytes);
    routes();
  }

  void routes() {
    http.Post("/predict", [this](const httplib::Request& req, httplib::Response& res) {
      predict(req, res, false);
    });
    http.Post("/predict/batch", [this](const httplib::Request& req, httplib::Response& res) {
      predict(req, res, true);
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      const double uptime = std::chrono::duration<double>(Clock::now() - started).count();
      res.set_content(to_text({{"status", "ok"},
                               {"features", model.features.size()},
                               {"classes", model.classes.size()},
                               {"uptime_s", uptime}}) +
                          "\n",
                      kJsonType);
    });
    http.Get("/config", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(config_body, kJsonType);
    });
    http.Get("/latency", [this](const httplib::Request&, httplib::Response& res) {
      const Json body = {{"window", options.latency_window},
                         {"unit", "ms, time inside the handler: parse, predict, answer"},
                         {"all", summary_json(latency_all.summary())},
                         {"predict", summary_json(latency_single.summary())},
                         {"predict_batch", summary_json(latency_batch.summary())}};
      res.set_content(to_text(body) + "\n", kJsonType);
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const Error& e) {
        reply_error(res, e.exit_code() == 2 ? 400 : 500, e.kind(), e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, "ComputationError", e.what());
      }
    });
    // httplib answers an unknown path (404), a method a path does not take (404 too) and a body
    // over the limit (413) itself, with no body: give those the same one-line JSON.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 413) {
        return reply_error(res, 413, "PayloadTooLarge",
                           "the request body is over " + std::to_string(options.max_body_bytes) + " bytes");
      }
      reply_error(res, res.status, "NotFound", req.method + " " + req.path + " is not part of this API");
    });
  }

  struct Answer {
    const Impl* impl;
    std::string* out;
    std::size_t rows = 0;
  };

  void append_prediction(std::string& out, const std::vector<double>& row) const {
    const std::vector<double> p = model.predict_proba(row);
    const auto best = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    out += "{\"state\":";
    out += state_values[best];
    out += ",\"probabilities\":{";
    for (std::size_t k = 0; k < p.size(); ++k) {
      if (k) out += ',';
      out += class_keys[k];
      append_number(out, p[k]);
    }
    out += "}}";
  }

  void predict(const httplib::Request& req, httplib::Response& res, bool batch) {
    const auto start = Clock::now();
    // One buffer per HTTP thread, reused: an answer costs no allocation once the buffer has grown.
    thread_local std::string out;
    out.clear();
    Answer answer{this, &out};
    if (batch) out += "{\"predictions\":[";
    RowReader reader(model.features, batch, options.max_batch_rows, [](void* context, const std::vector<double>& row) {
      auto& a = *static_cast<Answer*>(context);
      if (a.rows++) *a.out += ',';
      a.impl->append_prediction(*a.out, row);
    }, &answer);
    if (const auto refusal = reader.read(req.body)) {
      reply_error(res, refusal->status, refusal->kind, refusal->message);
    } else {
      if (batch) out += "]}";
      out += '\n';
      res.set_content(out, kJsonType);
    }
    const auto ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    (batch ? latency_batch : latency_single).record(ns);
    latency_all.record(ns);
  }
};

ModelServer::ModelServer(FocusModel model, ModelServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(options))) {}

ModelServer::~ModelServer() { stop(); }

int ModelServer::bind() {
  return impl_->http.bind_listener(impl_->options.host, impl_->options.port, "focus serve");
}

bool ModelServer::serve() { return impl_->http.listen_until_stopped(); }

void ModelServer::stop() { impl_->http.stop_listening(); }

}  // namespace ethovid::focus
