#include "ethovid/focus/event_log.hpp"

#include <fcntl.h>  // AT_FDCWD
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <iterator>
#include <utility>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/scratch_files.hpp"

namespace ethovid::focus {

namespace fs = std::filesystem;
using core::Column;
using core::ColumnSpec;
using core::ColumnType;

namespace {

constexpr const char* kPartPrefix = "part-";
constexpr const char* kPartSuffix = ".parquet";
constexpr const char* kDatePrefix = "date=";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void check_run_id(const std::string& run_id, const fs::path& dir) {
  const bool ok = !run_id.empty() && std::all_of(run_id.begin(), run_id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!ok) {
    throw FormatError("event log " + dir.string() + ": run_id '" + run_id +
                      "' cannot name a part file (it must be non-empty letters, digits, '.', '_' "
                      "or '-')");
  }
}

std::string padded_seq(std::int64_t seq) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%06lld", static_cast<long long>(seq));
  return buffer;
}

// The seq of `name` when it is a part of `run_id` ("part-<run_id>-<digits>.parquet"), else -1.
std::int64_t part_seq(const std::string& name, const std::string& run_id) {
  const std::string prefix = std::string(kPartPrefix) + run_id + "-";
  if (name.rfind(prefix, 0) != 0 || !ends_with(name, kPartSuffix)) return -1;
  const std::string digits =
      name.substr(prefix.size(), name.size() - prefix.size() - std::strlen(kPartSuffix));
  if (!all_digits(digits) || digits.size() > 18) return -1;
  return std::stoll(digits);
}

// Moves `from` to `to` unless `to` exists (never replacing a part another process wrote). False
// when `to` exists.
bool rename_no_replace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) {
    throw Error("could not write " + to.string() + ": cannot rename " + from.string() + " (" +
                std::strerror(errno) + ")");
  }
  // A filesystem without RENAME_NOREPLACE: a hard link fails the same way when `to` exists.
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return false;
    throw Error("could not write " + to.string() + ": cannot link " + from.string() + " (" +
                std::strerror(errno) + ")");
  }
  ::unlink(from.c_str());
  return true;
}

core::Table table_of(const std::vector<const EventRecord*>& records) {
  const std::size_t n = records.size();
  std::vector<std::int64_t> ts(n), frame_index(n), level(n), face_count(n);
  std::vector<std::string> date(n), session(n), run(n), mode(n), raw(n), smooth(n), itype(n),
      reason(n), ikind(n), ireason(n);
  std::vector<std::int8_t> camera(n), face(n), fired(n), drowsy(n), detector(n);
  std::vector<double> nose_abs(n), nose_signed(n), video_time(n), face_size(n), yaw(n), pitch(n),
      roll(n), ear_l(n), ear_r(n), closed(n), closure(n), closed_s(n), bright(n), perclos(n), blink(n), since_face(n);
  for (std::size_t i = 0; i < n; ++i) {
    const EventRecord& r = *records[i];
    const FrameFeatures& f = r.features;
    ts[i] = r.ts_us;
    date[i] = utc_date(r.ts_us);
    session[i] = r.session_id;
    run[i] = r.run_id;
    mode[i] = session_mode_name(r.session_mode);
    camera[i] = r.camera_on;
    face[i] = f.face_present;
    nose_abs[i] = f.nose_offset_abs;
    nose_signed[i] = f.nose_offset_signed;
    raw[i] = state_name(r.state_raw);
    smooth[i] = state_name(r.state_smooth);
    fired[i] = r.intervention_fired;
    reason[i] = r.policy_reason;
    if (r.intervention_fired) {
      itype[i] = r.intervention.type;
      ikind[i] = r.intervention.kind;
      ireason[i] = r.intervention.reason;
      level[i] = r.intervention.level;
    }
    frame_index[i] = r.frame_index;
    video_time[i] = r.video_time_s;
    drowsy[i] = r.drowsy;
    face_count[i] = f.face_count;
    face_size[i] = f.face_size;
    yaw[i] = f.head_yaw_deg;
    pitch[i] = f.head_pitch_deg;
    roll[i] = f.head_roll_deg;
    ear_l[i] = f.ear_left;
    ear_r[i] = f.ear_right;
    closed[i] = f.eyes_closed_prob;
    closure[i] = f.eye_closure;
    closed_s[i] = f.eyes_closed_s;
    bright[i] = f.brightness;
    perclos[i] = f.perclos;
    blink[i] = f.blink_rate_per_min;
    since_face[i] = f.time_since_face_s;
    detector[i] = f.detector_ran;
  }
  core::Table t;
  t.add(Column::timestamp_utc("ts", std::move(ts)));
  t.add(Column::string("date", std::move(date)));
  t.add(Column::string("session_id", std::move(session)));
  t.add(Column::string("run_id", std::move(run)));
  t.add(Column::string("session_mode", std::move(mode)));
  t.add(Column::boolean("camera_on", std::move(camera)));
  t.add(Column::boolean("face_present", std::move(face)));
  t.add(Column::float64("nose_offset_abs", std::move(nose_abs)));
  t.add(Column::float64("nose_offset_signed", std::move(nose_signed)));
  t.add(Column::string("state_raw", std::move(raw)));
  t.add(Column::string("state_smooth", std::move(smooth)));
  t.add(Column::boolean("intervention_fired", std::move(fired)));
  t.add(Column::string("intervention_type", std::move(itype)));
  t.add(Column::string("policy_reason", std::move(reason)));
  t.add(Column::string("intervention_kind", std::move(ikind)));
  t.add(Column::string("intervention_reason", std::move(ireason)));
  t.add(Column::int64("frame_index", std::move(frame_index)));
  t.add(Column::float64("video_time_s", std::move(video_time)));
  t.add(Column::boolean("drowsy", std::move(drowsy)));
  t.add(Column::int64("intervention_level", std::move(level)));
  t.add(Column::int64("face_count", std::move(face_count)));
  t.add(Column::float64("face_size", std::move(face_size)));
  t.add(Column::float64("head_yaw_deg", std::move(yaw)));
  t.add(Column::float64("head_pitch_deg", std::move(pitch)));
  t.add(Column::float64("head_roll_deg", std::move(roll)));
  t.add(Column::float64("ear_left", std::move(ear_l)));
  t.add(Column::float64("ear_right", std::move(ear_r)));
  t.add(Column::float64("eyes_closed_prob", std::move(closed)));
  t.add(Column::float64("eye_closure", std::move(closure)));
  t.add(Column::float64("eyes_closed_s", std::move(closed_s)));
  t.add(Column::float64("brightness", std::move(bright)));
  t.add(Column::float64("perclos", std::move(perclos)));
  t.add(Column::float64("blink_rate_per_min", std::move(blink)));
  t.add(Column::float64("time_since_face_s", std::move(since_face)));
  t.add(Column::boolean("detector_ran", std::move(detector)));
  return t;
}

std::size_t count_parts(const fs::path& dir) {
  std::size_t parts = 0;
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(dir, ec)) {
    if (!sub.is_directory(ec)) continue;
    for (const auto& file : fs::directory_iterator(sub.path(), ec)) {
      if (file.is_regular_file(ec) && ends_with(file.path().filename().string(), kPartSuffix)) {
        ++parts;
      }
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

std::vector<ColumnSpec> event_log_schema() {
  const EventRecord none;
  return table_of({&none}).schema();
}

std::string utc_date(std::int64_t ts_us) {
  using namespace std::chrono;
  const sys_time<microseconds> instant{microseconds{ts_us}};
  const year_month_day day{floor<days>(instant)};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return buffer;
}

core::Table event_table(const std::vector<EventRecord>& records) {
  std::vector<const EventRecord*> pointers;
  pointers.reserve(records.size());
  for (const EventRecord& r : records) pointers.push_back(&r);
  return table_of(pointers);
}

// ---- EventLogWriter

EventLogWriter::EventLogWriter(EventLogOptions options) : options_(std::move(options)) {
  if (options_.events_dir.empty()) throw ConfigError("the event log needs an events folder");
  if (!(options_.flush_s > 0) || !std::isfinite(options_.flush_s)) {
    throw ConfigError("event log " + options_.events_dir.string() + ": flush_s is " +
                      std::to_string(options_.flush_s) +
                      "; it must be a positive number of seconds");
  }
  if (!(options_.log_hz >= 0) || !std::isfinite(options_.log_hz)) {
    throw ConfigError("event log " + options_.events_dir.string() + ": log_hz is " +
                      std::to_string(options_.log_hz) + "; it must be 0 (every frame) or positive");
  }
  std::error_code ec;
  fs::create_directories(options_.events_dir, ec);
  if (!fs::is_directory(options_.events_dir)) {
    throw Error("cannot create the event log folder " + options_.events_dir.string() +
                (ec ? " (" + ec.message() + ")" : ""));
  }
  // What a writer killed mid-flush left: hidden temporary files of processes no longer alive.
  // They never match the readers' glob, but they hold disk space.
  for (const auto& sub : fs::directory_iterator(options_.events_dir, ec)) {
    if (sub.is_directory(ec) && sub.path().filename().string().rfind(kDatePrefix, 0) == 0) {
      core::sweep_stale_scratch(sub.path());
    }
  }
  last_flush_ = now();
}

EventLogWriter::~EventLogWriter() {
  try {
    close();
  } catch (const std::exception& e) {
    std::cerr << "warning: the event log's last flush failed: " << e.what() << "\n";
  }
}

double EventLogWriter::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool EventLogWriter::keep(const EventRecord& r) {
  const bool changed = !have_last_ || r.session_id != last_session_ || r.run_id != last_run_ ||
                       r.session_mode != last_mode_ || r.state_smooth != last_state_ ||
                       r.drowsy != last_drowsy_ || r.camera_on != last_camera_;
  have_last_ = true;
  last_session_ = r.session_id;
  last_run_ = r.run_id;
  last_mode_ = r.session_mode;
  last_state_ = r.state_smooth;
  last_drowsy_ = r.drowsy;
  last_camera_ = r.camera_on;
  if (options_.log_hz <= 0) return true;
  const double slot_f = std::floor(r.video_time_s * options_.log_hz);
  if (!std::isfinite(slot_f)) return true;
  const auto slot = static_cast<std::int64_t>(slot_f);
  // A slot that differs (also backwards: a new run's clock) starts a new one.
  if (changed || r.intervention_fired || slot != last_slot_) {
    last_slot_ = slot;
    return true;
  }
  return false;
}

void EventLogWriter::append(const EventRecord& record) {
  if (closed_) {
    throw Error("cannot append to the event log " + options_.events_dir.string() +
                ": the writer is closed");
  }
  check_run_id(record.run_id, options_.events_dir);
  // A run's seq is found when the run first appears, not at its first flush, so two writers
  // resuming one run at once both start from the same seq and the rename that loses moves on.
  next_seq(record.run_id);
  if (keep(record)) {
    buffer_.push_back(record);
    buffer_.back().features.landmarks.reset();  // never logged; no need to hold them
  }
  if (options_.background) {  // a failed write is reported once the row is safe in the buffer
    std::unique_lock lock(mutex_);
    rethrow_background_error(lock);
  }
  flush_if_due();
}

bool EventLogWriter::flush_if_due() {
  if (closed_ || now() - last_flush_ < options_.flush_s) return false;
  flush();
  return true;
}

std::int64_t EventLogWriter::next_seq(const std::string& run_id) {
  std::lock_guard guard(stats_mutex_);  // the background writer advances seq_ too
  auto it = seq_.find(run_id);
  if (it != seq_.end()) return it->second;
  // A run resumed by another process (or an earlier writer) continues after its last part.
  std::int64_t next = 0;
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(options_.events_dir, ec)) {
    if (!sub.is_directory(ec)) continue;
    for (const auto& file : fs::directory_iterator(sub.path(), ec)) {
      const std::int64_t seq = part_seq(file.path().filename().string(), run_id);
      if (seq >= 0) next = std::max(next, seq + 1);
    }
  }
  seq_[run_id] = next;
  return next;
}

void EventLogWriter::flush() {
  last_flush_ = now();
  if (options_.background) {
    std::unique_lock lock(mutex_);
    // Rows a failed write kept are older than the buffer's: they go first, even when that
    // failure is about to be reported.
    buffer_.insert(buffer_.begin(), std::make_move_iterator(unwritten_.begin()),
                   std::make_move_iterator(unwritten_.end()));
    unwritten_.clear();
    rethrow_background_error(lock);
    if (buffer_.empty()) return;
    pending_.push_back(std::move(buffer_));
    buffer_.clear();
    if (!worker_.joinable()) worker_ = std::thread([this] { background_loop(); });
    changed_.notify_all();
    return;
  }
  if (buffer_.empty()) return;
  write_rows(buffer_);
}

void EventLogWriter::background_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    std::vector<EventRecord> rows = std::move(pending_.front());
    pending_.pop_front();
    lock.unlock();
    std::exception_ptr error;
    try {
      write_rows(rows);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error) {
      // The rows this write could not place go out with the next flush, so a disk that was full
      // for a moment loses nothing.
      unwritten_.insert(unwritten_.end(), std::make_move_iterator(rows.begin()),
                        std::make_move_iterator(rows.end()));
      if (!background_error_) background_error_ = error;
    }
    changed_.notify_all();
  }
}

void EventLogWriter::rethrow_background_error(std::unique_lock<std::mutex>& lock) {
  (void)lock;  // held by the caller
  if (!background_error_) return;
  std::exception_ptr error = background_error_;
  background_error_ = nullptr;
  std::rethrow_exception(error);
}

void EventLogWriter::write_rows(std::vector<EventRecord>& buffer) {
  // One part per (date, run) present, in order of first appearance.
  std::vector<std::pair<std::string, std::string>> keys;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    std::pair<std::string, std::string> key{utc_date(buffer[i].ts_us), buffer[i].run_id};
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(std::move(key));
      groups.emplace_back();
      it = keys.end() - 1;
    }
    groups[static_cast<std::size_t>(it - keys.begin())].push_back(i);
  }
  std::vector<std::uint8_t> written(buffer.size(), 0);
  try {
    for (std::size_t g = 0; g < keys.size(); ++g) {
      const auto& [date, run_id] = keys[g];
      std::vector<const EventRecord*> rows;
      rows.reserve(groups[g].size());
      for (std::size_t i : groups[g]) rows.push_back(&buffer[i]);
      const core::Table table = table_of(rows);

      const fs::path dir = options_.events_dir / (kDatePrefix + date);
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (!fs::is_directory(dir)) {
        throw Error("cannot create the event log folder " + dir.string() +
                    (ec ? " (" + ec.message() + ")" : ""));
      }
      std::int64_t seq = next_seq(run_id);
      auto part_path = [&](std::int64_t s) {
        return dir / (kPartPrefix + run_id + "-" + padded_seq(s) + kPartSuffix);
      };
      // The temporary name is hidden and ends in the random tmp suffix, never in ".parquet", so
      // the readers' glob never sees a part being written.
      const fs::path temp = core::temp_path_for(part_path(seq));
      const core::ScratchFile scratch(temp);
      try {
        core::write_parquet(table, temp);
        while (!rename_no_replace(temp, part_path(seq))) ++seq;
      } catch (...) {
        fs::remove(temp, ec);
        throw;
      }
      {
        std::lock_guard guard(stats_mutex_);
        parts_.push_back(part_path(seq));
        seq_[run_id] = seq + 1;
        rows_written_ += static_cast<std::int64_t>(rows.size());
      }
      for (std::size_t i : groups[g]) written[i] = 1;
    }
  } catch (...) {
    std::vector<EventRecord> left;
    for (std::size_t i = 0; i < buffer.size(); ++i) {
      if (!written[i]) left.push_back(std::move(buffer[i]));
    }
    buffer = std::move(left);
    throw;
  }
  buffer.clear();
}

void EventLogWriter::close() {
  if (closed_) return;
  closed_ = true;
  // The worker is joined whatever the last flush does: a thread left running at destruction
  // would end the program.
  std::exception_ptr error;
  try {
    flush();
  } catch (...) {
    error = std::current_exception();
  }
  if (worker_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      changed_.notify_all();
    }
    worker_.join();
    std::lock_guard lock(mutex_);
    if (!error) error = background_error_;
    background_error_ = nullptr;
    // Rows a failed write kept, and those a failed flush left in the buffer: one more try, here.
    buffer_.insert(buffer_.begin(), std::make_move_iterator(unwritten_.begin()),
                   std::make_move_iterator(unwritten_.end()));
    unwritten_.clear();
    if (!buffer_.empty()) {
      try {
        write_rows(buffer_);
        error = nullptr;  // every row is on disk after all
      } catch (...) {
        error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

std::int64_t EventLogWriter::rows_written() const {
  std::lock_guard guard(stats_mutex_);
  return rows_written_;
}

std::vector<fs::path> EventLogWriter::parts_written() const {
  std::lock_guard guard(stats_mutex_);
  return parts_;
}

// ---- read_event_log

core::Table read_event_log(const fs::path& events_dir, const std::vector<std::string>& columns) {
  const std::string name = events_dir.string();
  if (!fs::is_directory(events_dir)) {
    throw MissingInputError("event log folder " + name + " does not exist");
  }
  if (count_parts(events_dir) == 0) {
    throw MissingInputError("event log folder " + name +
                            " holds no parts (expected date=YYYY-MM-DD/part-*.parquet inside)");
  }
  // The query, plus union_by_name: parts written by an ethovid with fewer columns (or by
  // another tool, in another order) read by name, missing values as NULL, instead of failing the
  // whole log on a schema mismatch.
  const std::string source =
      "read_parquet(" +
      core::duck::quote_string(core::duck::glob_literal(fs::absolute(events_dir).string()) + "/*/*.parquet") +
      ", hive_partitioning = true, union_by_name = true)";
  std::vector<std::string> have;
  try {
    core::duck::Database db("", {1, "", ""});
    core::duck::Connection connection(db);
    have = connection.describe("SELECT * FROM " + source).names;
  } catch (const core::duck::Failure& e) {
    throw ParquetFormatError("event log " + name +
                             " could not be read: " + core::duck::first_line(e.what()));
  }
  const std::vector<std::string> wanted = columns.empty() ? have : columns;
  std::vector<std::string> missing;
  auto check = [&](const std::string& column) {
    if (std::find(have.begin(), have.end(), column) == have.end() &&
        std::find(missing.begin(), missing.end(), column) == missing.end()) {
      missing.push_back(column);
    }
  };
  for (const std::string& column : wanted) check(column);
  for (const char* column : {"session_id", "run_id", "ts"}) check(column);
  if (!missing.empty()) {
    throw FormatError("event log " + name + " lacks " + std::to_string(missing.size()) +
                      (missing.size() == 1 ? " column: " : " columns: ") + join(missing) +
                      " (it has: " + join(have) + ")");
  }
  std::string select;
  for (const std::string& column : wanted) {
    if (!select.empty()) select += ", ";
    const std::string id = core::duck::quote_identifier(column);
    // The hive partition `date` is a DATE in DuckDB (it hides the file's VARCHAR); cast back,
    // "YYYY-MM-DD" either way.
    select += column == "date" ? "CAST(" + id + " AS VARCHAR) AS " + id : id;
  }
  std::string order = "session_id, run_id, ts";
  if (std::find(have.begin(), have.end(), "frame_index") != have.end()) order += ", frame_index";
  return core::query_table("SELECT " + select + " FROM " + source + " ORDER BY " + order,
                           "event log " + name);
}

}  // namespace ethovid::focus
