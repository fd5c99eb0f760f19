#pragma once
// `ethovid focus serve`: the trained focus model (focus_model.hpp) over HTTP (cpp-httplib), JSON
// in and out, on loopback unless asked otherwise.
//
//   GET  /health         {"status": "ok", "features": F, "classes": K, "uptime_s": ...}
//   GET  /config         the model's features, classes, temperature and training block, its path
//                        and sha256, and the server's limits
//   GET  /latency        over the last `latency_window` requests of /predict and /predict/batch
//                        (each, and both together): count, p50/p95/p99/max in milliseconds, the
//                        time inside the handler (parse, predict, answer), and the total served
//   POST /predict        one row: {"face_present": 1, "nose_offset_abs": 0.02, ...} with every
//                        feature the model was trained on (numbers; true/false read as 1/0; other
//                        keys ignored) -> {"state": "FOCUSED", "probabilities": {"AWAY": ..., ...}}
//   POST /predict/batch  {"rows": [{...}, ...]} or a bare JSON array of rows
//                        -> {"predictions": [{"state", "probabilities"}, ...]} in the same order
//
// Statuses: 400 bad JSON, a body of the wrong shape, a missing feature (every missing one is
// named) or a feature that is not a finite number (null, a string, an object); 413 a body over
// `max_body_bytes` or a batch over `max_batch_rows`; 404 any other path. Every error body is one
// line {"error": ..., "kind": ...}; kinds: BadJson, MissingFeatures, BadFeature, PayloadTooLarge,
// TooManyRows, NotFound.
//
// Built for many small requests: connections are kept alive (each one holds one of `threads` while
// it is open), Nagle is off, a row is read straight from the body without building a JSON tree,
// and the answer is written directly.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ethovid/focus/focus_model.hpp"

namespace ethovid::focus {

struct ModelServerOptions {
  std::string host = "127.0.0.1";  // loopback only unless asked
  int port = 8002;                 // 0: any free port (bind() says which)
  int threads = 32;                // connections served at once (each keep-alive connection holds one)
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::size_t max_batch_rows = 10000;    // more rows in one /predict/batch get 413
  std::size_t latency_window = 10000;    // requests /latency summarises
  std::string model_path;                // shown by /config
  std::string model_sha256;              // shown by /config
};

// The latency of the last `capacity` requests, recorded from many threads without a lock: each
// record takes a slot with one atomic increment. A summary taken while requests are recorded may
// read a slot just taken but not yet written (its previous value), which a percentile over
// thousands of requests does not notice.
class LatencyRing {
 public:
  explicit LatencyRing(std::size_t capacity);
  void record(std::uint64_t nanoseconds);
  struct Summary {
    std::size_t count = 0;   // requests in the window
    std::uint64_t total = 0; // requests recorded since the start
    double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;  // nearest rank; 0 when count is 0
  };
  Summary summary() const;

 private:
  std::size_t capacity_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> slots_;  // nanoseconds, capped at ~4.3 s
  std::atomic<std::uint64_t> next_{0};
};

class ModelServer {
 public:
  // ConfigError for options it cannot serve with (threads < 1, a zero limit).
  ModelServer(FocusModel model, ModelServerOptions options);
  ~ModelServer();  // stops serving
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;

  // Binds the listening socket and returns the port. ConfigError when it cannot.
  int bind();
  // Serves until stop(); bind() first. False when listening failed.
  bool serve();
  // Safe from any thread; returns once connections idle for a second are closed.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ethovid::focus
