#include "ethovid/focus/focus_session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <opencv2/highgui.hpp>
#include <random>
#include <thread>

#include "ethovid/core/error.hpp"
#include "ethovid/core/progress.hpp"
#include "ethovid/focus/event_log.hpp"
#include "ethovid/focus/frame_source.hpp"
#include "ethovid/focus/interventions.hpp"
#include "ethovid/focus/measured_frames.hpp"
#include "ethovid/focus/overlay.hpp"
#include "ethovid/focus/session_hub.hpp"

namespace ethovid::focus {

namespace {

using Steady = std::chrono::steady_clock;
using Json = nlohmann::json;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc_text(std::int64_t us, const char* format) {
  const auto seconds = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

// A run id that sorts by time and is safe in a file name: 20261204T183700Z-3f2a.
std::string new_run_id() {
  static std::mt19937 random(std::random_device{}());
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffff));
  return utc_text(now_us(), "%Y%m%dT%H%M%SZ") + "-" + suffix;
}

std::unique_ptr<FrameSource> open_source(const SourceOptions& s) {
  if (s.camera && !s.video.empty())
    throw ConfigError("focus run: give a camera or a video, not both");
  if (s.camera) return open_camera_source(*s.camera);
  if (s.video.empty()) throw ConfigError("focus run: give --camera N or --video FILE");
  return open_video_source(s.video, s.realtime, s.fps);
}

vision::ModelConfig models_of(const SessionOptions& o) {
  return vision::load_model_config(o.model_config.empty() ? vision::default_model_config_path()
                                                          : o.model_config);
}

// A file read as fast as it goes is measured on every core; a camera or a paced file needs one.
int measuring_threads(const SessionOptions& o, const FrameSource& source) {
  if (source.is_camera() || o.source.realtime) return 1;
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 4);
}

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json intervention_json(const Intervention& i, double at_s) {
  return {
      {"type", i.type}, {"kind", i.kind}, {"reason", i.reason}, {"level", i.level}, {"at_s", at_s}};
}

// One session: its state machine (modes, runs, camera), and what each frame adds to the log,
// the counters and the hub.
class Session {
 public:
  Session(const SessionOptions& o, SessionHub* hub)
      : o_(o),
        hub_(hub),
        policy_(make_policy(o.policy)),
        interventions_(o.interventions.empty() ? default_intervention_rules()
                                               : load_interventions(o.interventions)),
        source_(open_source(o.source)),
        frames_(measure_frames(*source_, models_of(o), o.features, measuring_threads(o, *source_))),
        log_(EventLogOptions{.events_dir = o.events_dir,
                             .flush_s = o.flush_s,
                             .log_hz = o.log_hz,
                             .clock = {},
                             .background = true}) {
    if (o.policy.rules.window_frames > 0) {
      policy_ = make_policy(with_window_in_seconds(o.policy, source_->nominal_fps()));
    }
    result_.session_id =
        o.session_id.empty() ? "session-" + utc_text(now_us(), "%Y%m%d-%H%M%S") : o.session_id;
    begin_run();
  }

  SessionResult run(const std::atomic<bool>* stop) {
    const Steady::time_point began = Steady::now();
    std::optional<core::ProgressBar> progress;
    if (o_.progress && !source_->is_camera() && !o_.source.realtime) {
      progress.emplace("focus", source_->frame_count(), "frames");
    }
    if (o_.window) open_window();
    try {
      Frame frame;
      FrameFeatures features;
      while (!(stop && stop->load()) && take_commands()) {
        if (!camera_on_ && source_->is_camera()) {  // nothing to read: the device is closed
          camera_off_row(source_->now_s());
          log_.flush_if_due();
          if (o_.window && !window_keys()) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        if (!frames_->next(frame, features)) break;
        if (camera_on_) {
          process(frame, features);
        } else {
          camera_off_row(frame.t_s);
        }
        if (progress) progress->update(frame.index + 1);
        if (o_.window && !window_keys()) break;
      }
    } catch (...) {
      // What was measured so far stays; the error that ended the loop is the one to report, even
      // when the log cannot be closed cleanly either.
      try {
        log_.close();
      } catch (const std::exception& e) {
        std::cerr << "focus run: the event log could not be closed: " << e.what() << "\n";
      }
      throw;
    }
    if (progress) progress->finish();
    if (o_.window) cv::destroyWindow(kWindow);
    end_run();
    log_.close();
    publish_status(true);
    result_.frames_dropped = source_->dropped();
    result_.counters = tracker_.counters();
    result_.rows_logged = log_.rows_written();
    result_.seconds = std::chrono::duration<double>(Steady::now() - began).count();
    return result_;
  }

 private:
  static constexpr const char* kWindow = "ethovid focus";

  static void open_window() {
    try {
      cv::namedWindow(kWindow, cv::WINDOW_AUTOSIZE);
    } catch (const cv::Exception&) {
      throw ConfigError(
          "focus run --window: no display to show a window on (run without --window, or use /ui)");
    }
  }

  void begin_run() {
    run_id_ = new_run_id();
    mode_ = SessionMode::Running;
    tracker_.restart();
    policy_->reset();
    interventions_ = InterventionEngine(interventions_.config());
    ++result_.runs;
    session_event();
  }
  void end_run() {
    if (mode_ == SessionMode::Stopped) return;
    mode_ = SessionMode::Stopped;
    log_.flush();
    session_event();
  }
  void session_event() {
    if (hub_)
      hub_->publish_event("session",
                          {{"session_mode", session_mode_name(mode_)}, {"run_id", run_id_}});
  }

  // Applies the server's commands; false when the loop should end.
  bool take_commands() {
    if (!hub_) return true;
    for (const ControlCommand c : hub_->take_commands()) {
      switch (c) {
        case ControlCommand::Start:
          if (mode_ == SessionMode::Stopped) {
            begin_run();
          } else if (mode_ == SessionMode::Paused) {
            mode_ = SessionMode::Running;
            session_event();
          }
          break;
        case ControlCommand::Pause:
          if (mode_ == SessionMode::Running) mode_ = SessionMode::Paused, session_event();
          break;
        case ControlCommand::Stop:
          end_run();
          break;
        case ControlCommand::CameraOn:
        case ControlCommand::CameraOff:
          camera_on_ = c == ControlCommand::CameraOn;
          source_->set_enabled(camera_on_);
          if (camera_on_) frames_->reset();  // the face may be anywhere now
          break;
        case ControlCommand::TestIntervention:
          pending_test_ = true;
          break;
      }
    }
    return true;
  }

  void process(const Frame& frame, const FrameFeatures& features) {
    const double t = frame.t_s;
    last_t_ = t;
    EventRecord r = base_record(frame.index, t);
    r.features = features;
    const PolicyDecision d = policy_->decide(t, r.features);
    r.state_raw = d.raw, r.state_smooth = d.smooth, r.drowsy = d.drowsy, r.policy_reason = d.reason;
    calibrated_ = d.calibrated;
    const bool counting = mode_ == SessionMode::Running;
    if (const auto change = tracker_.on_frame(t, d.smooth, counting); change && hub_) {
      hub_->publish_event(
          "state",
          {{"state", state_name(change->state)},
           {"previous", change->previous ? Json(state_name(*change->previous)) : Json(nullptr)},
           {"at_s", t}});
    }
    std::vector<FiredIntervention> fired;
    if (mode_ != SessionMode::Stopped)
      fired = interventions_.update(t, d.smooth, d.drowsy, counting);
    if (pending_test_) fired.push_back(interventions_.test(t)), pending_test_ = false;
    for (const FiredIntervention& i : fired) fire(i, t);
    if (!fired.empty()) r.intervention_fired = true, r.intervention = fired.front();
    if (mode_ != SessionMode::Stopped) log_.append(r);
    ++result_.frames_processed;
    fps_.add(Steady::now());
    last_features_ = r.features;
    last_decision_ = d;
    publish_status(false);
    if (hub_ || o_.window) publish_frame(frame.bgr, r.features, d);
  }

  void fire(const FiredIntervention& i, double t) {
    ++interventions_fired_;
    last_intervention_ = intervention_json(i, t);
    if (hub_) hub_->publish_event("intervention", last_intervention_);
    if (i.pause_session && mode_ == SessionMode::Running) {
      mode_ = SessionMode::Paused;
      session_event();
    }
  }

  EventRecord base_record(std::int64_t index, double t) const {
    EventRecord r;
    r.ts_us = now_us();
    r.session_id = result_.session_id;
    r.run_id = run_id_;
    r.session_mode = mode_;
    r.camera_on = camera_on_;
    r.frame_index = index;
    r.video_time_s = t;
    return r;
  }

  // With the camera off there is nothing to measure: a row a second says so.
  void camera_off_row(double t) {
    const bool test = pending_test_;  // a test intervention does not wait for the camera
    if (!test && (mode_ == SessionMode::Stopped || (last_off_row_ && t - *last_off_row_ < 1.0)))
      return;
    last_off_row_ = t;
    EventRecord r = base_record(-1, t);
    r.state_raw = r.state_smooth = FocusState::Away;
    r.policy_reason = "camera off";
    if (test) {
      pending_test_ = false;
      const FiredIntervention fired = interventions_.test(t);
      fire(fired, t);
      r.intervention_fired = true, r.intervention = fired;
    }
    if (mode_ != SessionMode::Stopped) log_.append(r);
    tracker_.on_frame(t, FocusState::Away, false);
    publish_status(true);
  }

  void publish_frame(const cv::Mat& bgr, const FrameFeatures& f, const PolicyDecision& d) {
    const Steady::time_point now = Steady::now();
    if (o_.stream_fps > 0 &&
        now - last_stream_ < std::chrono::duration<double>(1.0 / o_.stream_fps) && !o_.window)
      return;
    last_stream_ = now;
    OverlayText text{d.smooth, last_t_ - tracker_.state_since_s(), session_mode_name(mode_),
                     d.drowsy, camera_on_};
    overlay_ = draw_overlay(bgr, f, text);
    if (hub_) hub_->publish_frame(encode_jpeg(overlay_, o_.jpeg_quality));
  }

  bool window_keys() {
    if (!overlay_.empty()) cv::imshow(kWindow, overlay_);
    const int key = cv::waitKey(1) & 0xff;
    if (key == 'q') return false;
    if (key == 'c') {
      camera_on_ = !camera_on_;
      source_->set_enabled(camera_on_);
      if (camera_on_) frames_->reset();
    }
    return true;
  }

  // Status for /status, at most ten times a second unless `now`.
  void publish_status(bool now) {
    if (!hub_) return;
    const Steady::time_point t = Steady::now();
    if (!now && t - last_status_ < std::chrono::milliseconds(100)) return;
    last_status_ = t;
    const SessionCounters& c = tracker_.counters();
    const auto state = tracker_.state();
    Json status = {
        {"session_id", result_.session_id},
        {"run_id", run_id_},
        {"session_mode", session_mode_name(mode_)},
        {"camera_on", camera_on_},
        {"source", source_->describe()},
        {"policy", policy_kind_name(o_.policy.kind)},
        {"calibrated", calibrated_},
        {"state", state ? Json(state_name(*state)) : Json(nullptr)},
        {"state_raw", state_name(last_decision_.raw)},
        {"state_since_s", tracker_.state_since_s()},
        {"state_duration_s", last_t_ - tracker_.state_since_s()},
        {"drowsy", last_decision_.drowsy},
        {"policy_reason", last_decision_.reason},
        {"video_time_s", last_t_},
        {"frames_processed", result_.frames_processed},
        {"frames_dropped", source_->dropped()},
        {"fps", fps_.value()},
        {"features", features_json(last_features_)},
        {"counters",
         {{"focused_s", c.focused_s},
          {"distracted_s", c.distracted_s},
          {"away_s", c.away_s},
          {"distractions", c.distractions},
          {"longest_focused_s", c.longest_focused_s},
          {"perclos", number_or_null(last_features_.perclos)},
          {"interventions", interventions_fired_}}},
        {"timeline", tracker_.timeline()},
        {"last_intervention", last_intervention_},
    };
    hub_->publish_status(std::move(status));
  }

  // Frames per second of wall time over the last two seconds.
  struct Rate {
    std::deque<Steady::time_point> times;
    void add(Steady::time_point t) {
      times.push_back(t);
      while (times.size() > 2 && t - times.front() > std::chrono::seconds(2)) times.pop_front();
    }
    double value() const {
      if (times.size() < 2) return 0;
      return (times.size() - 1) /
             std::chrono::duration<double>(times.back() - times.front()).count();
    }
  };

  const SessionOptions& o_;
  SessionHub* hub_;
  std::unique_ptr<Policy> policy_;
  InterventionEngine interventions_;
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<MeasuredFrames> frames_;
  EventLogWriter log_;
  SessionTracker tracker_;
  SessionResult result_;
  std::string run_id_;
  SessionMode mode_ = SessionMode::Running;
  bool camera_on_ = true, pending_test_ = false, calibrated_ = false;
  double last_t_ = 0;
  std::optional<double> last_off_row_;
  FrameFeatures last_features_;
  PolicyDecision last_decision_;
  int interventions_fired_ = 0;
  Json last_intervention_ = nullptr;
  cv::Mat overlay_;
  Steady::time_point last_stream_{}, last_status_{};
  Rate fps_;
};

}  // namespace

SessionResult run_focus_session(const SessionOptions& options, SessionHub* hub,
                                const std::atomic<bool>* stop) {
  Session session(options, hub);
  return session.run(stop);
}

}  // namespace ethovid::focus
