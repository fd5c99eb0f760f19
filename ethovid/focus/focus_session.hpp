#pragma once
// The focus stage's live loop (issue 12 §3), `ethovid focus run`: frames from a camera or a file,
// features, the policy, interventions, one event-log row per processed frame (or at log_hz), and,
// when a SessionHub is given, the overlay frames, the status and the events for the control
// server, whose commands (start, pause, stop, camera on/off, test intervention) the loop takes
// once per frame.
//
// Session modes as in the reference: the session starts RUNNING with a new run_id; PAUSED keeps
// measuring and logging (rows say PAUSED) but counts nothing and fires no interventions; STOPPED
// ends the run (its last rows are flushed) and logs nothing until a start begins a new run_id.
// With the camera off no frame is read (a camera is released), and a row with camera_on false
// is logged once a second.
//
// Files: only the event log (event_log.hpp) under `events_dir`. No frame, crop or landmark image
// is ever written; overlay frames exist in memory for the stream and the window only.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "ethovid/focus/feature_extractor.hpp"
#include "ethovid/focus/policy.hpp"
#include "ethovid/focus/session_tracker.hpp"

namespace ethovid::focus {

class SessionHub;

struct SourceOptions {
  std::optional<int> camera;  // a V4L2 device index, or
  std::string video;          // a video file, image sequence pattern or GIF
  bool realtime = false;      // pace a file like a camera
  double fps = 0;             // overrides the file's frame rate (needed for image sequences)
};

struct SessionOptions {
  SourceOptions source;
  std::filesystem::path events_dir = "data/events";
  std::string session_id;              // empty: "session-YYYYMMDD-HHMMSS" of the start (UTC)
  std::filesystem::path model_config;  // the face models; empty = the default config
  PolicyConfig policy;
  FeatureOptions features;
  std::filesystem::path interventions;  // interventions.yaml; empty = the built-in defaults
  double flush_s = 5;
  double log_hz = 0;       // 0: every processed frame
  double stream_fps = 15;  // overlay frames published to the hub at most this often
  int jpeg_quality = 75;
  bool window = false;   // an OpenCV window with the overlay: q quits, c camera on/off
  bool progress = true;  // a progress bar for files on a terminal
};

struct SessionResult {
  std::int64_t frames_processed = 0;
  std::int64_t frames_dropped = 0;
  std::int64_t rows_logged = 0;
  int runs = 0;
  SessionCounters counters;  // of the last run
  std::string session_id;
  double seconds = 0;  // wall time
};

// Runs until the file ends, `stop` is set, the window's q, or (with a camera) forever. Errors of
// the source, the models, the policy or the interventions file are thrown before any row is
// written; the log is flushed on every way out, errors included.
SessionResult run_focus_session(const SessionOptions& options, SessionHub* hub = nullptr,
                                const std::atomic<bool>* stop = nullptr);

// Reads app.yaml onto `options` (ConfigError naming the file and key for unknown keys and bad
// values). Flags given on the command line are applied after it, so they win.
void apply_focus_config(const std::filesystem::path& file, SessionOptions& options);

}  // namespace ethovid::focus
