// `focus label` (labels.hpp): the labels CSV is read strictly (every bad line named), intervals
// are half-open on the session clock, and the labelled table is the whole log plus `label` and
// `label_source`, from human labels or from the logged states as weak labels.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/focus/event_log.hpp"
#include "ethovid/focus/labels.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;

fs::path write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(LabelsCsv, ReadsIntervalsInAnyCaseColumnOrderAndQuoting) {
  test::ScratchDir dir;
  const fs::path csv = write_text(dir / "labels.csv",
                                  "\xEF\xBB\xBF"  // a spreadsheet's BOM
                                  "label,session_id,start_s,end_s,annotator\r\n"
                                  "focused,s1,0,10.5,ann\r\n"
                                  "\r\n"
                                  " Distracted , s1 , 10.5 , 12 ,\"b, c\"\r\n"
                                  "AWAY,\"s,2\",3,4e1,\"say \"\"hi\"\"\"\r\n");
  const std::vector<LabelInterval> labels = read_labels_csv(csv);
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].session_id, "s1");
  EXPECT_EQ(labels[0].label, "FOCUSED");
  EXPECT_EQ(labels[0].start_s, 0.0);
  EXPECT_EQ(labels[0].end_s, 10.5);
  EXPECT_EQ(labels[0].line, 2u);
  EXPECT_EQ(labels[1].label, "DISTRACTED");  // touches the interval before: allowed
  EXPECT_EQ(labels[1].start_s, 10.5);
  EXPECT_EQ(labels[1].line, 4u);
  EXPECT_EQ(labels[2].session_id, "s,2");
  EXPECT_EQ(labels[2].label, "AWAY");
  EXPECT_EQ(labels[2].end_s, 40.0);
}

struct BadCsv {
  const char* name;
  std::string text;
  std::vector<std::string> fragments;
};

TEST(LabelsCsv, EveryBadLineIsAFormatErrorNamingIt) {
  const std::string header = "session_id,start_s,end_s,label\n";
  const std::vector<BadCsv> cases = {
      {"header lacks columns", "session,start_s,stop,label\ns1,0,1,AWAY\n",
       {"labels.csv:1:", "lacks session_id, end_s"}},
      {"too few fields", header + "s1,0,1,AWAY\ns1,2,3\n", {"labels.csv:3:", "3 fields", "header has 4"}},
      {"too many fields", header + "s1,0,1,AWAY,x\n", {"labels.csv:2:", "5 fields"}},
      {"empty session", header + "s1,0,1,AWAY\n,1,2,AWAY\n", {"labels.csv:3:", "session_id is empty"}},
      {"start not a number", header + "s1,zero,1,AWAY\n", {"labels.csv:2:", "start_s 'zero'", "finite number"}},
      {"end empty", header + "s1,0,,AWAY\n", {"labels.csv:2:", "end_s ''"}},
      {"end with unit", header + "s1,0,5s,AWAY\n", {"labels.csv:2:", "end_s '5s'"}},
      {"nan", header + "s1,nan,5,AWAY\n", {"labels.csv:2:", "start_s 'nan'"}},
      {"start after end", header + "s1,5,4,AWAY\n", {"labels.csv:2:", "start_s 5 is not before end_s 4"}},
      {"empty interval", header + "s1,5,5,AWAY\n", {"labels.csv:2:", "not before"}},
      {"negative", header + "s1,-1,5,AWAY\n", {"labels.csv:2:", "negative"}},
      {"bad label", header + "s1,0,5,AWAY\ns1,5,6,bored\n", {"labels.csv:3:", "'bored'", "FOCUSED, DISTRACTED or AWAY"}},
      {"overlap", header + "s1,0,5,AWAY\ns2,0,50,AWAY\ns1,10,20,FOCUSED\ns1,4,8,DISTRACTED\n",
       {"labels.csv:5:", "4-8 s", "session 's1'", "overlaps line 2", "0-5 s"}},
      {"inside another", header + "s1,0,50,AWAY\ns1,10,20,FOCUSED\n", {"labels.csv:3:", "overlaps line 2"}},
      {"open quote", header + "\"s1,0,5,AWAY\n", {"labels.csv:2:", "quoted field is not closed"}},
      {"empty", "\n\n", {"labels.csv", "empty"}},
  };
  for (const BadCsv& c : cases) {
    SCOPED_TRACE(c.name);
    test::ScratchDir dir;
    const fs::path csv = write_text(dir / "labels.csv", c.text);
    test::expect_error<FormatError>([&] { read_labels_csv(csv); }, c.fragments);
  }
  test::ScratchDir dir;
  test::expect_error<MissingInputError>([&] { read_labels_csv(dir / "none.csv"); }, {"none.csv", "not found"});
}

TEST(AssignLabels, IntervalsAreHalfOpenPerSession) {
  const std::vector<LabelInterval> intervals = {
      {"s1", 1.0, 2.0, "FOCUSED", 2}, {"s1", 2.0, 3.0, "AWAY", 3}, {"s2", 0.0, 1.0, "DISTRACTED", 4}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::string> sessions = {"s1", "s1", "s1", "s1", "s1", "s1", "s2", "s2", "s3"};
  const std::vector<double> times = {0.5, 1.0, 1.999, 2.0, 3.0, nan, 0.5, 1.0, 1.5};
  const std::vector<std::string> expected = {"", "FOCUSED", "FOCUSED", "AWAY", "", "", "DISTRACTED", "", ""};
  EXPECT_EQ(assign_labels(sessions, times, intervals), expected);
  EXPECT_TRUE(assign_labels({}, {}, intervals).empty());
}

// A log of two sessions at 10 frames/s written by the log's own writer: s1 for 4 s (FOCUSED, then
// DISTRACTED from 2 s), s2 for 1 s (AWAY).
fs::path write_log(const fs::path& dir) {
  const fs::path events = dir / "events";
  EventLogOptions options;
  options.events_dir = events;
  EventLogWriter writer(options);
  const std::int64_t t0 = 1764800000000000;  // 2025-12-03 22:13:20 UTC
  const auto add = [&](const std::string& session, int frames, const std::function<FocusState(double)>& state) {
    for (int i = 0; i < frames; ++i) {
      EventRecord r;
      r.ts_us = t0 + (session == "s2" ? 3600000000LL : 0) + i * 100000;
      r.session_id = session;
      r.run_id = session + "-run1";
      r.frame_index = i;
      r.video_time_s = i * 0.1;
      r.state_raw = r.state_smooth = state(r.video_time_s);
      r.features.face_present = r.state_smooth != FocusState::Away;
      writer.append(r);
    }
  };
  add("s1", 40, [](double t) { return t < 2.0 ? FocusState::Focused : FocusState::Distracted; });
  add("s2", 10, [](double) { return FocusState::Away; });
  writer.close();
  return events;
}

TEST(LabelEvents, HumanLabelsJoinOntoEveryRowOfTheLog) {
  test::ScratchDir dir;
  const fs::path events = write_log(dir.path());
  const fs::path csv = write_text(dir / "labels.csv",
                                  "session_id,start_s,end_s,label\n"
                                  "s1,0.5,1.5,focused\n"
                                  "s1,1.5,2.05,DISTRACTED\n"
                                  "s2,0,0.35,away\n"
                                  "s9,0,100,AWAY\n");
  LabelOptions options;
  options.events_dir = events;
  options.labels_csv = csv;
  options.out = dir / "out" / "labelled.parquet";
  const LabelResult result = label_events(options);
  EXPECT_EQ(result.source, "human");
  EXPECT_EQ(result.rows, 50u);
  // s1: 0.5 .. 1.4 (10 rows) FOCUSED, 1.5 .. 2.0 (6 rows) DISTRACTED; s2: 0 .. 0.3 (4 rows) AWAY.
  EXPECT_EQ(result.labelled, 20u);
  EXPECT_EQ(result.per_label.at("FOCUSED"), 10u);
  EXPECT_EQ(result.per_label.at("DISTRACTED"), 6u);
  EXPECT_EQ(result.per_label.at("AWAY"), 4u);
  EXPECT_EQ(result.sessions_not_in_log, std::vector<std::string>{"s9"});

  const core::Table log = read_event_log(events);
  const core::Table out = core::read_parquet(options.out);
  ASSERT_EQ(out.rows(), log.rows());
  // Every column of the log, in its order, then the two new ones.
  ASSERT_EQ(out.columns().size(), log.columns().size() + 2);
  for (std::size_t c = 0; c < log.columns().size(); ++c) EXPECT_EQ(out.columns()[c].name(), log.columns()[c].name());
  EXPECT_EQ(out.columns()[log.columns().size()].name(), "label");
  EXPECT_EQ(out.columns().back().name(), "label_source");
  EXPECT_EQ(out.column("video_time_s").f64, log.column("video_time_s").f64);
  // The timestamps keep their type (TIMESTAMP WITH TIME ZONE) and values.
  EXPECT_EQ(out.column("ts").spec.type, core::ColumnType::kTimestampUtc);
  EXPECT_EQ(out.column("ts").i64, log.column("ts").i64);
  EXPECT_EQ(out.column("session_id").str, log.column("session_id").str);
  const auto& session = out.column("session_id").str;
  const auto& time = out.column("video_time_s").f64;
  const auto& label = out.column("label").str;
  const auto& source = out.column("label_source").str;
  for (std::size_t r = 0; r < out.rows(); ++r) {
    const double t = time[r];
    std::string expected;
    if (session[r] == "s1" && t >= 0.5 - 1e-9 && t < 1.5 - 1e-9) expected = "FOCUSED";
    if (session[r] == "s1" && t >= 1.5 - 1e-9 && t < 2.05) expected = "DISTRACTED";
    if (session[r] == "s2" && t < 0.35) expected = "AWAY";
    EXPECT_EQ(label[r], expected) << session[r] << " at " << t << " s";
    EXPECT_EQ(source[r], expected.empty() ? "" : "human") << session[r] << " at " << t << " s";
  }
}

TEST(LabelEvents, WithoutACsvTheLoggedStatesAreWeakLabels) {
  test::ScratchDir dir;
  const fs::path events = write_log(dir.path());
  LabelOptions options;
  options.events_dir = events;
  options.out = dir / "weak.parquet";
  const LabelResult result = label_events(options);
  EXPECT_EQ(result.source, "weak_rules");
  EXPECT_EQ(result.labelled, 50u);
  EXPECT_EQ(result.per_label.at("FOCUSED"), 20u);
  EXPECT_EQ(result.per_label.at("DISTRACTED"), 20u);
  EXPECT_EQ(result.per_label.at("AWAY"), 10u);
  const core::Table out = core::read_parquet(options.out);
  EXPECT_EQ(out.column("label").str, out.column("state_smooth").str);
  for (const auto& s : out.column("label_source").str) ASSERT_EQ(s, "weak_rules");
}

TEST(LabelEvents, RefusesBadLabelsBeforeReadingTheLogAndAnOutputInsideIt) {
  test::ScratchDir dir;
  const fs::path events = write_log(dir.path());
  LabelOptions options;
  options.events_dir = events;
  options.out = events / "labelled.parquet";
  test::expect_error<ConfigError>([&] { label_events(options); }, {"inside the events folder"});
  EXPECT_FALSE(fs::exists(options.out));
  options.out = dir / "labelled.parquet";
  options.labels_csv = write_text(dir / "bad.csv", "session_id,start_s,end_s,label\ns1,0,1,asleep\n");
  test::expect_error<FormatError>([&] { label_events(options); }, {"bad.csv:2:", "'asleep'"});
  EXPECT_FALSE(fs::exists(options.out));
  options.labels_csv.reset();
  options.events_dir = dir / "no-log";
  EXPECT_THROW(label_events(options), MissingInputError);
}

}  // namespace
}  // namespace ethovid::focus
