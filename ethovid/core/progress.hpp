#pragma once
// A progress bar for long work: on a terminal it redraws one stderr line at most ten times a
// second with the rate (items/s) and the time left; when stderr is not a terminal, or the CI
// environment variable is set, it prints nothing at all.
//
// A ProgressHook lets something other than a terminal follow the same work (the HTTP job server
// streams it as events) and stop it: once `cancel` is set, the next update() throws
// CancelledError, so a cancelled run ends like a failed one, before any output is written.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace ethovid::core {

struct ProgressHook {
  // Called on the first update, then at most ten times a second, and once at the end.
  std::function<void(const std::string& label, std::int64_t done, std::int64_t total)> on_progress;
  const std::atomic<bool>* cancel = nullptr;

  // Throws CancelledError naming `what` when cancellation was asked for.
  void throw_if_cancelled(const std::string& what) const;
};

class ProgressBar {
 public:
  // `total` may be 0 when unknown (then no percentage or ETA is shown). `unit` e.g. "frames".
  // `hook` (may be null) must outlive the bar.
  ProgressBar(std::string label, std::int64_t total, std::string unit = "frames",
              const ProgressHook* hook = nullptr);
  ~ProgressBar();  // finishes the line if still drawing

  // Cheap: returns at once unless a redraw is due. Throws CancelledError when the hook says so.
  void update(std::int64_t done);
  void finish();

  static bool enabled_for_this_process();  // a TTY on stderr and no CI variable

 private:
  void draw(bool final_draw);
  void report();  // to the hook

  std::string label_;
  std::string unit_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  const ProgressHook* hook_;
  bool enabled_;
  bool finished_ = false;
  bool reported_ = false;  // the hook has seen at least one update
  std::int64_t reported_done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Formats seconds as "1h02m", "3m05s" or "12s".
std::string format_duration(double seconds);

}  // namespace ethovid::core
