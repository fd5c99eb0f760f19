#pragma once
// A progress bar for long work: on a terminal it redraws one stderr line at most ten times a
// second with the rate (items/s) and the time left; when stderr is not a terminal, or the CI
// environment variable is set, it prints nothing at all.
#include <chrono>
#include <cstdint>
#include <string>

namespace ethovid::core {

class ProgressBar {
 public:
  // `total` may be 0 when unknown (then no percentage or ETA is shown). `unit` e.g. "frames".
  ProgressBar(std::string label, std::int64_t total, std::string unit = "frames");
  ~ProgressBar();  // finishes the line if still drawing

  void update(std::int64_t done);  // cheap: returns at once unless a redraw is due
  void finish();

  static bool enabled_for_this_process();  // a TTY on stderr and no CI variable

 private:
  void draw(bool final_draw);

  std::string label_;
  std::string unit_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Formats seconds as "1h02m", "3m05s" or "12s".
std::string format_duration(double seconds);

}  // namespace ethovid::core
