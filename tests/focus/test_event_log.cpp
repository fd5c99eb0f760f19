// The focus event log (event_log.hpp): the contract's schema, flushes on an injected wall clock,
// parts split at midnight UTC, log_hz thinning, seqs that never overwrite a part, temporary files
// a reader never sees, DuckDB's own hive query over what we write, and the reader's errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/focus/event_log.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;
using core::ColumnType;
using test::ScratchDir;

// 2026-12-04T23:59:50Z in µs.
constexpr std::int64_t kNearMidnightUs = 1796428790LL * 1000000;

EventRecord record(std::int64_t ts_us, double t_s, const std::string& run = "r1",
                   const std::string& session = "s1") {
  EventRecord r;
  r.ts_us = ts_us;
  r.session_id = session;
  r.run_id = run;
  r.video_time_s = t_s;
  r.frame_index = static_cast<std::int64_t>(std::llround(t_s * 30));
  r.state_raw = FocusState::Focused;
  r.state_smooth = FocusState::Focused;
  r.features.face_present = true;
  r.features.face_count = 1;
  r.features.nose_offset_abs = 0.02;
  r.features.nose_offset_signed = -0.02;
  r.features.head_yaw_deg = 3.5;
  return r;
}

// Every file below `dir`, relative, sorted.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) names.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string query_text(const std::string& sql) {
  core::duck::Database db("", {});
  core::duck::Connection connection(db);
  core::duck::Result result = connection.query(sql);
  core::duck::DataChunk chunk = result.fetch();
  if (!chunk || chunk.size() == 0) return "";
  duckdb_string_t v = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.vector(0)))[0];
  return std::string(duckdb_string_t_data(&v), duckdb_string_t_length(v));
}

std::string hive_source(const fs::path& dir) {
  return "read_parquet('" + dir.string() + "/*/*.parquet', hive_partitioning = true)";
}

struct FakeClock {
  double now = 1000;
  std::function<double()> fn() {
    return [this] { return now; };
  }
};

TEST(EventLog, SchemaFollowsTheContract) {
  const std::vector<std::pair<std::string, ColumnType>> expected = {
      {"ts", ColumnType::kTimestampUtc},
      {"date", ColumnType::kString},
      {"session_id", ColumnType::kString},
      {"run_id", ColumnType::kString},
      {"session_mode", ColumnType::kString},
      {"camera_on", ColumnType::kBool},
      {"face_present", ColumnType::kBool},
      {"nose_offset_abs", ColumnType::kFloat64},
      {"nose_offset_signed", ColumnType::kFloat64},
      {"state_raw", ColumnType::kString},
      {"state_smooth", ColumnType::kString},
      {"intervention_fired", ColumnType::kBool},
      {"intervention_type", ColumnType::kString},
      {"policy_reason", ColumnType::kString},
      {"intervention_kind", ColumnType::kString},
      {"intervention_reason", ColumnType::kString},
      {"frame_index", ColumnType::kInt64},
      {"video_time_s", ColumnType::kFloat64},
      {"drowsy", ColumnType::kBool},
      {"intervention_level", ColumnType::kInt64},
      {"face_count", ColumnType::kInt64},
      {"face_size", ColumnType::kFloat64},
      {"head_yaw_deg", ColumnType::kFloat64},
      {"head_pitch_deg", ColumnType::kFloat64},
      {"head_roll_deg", ColumnType::kFloat64},
      {"ear_left", ColumnType::kFloat64},
      {"ear_right", ColumnType::kFloat64},
      {"eyes_closed_prob", ColumnType::kFloat64},
      {"eye_closure", ColumnType::kFloat64},
      {"eyes_closed_s", ColumnType::kFloat64},
      {"brightness", ColumnType::kFloat64},
      {"perclos", ColumnType::kFloat64},
      {"blink_rate_per_min", ColumnType::kFloat64},
      {"time_since_face_s", ColumnType::kFloat64},
      {"detector_ran", ColumnType::kBool}};
  const std::vector<core::ColumnSpec> schema = event_log_schema();
  ASSERT_EQ(schema.size(), expected.size());
  for (std::size_t i = 0; i < schema.size(); ++i) {
    EXPECT_EQ(schema[i].name, expected[i].first) << "column " << i;
    EXPECT_EQ(schema[i].type, expected[i].second) << schema[i].name;
  }
  EXPECT_EQ(event_table({}).schema().size(), expected.size());
}

TEST(EventLog, UtcDate) {
  EXPECT_EQ(utc_date(0), "1970-01-01");
  EXPECT_EQ(utc_date(-1), "1969-12-31");
  EXPECT_EQ(utc_date(kNearMidnightUs + 9999999), "2026-12-04");
  EXPECT_EQ(utc_date(kNearMidnightUs + 10000000), "2026-12-05");
}

TEST(EventLog, RoundTripOrderedBySessionRunTs) {
  ScratchDir dir;
  FakeClock clock;
  std::vector<EventRecord> records;
  {
    EventLogWriter writer({dir.path(), 5.0, 0, clock.fn()});
    // Appended out of order: session s2 first, then s1's second run before its first.
    for (int i = 0; i < 3; ++i)
      records.push_back(record(kNearMidnightUs - 100000000 + i, i, "a", "s2"));
    for (int i = 0; i < 3; ++i) records.push_back(record(kNearMidnightUs - 50000000 + i, i, "r2"));
    for (int i = 0; i < 3; ++i) records.push_back(record(kNearMidnightUs - 90000000 + i, i, "r1"));
    EventRecord& special = records[4];
    special.session_mode = SessionMode::Paused;
    special.camera_on = false;
    special.state_raw = FocusState::Away;
    special.state_smooth = FocusState::Distracted;
    special.policy_reason = "yaw +31.0 deg beyond 22.9";
    special.drowsy = true;
    special.intervention_fired = true;
    special.intervention = {"nudge", "rule", "DISTRACTED for 10.4 s (level 2 of 3)", 2};
    special.features.face_size = 0.31;
    special.features.perclos = 0.125;
    special.features.detector_ran = true;
    // An intervention on a record that did not fire is not logged.
    records[5].intervention = {"pause", "rule", "stale", 7};
    for (const EventRecord& r : records) writer.append(r);
    EXPECT_EQ(writer.rows_written(), 0);
    writer.close();
    EXPECT_EQ(writer.rows_written(), 9);
    EXPECT_THROW(writer.append(records[0]), Error);
  }
  const core::Table t = read_event_log(dir.path());
  ASSERT_EQ(t.rows(), 9u);
  const std::vector<core::ColumnSpec> schema = event_log_schema();
  ASSERT_EQ(t.schema().size(), schema.size());
  for (std::size_t i = 0; i < schema.size(); ++i) {
    EXPECT_EQ(t.schema()[i].name, schema[i].name);
    EXPECT_EQ(t.schema()[i].type, schema[i].type) << schema[i].name;
  }
  const auto& session = t.column("session_id").str;
  const auto& run = t.column("run_id").str;
  EXPECT_EQ(session,
            (std::vector<std::string>{"s1", "s1", "s1", "s1", "s1", "s1", "s2", "s2", "s2"}));
  EXPECT_EQ(run, (std::vector<std::string>{"r1", "r1", "r1", "r2", "r2", "r2", "a", "a", "a"}));
  EXPECT_EQ(t.column("ts").i64[0], kNearMidnightUs - 90000000);
  EXPECT_EQ(t.column("ts").i64[4], kNearMidnightUs - 50000000 + 1);
  EXPECT_EQ(t.column("date").str[4], "2026-12-04");
  // Row 4 is the special record (run r2, second row).
  EXPECT_EQ(t.column("session_mode").str[4], "PAUSED");
  EXPECT_EQ(t.column("camera_on").i8[4], 0);
  EXPECT_EQ(t.column("state_raw").str[4], "AWAY");
  EXPECT_EQ(t.column("state_smooth").str[4], "DISTRACTED");
  EXPECT_EQ(t.column("policy_reason").str[4], "yaw +31.0 deg beyond 22.9");
  EXPECT_EQ(t.column("drowsy").i8[4], 1);
  EXPECT_EQ(t.column("intervention_fired").i8[4], 1);
  EXPECT_EQ(t.column("intervention_type").str[4], "nudge");
  EXPECT_EQ(t.column("intervention_kind").str[4], "rule");
  EXPECT_EQ(t.column("intervention_reason").str[4], "DISTRACTED for 10.4 s (level 2 of 3)");
  EXPECT_EQ(t.column("intervention_level").i64[4], 2);
  EXPECT_EQ(t.column("intervention_type").str[5], "");
  EXPECT_EQ(t.column("intervention_level").i64[5], 0);
  EXPECT_DOUBLE_EQ(t.column("face_size").f64[4], 0.31);
  EXPECT_TRUE(std::isnan(t.column("face_size").f64[3]));
  EXPECT_DOUBLE_EQ(t.column("perclos").f64[4], 0.125);
  EXPECT_EQ(t.column("detector_ran").i8[4], 1);
  EXPECT_DOUBLE_EQ(t.column("nose_offset_signed").f64[0], -0.02);
  EXPECT_DOUBLE_EQ(t.column("head_yaw_deg").f64[0], 3.5);
  EXPECT_TRUE(std::isnan(t.column("time_since_face_s").f64[0]));
  EXPECT_EQ(t.column("face_count").i64[0], 1);
  EXPECT_EQ(t.column("frame_index").i64[2], 60);
  EXPECT_DOUBLE_EQ(t.column("video_time_s").f64[2], 2.0);

  // A selection comes in the order asked for, still ordered by session, run, ts.
  const core::Table some = read_event_log(dir.path(), {"video_time_s", "date", "run_id"});
  ASSERT_EQ(some.columns().size(), 3u);
  EXPECT_EQ(some.columns()[0].name(), "video_time_s");
  EXPECT_EQ(some.column("run_id").str, run);
  EXPECT_EQ(some.column("date").str[8], "2026-12-04");
}

TEST(EventLog, FlushesByTheWallClock) {
  ScratchDir dir;
  FakeClock clock;
  EventLogWriter writer({dir.path(), 5.0, 0, clock.fn()});
  for (int i = 0; i < 10; ++i) {
    clock.now += 0.45;  // 4.5 s in all: not yet a flush
    writer.append(record(kNearMidnightUs - 60000000 + i * 450000, i * 0.45));
  }
  EXPECT_TRUE(writer.parts_written().empty());
  EXPECT_EQ(writer.rows_buffered(), 10u);
  EXPECT_FALSE(writer.flush_if_due());
  clock.now += 0.5;  // 5.0 s since the writer began: this append flushes all 11 rows
  writer.append(record(kNearMidnightUs - 55000000, 5.0));
  ASSERT_EQ(writer.parts_written().size(), 1u);
  EXPECT_EQ(writer.rows_written(), 11);
  EXPECT_EQ(writer.rows_buffered(), 0u);
  writer.append(record(kNearMidnightUs - 54000000, 6.0));
  EXPECT_EQ(writer.parts_written().size(), 1u);
  clock.now += 5.0;  // an idle loop flushes without a new record
  EXPECT_TRUE(writer.flush_if_due());
  ASSERT_EQ(writer.parts_written().size(), 2u);
  EXPECT_EQ(writer.parts_written()[0].filename(), "part-r1-000000.parquet");
  EXPECT_EQ(writer.parts_written()[1].filename(), "part-r1-000001.parquet");
  EXPECT_EQ(read_event_log(dir.path()).rows(), 12u);
  // An empty flush writes no part.
  clock.now += 10.0;
  EXPECT_TRUE(writer.flush_if_due());
  writer.close();
  EXPECT_EQ(writer.parts_written().size(), 2u);
}

TEST(EventLog, BackgroundWriterWritesTheSamePartsAndReportsFailures) {
  ScratchDir dir;
  FakeClock clock;
  EventLogOptions options{dir / "bg", 5.0, 0, clock.fn(), true};
  {
    EventLogWriter writer(options);
    for (int i = 0; i < 30; ++i) {
      clock.now += 0.5;  // a flush every 5 s of wall clock: three parts
      writer.append(record(kNearMidnightUs - 60000000 + i * 500000, i * 0.5));
    }
    writer.close();
    EXPECT_EQ(writer.rows_written(), 30);
    EXPECT_EQ(writer.parts_written().size(), 3u);
  }
  const core::Table t = read_event_log(dir / "bg", {"video_time_s"});
  ASSERT_EQ(t.rows(), 30u);
  for (std::size_t i = 0; i < t.rows(); ++i)
    EXPECT_DOUBLE_EQ(t.column("video_time_s").f64[i], i * 0.5);

  // The log folder turns into a file: the background write fails, and close() says so.
  options.events_dir = dir / "gone";
  EventLogWriter writer(options);
  fs::remove_all(dir / "gone");
  std::ofstream(dir / "gone") << "not a folder";
  writer.append(record(kNearMidnightUs, 0));
  writer.flush();
  test::expect_error<Error>([&] { writer.close(); }, {(dir / "gone").string()});

  // A problem that clears before the end loses nothing: the rows of the failed write go out with
  // the last flush, and since every row is then on disk, close() has nothing to report.
  options.events_dir = dir / "flaky";
  EventLogWriter flaky(options);
  fs::remove_all(dir / "flaky");
  std::ofstream(dir / "flaky") << "not a folder yet";
  for (int i = 0; i < 5; ++i) flaky.append(record(kNearMidnightUs, i));
  flaky.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // lets the write fail off-thread
  fs::remove(dir / "flaky");
  fs::create_directories(dir / "flaky");
  try {
    flaky.append(record(kNearMidnightUs, 5));  // buffered, then the failed write is reported
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flaky"), std::string::npos) << e.what();
  }
  flaky.close();
  EXPECT_EQ(read_event_log(dir / "flaky").rows(), 6u);
}

TEST(EventLog, OneFlushAcrossMidnightUtcWritesOnePartPerDate) {
  ScratchDir dir;
  FakeClock clock;
  {
    EventLogWriter writer({dir.path(), 60.0, 0, clock.fn()});
    for (int i = 0; i < 20; ++i) writer.append(record(kNearMidnightUs + i * 1000000, i));
  }  // the destructor's last flush
  EXPECT_EQ(files_under(dir.path()),
            (std::vector<std::string>{"date=2026-12-04/part-r1-000000.parquet",
                                      "date=2026-12-05/part-r1-000001.parquet"}));
  const core::Table t = read_event_log(dir.path(), {"ts", "date"});
  ASSERT_EQ(t.rows(), 20u);
  for (std::size_t i = 0; i < t.rows(); ++i) {
    EXPECT_EQ(t.column("date").str[i], i < 10 ? "2026-12-04" : "2026-12-05") << i;
  }
  // The file's own date column agrees with its partition.
  EXPECT_EQ(query_text("SELECT string_agg(DISTINCT date, ',') FROM read_parquet('" +
                       (dir / "date=2026-12-05/part-r1-000001.parquet").string() +
                       "', hive_partitioning = false)"),
            "2026-12-05");
}

TEST(EventLog, LogHzThinsOnTheSessionClockButKeepsChangesAndInterventions) {
  ScratchDir dir;
  FakeClock clock;
  EventLogWriter writer({dir.path(), 1000.0, 2.0, clock.fn()});
  // 10 s at 30 fps, all FOCUSED except a DISTRACTED stretch from frame 100 to 129, and one
  // intervention at frame 120.
  for (int i = 0; i < 300; ++i) {
    EventRecord r = record(kNearMidnightUs - 100000000 + i * 33333, i / 30.0);
    if (i >= 100 && i < 130) r.state_smooth = FocusState::Distracted;
    if (i == 120) {
      r.intervention_fired = true;
      r.intervention = {"nudge", "rule", "DISTRACTED for 0.7 s (level 1 of 3)", 1};
    }
    writer.append(r);
  }
  writer.close();
  const core::Table t = read_event_log(dir.path(), {"frame_index", "video_time_s"});
  std::vector<std::int64_t> frames = t.column("frame_index").i64;
  std::set<std::int64_t> kept(frames.begin(), frames.end());
  // Without changes: one row per half second (slots start at frames 0, 15, 30, ...).
  EXPECT_TRUE(kept.count(0) && kept.count(15) && kept.count(285));
  EXPECT_FALSE(kept.count(1) || kept.count(16));
  EXPECT_TRUE(kept.count(100));           // DISTRACTED begins
  EXPECT_TRUE(kept.count(120));           // the intervention
  EXPECT_TRUE(kept.count(130));           // FOCUSED again
  EXPECT_EQ(kept.size(), 20u + 3u - 1u);  // 20 slots, plus frames 100 and 130; 120 is a slot start
  // Outside the forced rows, no slot of half a second holds two rows.
  std::map<std::int64_t, int> per_slot;
  for (std::int64_t f : frames) {
    if (f != 100 && f != 130) ++per_slot[static_cast<std::int64_t>(std::floor(f / 30.0 * 2))];
  }
  for (const auto& [slot, count] : per_slot) EXPECT_EQ(count, 1) << "slot " << slot;
}

TEST(EventLog, SeqContinuesAfterExistingPartsAndNeverOverwrites) {
  ScratchDir dir;
  FakeClock clock;
  // Parts left by an earlier process of the same run (and another run's, which do not count).
  {
    EventLogWriter first({dir.path(), 5.0, 0, clock.fn()});
    first.append(record(kNearMidnightUs - 10000000, 0));
    first.flush();
    first.append(record(kNearMidnightUs - 9000000, 1));
    first.flush();
    first.append(record(kNearMidnightUs - 8000000, 2, "r1x"));
  }
  fs::rename(dir / "date=2026-12-04/part-r1-000001.parquet",
             dir / "date=2026-12-04/part-r1-000007.parquet");
  const std::string before = test::read_file(dir / "date=2026-12-04/part-r1-000007.parquet");
  // Two writers resuming r1 at once both see 7 as the last seq; neither replaces the other.
  EventLogWriter a({dir.path(), 5.0, 0, clock.fn()});
  EventLogWriter b({dir.path(), 5.0, 0, clock.fn()});
  a.append(record(kNearMidnightUs - 7000000, 3));
  b.append(record(kNearMidnightUs - 6000000, 4));
  a.flush();
  b.flush();
  ASSERT_EQ(a.parts_written().size(), 1u);
  ASSERT_EQ(b.parts_written().size(), 1u);
  EXPECT_EQ(a.parts_written()[0].filename(), "part-r1-000008.parquet");
  EXPECT_EQ(b.parts_written()[0].filename(), "part-r1-000009.parquet");
  EXPECT_EQ(test::read_file(dir / "date=2026-12-04/part-r1-000007.parquet"), before);
  const core::Table t = read_event_log(dir.path(), {"video_time_s"});
  EXPECT_EQ(t.column("video_time_s").f64, (std::vector<double>{0, 1, 3, 4, 2}));
}

TEST(EventLog, TemporaryFilesAreNeverParts) {
  ScratchDir dir;
  FakeClock clock;
  const fs::path part = dir / "date=2026-12-04/part-r1-000000.parquet";
  // The temporary name a part is written under does not match the readers' glob.
  const std::string temp_name = core::temp_path_for(part).filename().string();
  EXPECT_EQ(temp_name[0], '.');
  EXPECT_FALSE(temp_name.size() >= 8 && temp_name.compare(temp_name.size() - 8, 8, ".parquet") == 0)
      << temp_name;
  {
    EventLogWriter writer({dir.path(), 5.0, 0, clock.fn()});
    writer.append(record(kNearMidnightUs - 10000000, 0));
    writer.flush();
  }
  // What a writer killed in the middle of a flush leaves: a half-written temporary file.
  {
    std::ofstream half(core::temp_path_for(dir / "date=2026-12-04/part-r1-000001.parquet"));
    half << "PAR1 truncated";
  }
  EXPECT_EQ(read_event_log(dir.path()).rows(), 1u);
  EXPECT_EQ(query_text("SELECT count(*)::VARCHAR FROM " + hive_source(dir.path())), "1");
  // Only parts and that leftover are in the log folder: the writer's own temporaries are gone.
  std::size_t hidden = 0;
  for (const std::string& name : files_under(dir.path())) {
    if (fs::path(name).filename().string()[0] == '.') {
      ++hidden;
    } else {
      EXPECT_EQ(fs::path(name).extension(), ".parquet") << name;
    }
  }
  EXPECT_EQ(hidden, 1u);
}

// A writer killed with SIGKILL in the middle of its flushes (every 20 ms, on the real clock)
// leaves only readable parts: every part reads, the rows are those of the parts, and the next
// writer sweeps the temporary file the killed one may have left and continues the seq.
TEST(EventLog, KillNineLeavesOnlyReadableParts) {
  ScratchDir dir;
  const fs::path events = dir / "events";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      EventLogWriter writer({events, 0.02, 0, {}});
      for (std::int64_t i = 0;; ++i) {
        writer.append(record(kNearMidnightUs - 50000000 + i, i / 1000.0));
      }
    } catch (...) {
    }
    ::_exit(1);
  }
  // Until some parts exist (the bound only limits a failure).
  auto parts = [&] {
    std::size_t n = 0;
    if (!fs::exists(events / "date=2026-12-04")) return n;
    for (const auto& e : fs::directory_iterator(events / "date=2026-12-04")) {
      if (e.path().extension() == ".parquet") ++n;
    }
    return n;
  };
  for (int i = 0; i < 3000 && parts() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended on its own (status " << status << ")";
  ASSERT_GE(parts(), 5u);
  std::int64_t rows_in_parts = 0;
  for (const auto& e : fs::directory_iterator(events / "date=2026-12-04")) {
    if (e.path().extension() != ".parquet") continue;
    rows_in_parts += static_cast<std::int64_t>(
        core::read_parquet(e.path(), std::vector<std::string>{"ts"}).rows());
  }
  const core::Table t = read_event_log(events, {"frame_index", "ts"});
  EXPECT_EQ(static_cast<std::int64_t>(t.rows()), rows_in_parts);
  // Rows are a prefix of what was appended: nothing lost in the middle.
  for (std::size_t i = 0; i < t.rows(); ++i) {
    ASSERT_EQ(t.column("ts").i64[i], kNearMidnightUs - 50000000 + static_cast<std::int64_t>(i));
  }
  // A new writer clears what the dead one left and continues after its last part.
  FakeClock clock;
  EventLogWriter next({events, 5.0, 0, clock.fn()});
  for (const std::string& name : files_under(events)) {
    EXPECT_NE(fs::path(name).filename().string()[0], '.') << name;
  }
  next.append(record(kNearMidnightUs, 99));
  next.close();
  ASSERT_EQ(next.parts_written().size(), 1u);
  EXPECT_EQ(
      next.parts_written()[0].filename(), "part-r1-" + [&] {
        char buffer[16];
        std::snprintf(buffer, sizeof buffer, "%06zu", parts() - 1);
        return std::string(buffer);
      }() + ".parquet");
}

TEST(EventLog, DuckDbHiveQueryReadsOursAndDuckDbsParts) {
  ScratchDir dir;
  FakeClock clock;
  {
    EventLogWriter writer({dir.path(), 5.0, 0, clock.fn()});
    writer.append(record(kNearMidnightUs, 0));
    writer.append(record(kNearMidnightUs + 20000000, 20));
  }
  // A part written by DuckDB itself (another tool appending to the log), same schema.
  fs::create_directories(dir / "date=2026-12-06");
  {
    core::duck::Database db("", {});
    core::duck::Connection connection(db);
    connection.query(
        "COPY (SELECT * REPLACE ('duck' AS run_id, ts + INTERVAL 1 DAY AS ts, '2026-12-06' AS "
        "date) FROM read_parquet('" +
        (dir / "date=2026-12-05/part-r1-000001.parquet").string() + "')) TO '" +
        (dir / "date=2026-12-06/part-duck-000000.parquet").string() + "' (FORMAT PARQUET)");
  }
  // The exact query: `date` is the hive partition, typed DATE by DuckDB.
  EXPECT_EQ(query_text("SELECT count(*)::VARCHAR FROM read_parquet('" + dir.path().string() +
                       "/*/*.parquet', hive_partitioning = true)"),
            "3");
  EXPECT_EQ(query_text("SELECT column_type FROM (DESCRIBE SELECT date FROM " +
                       hive_source(dir.path()) + ")"),
            "DATE");
  EXPECT_EQ(query_text("SELECT column_type FROM (DESCRIBE SELECT ts FROM " +
                       hive_source(dir.path()) + ")"),
            "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(query_text("SELECT string_agg(date::VARCHAR, ',' ORDER BY ts) FROM " +
                       hive_source(dir.path())),
            "2026-12-04,2026-12-05,2026-12-06");
  const core::Table t = read_event_log(dir.path(), {"run_id", "date"});
  // Ordered by session, run, ts: DuckDB's run "duck" sorts before "r1".
  EXPECT_EQ(t.column("run_id").str, (std::vector<std::string>{"duck", "r1", "r1"}));
  EXPECT_EQ(t.column("date").str,
            (std::vector<std::string>{"2026-12-06", "2026-12-04", "2026-12-05"}));
}

TEST(EventLog, PartsWithFewerColumnsReadByName) {
  ScratchDir dir;
  FakeClock clock;
  {
    EventLogWriter writer({dir.path(), 5.0, 0, clock.fn()});
    writer.append(record(kNearMidnightUs - 20000000, 1));
  }
  // A part of an older writer: fewer columns, in another order.
  {
    core::duck::Database db("", {});
    core::duck::Connection connection(db);
    connection.query(
        "COPY (SELECT 'r0' AS run_id, 0.0 AS video_time_s, 's1' AS session_id, "
        "make_timestamptz(" +
        std::to_string(kNearMidnightUs - 30000000) + ") AS ts, '2026-12-04' AS date) TO '" +
        (dir / "date=2026-12-04/part-r0-000000.parquet").string() + "' (FORMAT PARQUET)");
  }
  const core::Table t = read_event_log(dir.path(), {"run_id", "video_time_s", "perclos", "ts"});
  EXPECT_EQ(t.column("run_id").str, (std::vector<std::string>{"r0", "r1"}));
  EXPECT_EQ(t.column("video_time_s").f64, (std::vector<double>{0, 1}));
  EXPECT_TRUE(std::isnan(t.column("perclos").f64[0]));
  EXPECT_EQ(t.column("perclos").valid, (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(t.column("ts").i64[0], kNearMidnightUs - 30000000);
}

TEST(EventLog, ReaderErrorsNameTheFolderAndEveryMissingColumn) {
  ScratchDir dir;
  test::expect_error<MissingInputError>([&] { read_event_log(dir / "nope"); },
                                        {(dir / "nope").string(), "does not exist"});
  test::expect_error<MissingInputError>([&] { read_event_log(dir.path()); },
                                        {dir.path().string(), "no parts"});
  fs::create_directories(dir / "date=2026-12-04");
  {
    core::duck::Database db("", {});
    core::duck::Connection connection(db);
    connection.query(
        "COPY (SELECT make_timestamptz(0) AS ts, 's' AS session_id, 1.0 AS perclos) "
        "TO '" +
        (dir / "date=2026-12-04/part-x-000000.parquet").string() + "' (FORMAT PARQUET)");
  }
  try {
    read_event_log(dir.path(), {"perclos", "face_present", "nose_offset_abs"});
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;
    EXPECT_NE(message.find("3 columns: face_present, nose_offset_abs, run_id"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("columns: perclos"), std::string::npos) << message;
  }
}

TEST(EventLog, BadOptionsAndRunIdsAreTypedErrors) {
  ScratchDir dir;
  test::expect_error<ConfigError>([&] { EventLogWriter({dir.path(), 0.0, 0, {}}); }, {"flush_s"});
  test::expect_error<ConfigError>([&] { EventLogWriter({dir.path(), 5.0, -1.0, {}}); }, {"log_hz"});
  EventLogWriter writer({dir.path(), 5.0, 0, {}});
  test::expect_error<FormatError>([&] { writer.append(record(0, 0, "../evil")); },
                                  {"run_id '../evil'"});
  test::expect_error<FormatError>([&] { writer.append(record(0, 0, "")); }, {"run_id ''"});
}

}  // namespace
}  // namespace ethovid::focus
