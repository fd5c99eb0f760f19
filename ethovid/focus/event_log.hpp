#pragma once
// The focus event log (issue 12 §4): partitioned Parquet, one row per processed frame (or at
// `log_hz`), laid out as
//   EVENTS_DIR/date=YYYY-MM-DD/part-<run_id>-<seq>.parquet
// so that DuckDB, polars and pandas read the whole log with
//   SELECT * FROM read_parquet('EVENTS_DIR/*/*.parquet', hive_partitioning = true)
// Rows are written in flushes: each flush is new files (one per date and run present), each
// written under a hidden temporary name that does not end in ".parquet" and then renamed, so a
// `kill -9` loses at most the rows of one flush interval and never leaves a part a reader chokes
// on. An existing part is never replaced (another process resuming the same run_id takes the next
// free seq). The writer knows rows only: no frame, crop or landmark ever reaches it.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ethovid/core/table.hpp"
#include "ethovid/focus/event_record.hpp"

namespace ethovid::focus {

// The log's columns in the contract's order (docs/focus.md): ts (TIMESTAMP WITH TIME ZONE, UTC,
// µs), date (VARCHAR "YYYY-MM-DD" in the file), session_id, run_id, session_mode, camera_on,
// face_present, nose_offset_abs, nose_offset_signed, state_raw, state_smooth, intervention_fired,
// intervention_type, policy_reason, intervention_kind, intervention_reason, frame_index,
// video_time_s, drowsy, intervention_level, face_count, face_size, head_yaw_deg, head_pitch_deg,
// head_roll_deg, ear_left, ear_right, eyes_closed_prob, eye_closure, eyes_closed_s, brightness,
// perclos, blink_rate_per_min, time_since_face_s, detector_ran.
std::vector<core::ColumnSpec> event_log_schema();

// The UTC calendar date of an instant in µs since the epoch, "YYYY-MM-DD".
std::string utc_date(std::int64_t ts_us);

// The records as a table of event_log_schema(). `date` is always derived from ts (UTC), so the
// column and the partition it is written under always agree.
// The intervention strings and level are "" / 0 unless intervention_fired.
core::Table event_table(const std::vector<EventRecord>& records);

struct EventLogOptions {
  std::filesystem::path events_dir;  // created when absent
  double flush_s = 5.0;              // wall-clock seconds between flushes (> 0)
  // 0 = every record. Else at most this many rows per second of the session clock
  // (video_time_s): the first record of each 1/log_hz slot is kept. Records with an intervention
  // fired, and the first record after a change of session, run, session mode, smoothed state,
  // drowsy flag or camera, are always kept, so a thinned log loses no intervention and no
  // state change.
  double log_hz = 0;
  // Wall-clock seconds on any monotonic origin; empty = std::chrono::steady_clock. Tests inject
  // their own clock to drive the flush timer without sleeping.
  std::function<double()> clock;
  // Write parts on a thread of the writer's own: a flush then only hands the rows over, so a
  // live loop never waits for Parquet (a flush of 150 rows takes ~20 ms). A failed background
  // write loses that flush's rows and is thrown by the next append(), flush() or close().
  bool background = false;
};

// One loop appends and flushes (the methods are not for concurrent callers); with
// `background`, parts are written on the writer's own thread.
class EventLogWriter {
 public:
  // ConfigError on bad options. Removes the temporary files dead writers left in the log.
  explicit EventLogWriter(EventLogOptions options);
  ~EventLogWriter();  // close(), reporting a failure on stderr (a destructor cannot throw)
  EventLogWriter(const EventLogWriter&) = delete;
  EventLogWriter& operator=(const EventLogWriter&) = delete;

  // Buffers the record (unless log_hz thins it out), then flushes if flush_s has passed since the
  // last flush. FormatError for a run_id that cannot name a file (empty, or characters other than
  // letters, digits, '.', '_', '-'). Error after close().
  void append(const EventRecord& record);
  // Flushes when flush_s has passed since the last flush; for a loop that is idle (no frames)
  // but still wants the log on disk. True when it flushed.
  bool flush_if_due();
  // Writes the buffered rows now (nothing when none); with `background`, hands them to the
  // writer's thread. A synchronous write that fails keeps the rows that were not written in the
  // buffer and throws core's Error naming the part.
  void flush();
  // The last flush, and with `background` waits until every part is written; later appends are
  // errors. Idempotent.
  void close();

  std::int64_t rows_written() const;
  std::size_t rows_buffered() const { return buffer_.size(); }  // not yet handed to a flush
  std::vector<std::filesystem::path> parts_written() const;

 private:
  double now() const;
  bool keep(const EventRecord& record);
  std::int64_t next_seq(const std::string& run_id);
  void write_rows(std::vector<EventRecord>& rows);  // leaves the rows not written
  void background_loop();
  void rethrow_background_error(std::unique_lock<std::mutex>& lock);

  EventLogOptions options_;
  std::vector<EventRecord> buffer_;
  double last_flush_ = 0;
  bool closed_ = false;
  // Written by whichever thread writes parts; guarded by stats_mutex_.
  mutable std::mutex stats_mutex_;
  std::int64_t rows_written_ = 0;
  std::vector<std::filesystem::path> parts_;
  std::map<std::string, std::int64_t> seq_;  // run_id -> the next seq to try
  // The background writer: flushes waiting, guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<EventRecord>> pending_;
  bool stopping_ = false;
  std::exception_ptr background_error_;
  std::vector<EventRecord> unwritten_;  // rows a failed background write kept, for the next flush
  std::thread worker_;
  // Thinning state: the last record seen (kept or not) and the slot of the last kept one.
  bool have_last_ = false;
  std::string last_session_, last_run_;
  SessionMode last_mode_ = SessionMode::Running;
  FocusState last_state_ = FocusState::Away;
  bool last_drowsy_ = false, last_camera_ = true;
  std::int64_t last_slot_ = 0;
};

// Reads every part of the log under `events_dir` with DuckDB's hive query above (by column name
// across parts: a part without a column gives NULLs there, NaN in a float). `columns` empty
// = every column in the schema's order; else those, in that order. Rows ordered by session_id,
// run_id, ts. `date` comes back as a string "YYYY-MM-DD": DuckDB itself types the hive
// partition as DATE (it overrides the file's VARCHAR column of the same name and value), and the
// reader casts it back so a core::Table can hold it. `ts` is kTimestampUtc.
// MissingInputError naming the folder when it holds no part; FormatError naming every missing
// column (among `columns`, and session_id, run_id, ts which the order needs) in one message.
core::Table read_event_log(const std::filesystem::path& events_dir,
                           const std::vector<std::string>& columns = {});

}  // namespace ethovid::focus
