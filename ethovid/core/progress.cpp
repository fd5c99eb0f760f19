#include "ethovid/core/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/error.hpp"

namespace ethovid::core {

using Clock = std::chrono::steady_clock;

bool ProgressBar::enabled_for_this_process() {
  const char* ci = std::getenv("CI");
  return isatty(STDERR_FILENO) && (ci == nullptr || *ci == '\0');
}

void ProgressHook::throw_if_cancelled(const std::string& what) const {
  if (cancel != nullptr && cancel->load()) throw CancelledError("cancelled during " + what);
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, std::string unit,
                         const ProgressHook* hook)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      hook_(hook),
      enabled_(enabled_for_this_process()),
      start_(Clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::int64_t done) {
  done_ = done;
  if (hook_ != nullptr) hook_->throw_if_cancelled(label_);
  if (!enabled_ && hook_ == nullptr) return;
  const auto now = Clock::now();
  if (reported_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  report();
  if (enabled_) draw(false);
}

void ProgressBar::report() {
  reported_ = true;
  reported_done_ = done_;
  if (hook_ != nullptr && hook_->on_progress) hook_->on_progress(label_, done_, total_);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!reported_ || reported_done_ != done_) report();
  if (enabled_) draw(true);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lds", s);
  }
  return buffer;
}

void ProgressBar::draw(bool final_draw) {
  const double elapsed = seconds_since(start_);
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  constexpr int kWidth = 28;
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done_) / total_);
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '-');
    const double eta = rate > 0 ? (total_ - done_) / rate : NAN;
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld %s  %.0f %s/s  ETA %s   ", label_.c_str(),
                 bar.c_str(), 100 * fraction, static_cast<long long>(done_),
                 static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str(),
                 format_duration(eta).c_str());
  } else {
    std::fprintf(stderr, "\r%s %lld %s  %.0f %s/s   ", label_.c_str(),
                 static_cast<long long>(done_), unit_.c_str(), rate, unit_.c_str());
  }
  if (final_draw) std::fprintf(stderr, " in %s\n", format_duration(elapsed).c_str());
  std::fflush(stderr);
}

}  // namespace ethovid::core
