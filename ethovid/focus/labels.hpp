#pragma once
// `ethovid focus label` (issue 12 §5): labels joined onto the event log, the training table of
// `focus train`.
//
// Human labels come from a CSV file with a header naming (in any order, other columns ignored)
//   session_id,start_s,end_s,label
// one interval per line: times in seconds on the session clock (the log's `video_time_s`), the
// interval half-open [start_s, end_s) so that two labels may touch; label FOCUSED, DISTRACTED or
// AWAY in any case. Fields may be double-quoted (RFC 4180). Intervals of one session must not
// overlap.
//
// Without a CSV, the smoothed states the run logged (`state_smooth`) serve as weak labels.
//
// The output is the whole log (every column, in the log's order and its row order) plus
//   label         "FOCUSED" / "DISTRACTED" / "AWAY", or "" where no label covers the row
//   label_source  "human" or "weak_rules" where `label` is set, "" where it is not
// written atomically as one Parquet file.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::focus {

struct LabelInterval {
  std::string session_id;
  double start_s = 0, end_s = 0;  // [start_s, end_s), seconds on the session clock
  std::string label;              // upper case
  std::size_t line = 0;           // in the CSV, from 1 (the header is line 1)
};

// Reads and checks a labels CSV. FormatError naming the file and the line for: no header or a
// header without the four columns (every missing one named), a line with another number of fields
// than the header, an empty session_id, a time that is not a finite number, start_s >= end_s or
// start_s < 0, a label that is not one of the three states, and two intervals of one session that
// overlap (both lines named). MissingInputError when the file is absent. Returned in file order.
std::vector<LabelInterval> read_labels_csv(const std::filesystem::path& path);

// The label of each row (session_ids[i], times[i]): the interval of that session containing the
// time, or "" for none (also for a NaN time). `intervals` must not overlap within a session (as
// read_labels_csv guarantees).
std::vector<std::string> assign_labels(const std::vector<std::string>& session_ids,
                                       const std::vector<double>& times,
                                       const std::vector<LabelInterval>& intervals);

struct LabelOptions {
  std::filesystem::path events_dir;
  std::optional<std::filesystem::path> labels_csv;  // nullopt: weak labels from state_smooth
  std::filesystem::path out;                         // the labelled Parquet file
};

struct LabelResult {
  std::filesystem::path out;
  std::string source;                         // "human" or "weak_rules"
  std::size_t rows = 0;                       // rows written (every row of the log)
  std::size_t labelled = 0;                   // rows with a label
  std::map<std::string, std::size_t> per_label;  // labelled rows per state
  // Sessions named in the CSV that the log does not have (their labels cover nothing): worth a
  // warning, not an error, since a CSV may cover more recordings than one log.
  std::vector<std::string> sessions_not_in_log;
};

// Reads the whole log (read_event_log), labels it and writes `out`. The errors of read_event_log
// and read_labels_csv; ConfigError when `out` is empty or inside the events folder (a Parquet file
// there would be read as a part of the log).
LabelResult label_events(const LabelOptions& options);

}  // namespace ethovid::focus
