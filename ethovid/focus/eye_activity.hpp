#pragma once
// The rolling eye measures of the focus stage (issue 12 §1), on the session clock in seconds:
//   PERCLOS     the share of the last `window_s` (60 s) of measured time with the eyes at least
//               80 % closed (P80, the drowsiness measure of driver monitoring);
//   blink rate  closures shorter than `blink_max_s`, per minute of measured time in the window;
//   closed for  how long the current closure has lasted (a closure longer than a blink is a sign
//               of drowsiness).
// Each frame's eye state counts for the time until the next frame, at most `max_gap_s`, so the
// measures do not depend on the frame rate and a lost frame changes little. Frames without a
// measurement (no face) add no time.
#include <deque>
#include <optional>
#include <utility>

namespace ethovid::focus {

struct EyeActivityOptions {
  double window_s = 60;
  double closed_at = 0.8;     // eye_closure at or above this is "closed" (P80)
  double blink_max_s = 0.5;   // a closure at most this long is a blink
  double max_gap_s = 0.5;     // a frame counts for at most this long
  double min_measured_s = 5;  // PERCLOS and the blink rate are NaN with less measured time
};

struct EyeActivityValues {
  double perclos;             // NaN until min_measured_s
  double blink_rate_per_min;  // NaN until min_measured_s
  double closed_s;            // 0 while open; NaN when this frame has no measurement
};

class EyeActivity {
 public:
  explicit EyeActivity(EyeActivityOptions options = {});  // ConfigError for non-positive times
  // The measures after a frame at time t with eye closure `closure` (0..1, NaN = not measured).
  EyeActivityValues update(double t, double closure);

 private:
  struct Span {  // a stretch of measured time
    double start, end;
    bool closed;
  };
  void add_span(double start, double end, bool closed);
  void forget_before(double t);

  EyeActivityOptions options_;
  std::optional<double> last_t_;
  std::optional<bool> last_closed_;  // the state held since last_t_ (nullopt: not measured)
  std::optional<double> closed_since_;
  std::deque<Span> spans_;
  std::deque<double> blinks_;                   // times at which blinks ended
  double measured_s_ = 0, closed_total_s_ = 0;  // sums over spans_
};

}  // namespace ethovid::focus

namespace ethovid::focus {

// This person's open-eye aspect ratio: the median EAR of the frames with a face in the last
// `window_s` seconds (eyes are open most of the time, so blinks and glances down do not move the
// median), `initial` until samples span `min_span_s` seconds. EAR differs between people and with
// the camera's angle, so closure is measured against this rather than against a fixed EAR.
// The caller leaves out frames another measure says are closed (the eye network), so eyes shut
// for most of a minute do not become the "open" reference.
class OpenEyeReference {
 public:
  explicit OpenEyeReference(double window_s = 60, double initial = 0.30, double min_span_s = 2);
  void add(double t, double ear);  // NaN is ignored
  double value() const;

 private:
  static constexpr int kBins = 160;  // EAR 0 .. 0.8 in steps of 0.005
  static constexpr double kBinWidth = 0.005;
  double window_s_, initial_, min_span_s_;
  std::deque<std::pair<double, int>> samples_;  // (time, bin)
  int counts_[kBins] = {};
};

}  // namespace ethovid::focus
