#include "ethovid/focus/labels.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <tuple>
#include <cmath>
#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/focus/event_log.hpp"

namespace ethovid::focus {

namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, 3> kStates = {"FOCUSED", "DISTRACTED", "AWAY"};
constexpr std::array<const char*, 4> kLabelColumns = {"session_id", "start_s", "end_s", "label"};

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string seconds(double s) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, s).ptr);
}

// Fields of one CSV line (RFC 4180 quoting within the line; a quote doubled inside a quoted
// field is one quote). Unquoted fields are trimmed. False for an unterminated quote.
bool split_csv_line(const std::string& line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && trim(field).empty()) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : trim(field));
      field.clear();
      was_quoted = false;
    } else if (!(was_quoted && (c == ' ' || c == '\t'))) {
      field += c;
    }
  }
  if (quoted) return false;
  fields.push_back(was_quoted ? field : trim(field));
  return true;
}

}  // namespace

std::vector<LabelInterval> read_labels_csv(const fs::path& path) {
  core::require_input_file(path, path.string() + ": labels file not found");
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw MissingInputError(path.string() + ": cannot be opened");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a BOM, as spreadsheets write
  const auto fail = [&](std::size_t line, const std::string& message) {
    throw FormatError(path.string() + ":" + std::to_string(line) + ": " + message);
  };

  std::vector<LabelInterval> intervals;
  std::array<std::size_t, 4> index{};  // the position of each of kLabelColumns in the header
  std::size_t header_fields = 0;
  std::vector<std::string> fields;
  std::size_t line_number = 0, start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    if (!split_csv_line(line, fields)) fail(line_number, "a quoted field is not closed");
    if (header_fields == 0) {
      std::string missing;
      for (std::size_t c = 0; c < kLabelColumns.size(); ++c) {
        const auto it = std::find(fields.begin(), fields.end(), kLabelColumns[c]);
        if (it == fields.end()) {
          missing += std::string(missing.empty() ? "" : ", ") + kLabelColumns[c];
        } else {
          index[c] = static_cast<std::size_t>(it - fields.begin());
        }
      }
      if (!missing.empty()) {
        fail(line_number, "the header lacks " + missing +
                              " (expected session_id,start_s,end_s,label; the header read is '" + line + "')");
      }
      header_fields = fields.size();
      continue;
    }
    if (fields.size() != header_fields) {
      fail(line_number, "has " + std::to_string(fields.size()) + " fields, the header has " +
                            std::to_string(header_fields));
    }
    LabelInterval interval;
    interval.line = line_number;
    interval.session_id = fields[index[0]];
    if (interval.session_id.empty()) fail(line_number, "session_id is empty");
    const auto time = [&](std::size_t column) {
      const std::string& field = fields[index[column]];
      double value = 0;
      const auto [end_ptr, error] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || error != std::errc() || end_ptr != field.data() + field.size() || !std::isfinite(value)) {
        fail(line_number, std::string(kLabelColumns[column]) + " '" + field + "' is not a finite number of seconds");
      }
      return value;
    };
    interval.start_s = time(1);
    interval.end_s = time(2);
    if (interval.start_s < 0) fail(line_number, "start_s " + seconds(interval.start_s) + " is negative");
    if (interval.start_s >= interval.end_s) {
      fail(line_number, "start_s " + seconds(interval.start_s) + " is not before end_s " + seconds(interval.end_s));
    }
    interval.label = upper(fields[index[3]]);
    if (std::find(kStates.begin(), kStates.end(), interval.label) == kStates.end()) {
      fail(line_number, "label '" + fields[index[3]] + "' is not FOCUSED, DISTRACTED or AWAY");
    }
    intervals.push_back(std::move(interval));
  }
  if (header_fields == 0) {
    throw FormatError(path.string() + ": empty; expected a header session_id,start_s,end_s,label");
  }

  // Overlaps: within each session, sorted by start, each interval must begin at or after the end
  // of the one before.
  std::vector<const LabelInterval*> sorted;
  for (const auto& i : intervals) sorted.push_back(&i);
  std::sort(sorted.begin(), sorted.end(), [](const LabelInterval* a, const LabelInterval* b) {
    return std::tie(a->session_id, a->start_s, a->line) < std::tie(b->session_id, b->start_s, b->line);
  });
  for (std::size_t k = 1; k < sorted.size(); ++k) {
    const LabelInterval& a = *sorted[k - 1];
    const LabelInterval& b = *sorted[k];
    if (a.session_id != b.session_id || b.start_s >= a.end_s) continue;
    const LabelInterval& later = a.line > b.line ? a : b;
    const LabelInterval& earlier = a.line > b.line ? b : a;
    const auto span = [](const LabelInterval& i) { return seconds(i.start_s) + "-" + seconds(i.end_s) + " s"; };
    fail(later.line, "interval " + span(later) + " of session '" + later.session_id + "' overlaps line " +
                         std::to_string(earlier.line) + " (" + span(earlier) + ")");
  }
  return intervals;
}

std::vector<std::string> assign_labels(const std::vector<std::string>& session_ids, const std::vector<double>& times,
                                       const std::vector<LabelInterval>& intervals) {
  std::map<std::string, std::vector<const LabelInterval*>> by_session;
  for (const auto& i : intervals) by_session[i.session_id].push_back(&i);
  for (auto& [_, list] : by_session) {
    std::sort(list.begin(), list.end(), [](const LabelInterval* a, const LabelInterval* b) { return a->start_s < b->start_s; });
  }
  std::vector<std::string> labels(session_ids.size());
  const std::vector<const LabelInterval*>* list = nullptr;
  const std::string* list_session = nullptr;
  for (std::size_t r = 0; r < session_ids.size(); ++r) {
    // Rows come grouped by session: look the session up only when it changes.
    if (!list_session || *list_session != session_ids[r]) {
      const auto it = by_session.find(session_ids[r]);
      list = it == by_session.end() ? nullptr : &it->second;
      list_session = &session_ids[r];
    }
    const double t = times[r];
    if (!list || std::isnan(t)) continue;
    // The last interval starting at or before t is the only one that can hold it.
    const auto after = std::upper_bound(list->begin(), list->end(), t,
                                        [](double time, const LabelInterval* i) { return time < i->start_s; });
    if (after == list->begin()) continue;
    const LabelInterval& candidate = **(after - 1);
    if (t < candidate.end_s) labels[r] = candidate.label;
  }
  return labels;
}

LabelResult label_events(const LabelOptions& options) {
  if (options.out.empty()) throw ConfigError("focus label needs --out, the labelled Parquet file to write");
  {
    const fs::path events = fs::weakly_canonical(fs::absolute(options.events_dir));
    const fs::path out = fs::weakly_canonical(fs::absolute(options.out));
    const auto [end, _] = std::mismatch(events.begin(), events.end(), out.begin(), out.end());
    if (end == events.end()) {
      throw ConfigError("--out " + options.out.string() + " lies inside the events folder " +
                        options.events_dir.string() + "; write it elsewhere, or it would mix with the log");
    }
  }
  // The CSV first: a bad line is found before the whole log is read.
  std::vector<LabelInterval> intervals;
  if (options.labels_csv) intervals = read_labels_csv(*options.labels_csv);

  const core::Table log = read_event_log(options.events_dir);
  const std::vector<std::string>& sessions = log.column("session_id").str;

  LabelResult result;
  result.out = options.out;
  result.rows = log.rows();
  std::vector<std::string> labels;
  if (options.labels_csv) {
    result.source = "human";
    labels = assign_labels(sessions, log.column("video_time_s").f64, intervals);
    const std::set<std::string> in_log(sessions.begin(), sessions.end());
    std::set<std::string> missing;
    for (const auto& i : intervals) {
      if (!in_log.count(i.session_id)) missing.insert(i.session_id);
    }
    result.sessions_not_in_log.assign(missing.begin(), missing.end());
  } else {
    // The states the run's policy decided, after smoothing: what `policy: rules` (or the policy
    // that ran) would teach; rows with any other value stay unlabelled.
    result.source = "weak_rules";
    labels = log.column("state_smooth").str;
    for (auto& l : labels) {
      if (std::find(kStates.begin(), kStates.end(), l) == kStates.end()) l.clear();
    }
  }
  std::vector<std::string> sources(labels.size());
  for (std::size_t r = 0; r < labels.size(); ++r) {
    if (labels[r].empty()) continue;
    sources[r] = result.source;
    ++result.labelled;
    ++result.per_label[labels[r]];
  }

  core::Table out;
  for (const auto& column : log.columns()) out.add(column);
  out.add(core::Column::string("label", std::move(labels)));
  out.add(core::Column::string("label_source", std::move(sources)));
  if (options.out.has_parent_path()) fs::create_directories(options.out.parent_path());
  core::write_parquet(out, options.out);
  return result;
}

}  // namespace ethovid::focus
