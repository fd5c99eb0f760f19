#include "ethovid/focus/session_report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <opencv2/core.hpp>
#include <sstream>

#include "ethovid/core/chart.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/focus/event_log.hpp"
#include "ethovid/focus/overlay.hpp"
#include "ethovid/focus/state_smoothing.hpp"

namespace ethovid::focus {

namespace fs = std::filesystem;
using core::Json;

namespace {

// What the report reads from the log.
const std::vector<std::string> kColumns = {"ts",
                                           "session_id",
                                           "run_id",
                                           "session_mode",
                                           "camera_on",
                                           "state_smooth",
                                           "video_time_s",
                                           "drowsy",
                                           "perclos",
                                           "eyes_closed_prob",
                                           "intervention_fired",
                                           "intervention_type",
                                           "intervention_kind",
                                           "intervention_reason",
                                           "intervention_level"};

const char* const kStates[] = {"FOCUSED", "DISTRACTED", "AWAY"};

// The eyes count as closed for PERCLOS at 80 % closure (P80, issue 12 §1).
constexpr double kClosedProb = 0.8;

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

StretchStats stats_of(std::vector<double> lengths) {
  StretchStats s;
  s.count = static_cast<int>(lengths.size());
  if (!lengths.empty()) {
    double sum = 0;
    for (double l : lengths) sum += l;
    s.mean_s = sum / lengths.size();
    s.median_s = median(lengths);
    s.longest_s = *std::max_element(lengths.begin(), lengths.end());
  }
  s.lengths_s = std::move(lengths);
  return s;
}

std::string utc_text(std::int64_t ts_us) {
  const std::chrono::system_clock::time_point t{std::chrono::microseconds{ts_us}};
  return core::iso8601_utc(std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
}

// One run's rows [begin, end) of the log.
RunReport run_report(const core::Table& log, std::size_t begin, std::size_t end, double max_gap_s) {
  const auto& ts = log.column("ts").i64;
  const auto& mode = log.column("session_mode").str;
  const auto& state = log.column("state_smooth").str;
  const auto& video = log.column("video_time_s").f64;
  const auto& drowsy = log.column("drowsy").i8;
  const auto& perclos = log.column("perclos").f64;
  const auto& closed = log.column("eyes_closed_prob").f64;
  const auto& fired = log.column("intervention_fired").i8;
  const auto& camera = log.column("camera_on").i8;

  RunReport r;
  r.session_id = log.column("session_id").str[begin];
  r.run_id = log.column("run_id").str[begin];
  r.rows = end - begin;
  r.start_utc = utc_text(ts[begin]);
  r.end_utc = utc_text(ts[end - 1]);
  for (const char* s : kStates) r.time_per_state_s[s] = 0;

  // What each row counts for: until the next row, capped; the last row the typical gap.
  std::vector<double> gaps;
  for (std::size_t i = begin; i + 1 < end; ++i) {
    const double g = video[i + 1] - video[i];
    if (g > 0) gaps.push_back(g);
  }
  const double typical = median(gaps);
  const double cap = std::max(max_gap_s, 1.5 * typical);
  std::vector<double> weight(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const double g = i + 1 < end ? video[i + 1] - video[i] : typical;
    weight[i - begin] = std::isfinite(g) ? std::clamp(g, 0.0, cap) : 0.0;
  }
  r.start_video_s = video[begin];
  r.duration_s = std::max(0.0, video[end - 1] - video[begin]) + weight.back();

  std::vector<double> distractions;
  double distracted_run = 0, focused_run = 0;
  auto end_stretches = [&] {
    if (distracted_run > 0) distractions.push_back(distracted_run);
    r.longest_focused_s = std::max(r.longest_focused_s, focused_run);
    distracted_run = focused_run = 0;
  };
  struct Minute {
    double running = 0, closed = 0, perclos_sum = 0;
    int perclos_n = 0;
  };
  std::map<int, Minute> minutes;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = weight[i - begin];
    const double at = video[i] - r.start_video_s;
    // Rows with the camera off say nothing of the person: counted like a pause.
    const bool camera_off = !camera[i];
    const bool running = mode[i] == "RUNNING" && !camera_off;
    // The timeline: one segment per stretch of equal label; a gap in the log beyond the cap
    // ends a segment, so the hole shows.
    const std::string label = running                              ? state[i]
                              : camera_off && mode[i] == "RUNNING" ? "CAMERA_OFF"
                                                                   : mode[i];
    const bool hole = i > begin && video[i] - video[i - 1] > cap;
    if (r.timeline.empty() || r.timeline.back().state != label || hole) {
      r.timeline.push_back({label, at, at + w});
    } else {
      r.timeline.back().end_s = at + w;
    }
    if (fired[i]) {
      r.interventions.push_back(
          {at, log.column("intervention_type").str[i], log.column("intervention_kind").str[i],
           log.column("intervention_reason").str[i], log.column("intervention_level").i64[i]});
    }
    if (!running) {
      (camera_off && mode[i] == "RUNNING" ? r.camera_off_s : r.paused_s) += w;
      end_stretches();  // a pause ends a distraction or a focused stretch
      continue;
    }
    r.running_s += w;
    r.time_per_state_s[state[i]] += w;
    if (drowsy[i]) r.drowsy_s += w;
    if (state[i] == "DISTRACTED") {
      if (focused_run > 0) end_stretches();
      distracted_run += w;
    } else if (state[i] == "FOCUSED") {
      if (distracted_run > 0) end_stretches();
      focused_run += w;
    } else {
      end_stretches();
    }
    Minute& m = minutes[static_cast<int>(std::floor(std::max(0.0, at) / 60.0))];
    m.running += w;
    if (std::isfinite(closed[i]) && closed[i] >= kClosedProb) m.closed += w;
    if (std::isfinite(perclos[i])) {
      m.perclos_sum += perclos[i];
      ++m.perclos_n;
    }
  }
  end_stretches();
  r.unlogged_s = std::max(0.0, r.duration_s - r.running_s - r.paused_s - r.camera_off_s);
  r.distractions = stats_of(std::move(distractions));
  for (const auto& [minute, m] : minutes) {
    r.perclos_per_minute.push_back({minute,
                                    m.perclos_n ? m.perclos_sum / m.perclos_n : std::nan(""),
                                    m.running > 0 ? m.closed / m.running : 0.0, m.running});
  }
  return r;
}

Json number(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

Json run_json(const RunReport& r) {
  Json states = Json::object();
  Json shares = Json::object();
  for (const char* s : kStates) {
    const double v = r.time_per_state_s.at(s);
    states[s] = v;
    shares[s] = r.running_s > 0 ? Json(v / r.running_s) : Json(nullptr);
  }
  Json perclos = Json::array();
  for (const PerclosMinute& m : r.perclos_per_minute) {
    perclos.push_back({{"minute", m.minute},
                       {"perclos_mean", number(m.perclos_mean)},
                       {"eyes_closed_share", m.eyes_closed_share},
                       {"running_s", m.running_s}});
  }
  Json by_type = Json::object();
  Json fired = Json::array();
  for (const ReportIntervention& i : r.interventions) {
    by_type[i.type] = by_type.value(i.type, 0) + 1;
    fired.push_back({{"at_s", i.at_s},
                     {"type", i.type},
                     {"kind", i.kind},
                     {"level", i.level},
                     {"reason", i.reason}});
  }
  Json timeline = Json::array();
  for (const TimelineSegment& s : r.timeline) {
    timeline.push_back({{"state", s.state}, {"start_s", s.start_s}, {"end_s", s.end_s}});
  }
  return {{"run_id", r.run_id},
          {"start_utc", r.start_utc},
          {"end_utc", r.end_utc},
          {"rows", r.rows},
          {"start_video_s", r.start_video_s},
          {"duration_s", r.duration_s},
          {"running_s", r.running_s},
          {"paused_s", r.paused_s},
          {"camera_off_s", r.camera_off_s},
          {"unlogged_s", r.unlogged_s},
          {"time_per_state_s", states},
          {"share_per_state", shares},
          {"distractions",
           {{"count", r.distractions.count},
            {"mean_s", r.distractions.mean_s},
            {"median_s", r.distractions.median_s},
            {"longest_s", r.distractions.longest_s},
            {"lengths_s", r.distractions.lengths_s}}},
          {"longest_focused_s", r.longest_focused_s},
          {"drowsy_s", r.drowsy_s},
          {"perclos_per_minute", perclos},
          {"interventions",
           {{"count", r.interventions.size()}, {"by_type", by_type}, {"fired", fired}}},
          {"timeline", timeline}};
}

// The session's totals over its runs.
Json session_totals(const SessionReport& s) {
  Json states = Json::object();
  for (const char* name : kStates) states[name] = 0.0;
  double duration = 0, running = 0, paused = 0, camera_off = 0, drowsy = 0, longest_focused = 0;
  std::vector<double> lengths;
  Json by_type = Json::object();
  std::size_t interventions = 0;
  for (const RunReport& r : s.runs) {
    duration += r.duration_s;
    running += r.running_s;
    paused += r.paused_s;
    camera_off += r.camera_off_s;
    drowsy += r.drowsy_s;
    longest_focused = std::max(longest_focused, r.longest_focused_s);
    for (const char* name : kStates)
      states[name] = states[name].get<double>() + r.time_per_state_s.at(name);
    lengths.insert(lengths.end(), r.distractions.lengths_s.begin(), r.distractions.lengths_s.end());
    for (const ReportIntervention& i : r.interventions)
      by_type[i.type] = by_type.value(i.type, 0) + 1;
    interventions += r.interventions.size();
  }
  const StretchStats d = stats_of(lengths);
  return {{"runs", s.runs.size()},
          {"duration_s", duration},
          {"running_s", running},
          {"paused_s", paused},
          {"camera_off_s", camera_off},
          {"time_per_state_s", states},
          {"distractions",
           {{"count", d.count},
            {"mean_s", d.mean_s},
            {"median_s", d.median_s},
            {"longest_s", d.longest_s}}},
          {"longest_focused_s", longest_focused},
          {"drowsy_s", drowsy},
          {"interventions", {{"count", interventions}, {"by_type", by_type}}}};
}

cv::Scalar state_color(const std::string& state) {
  // The states in the overlay's and the page's colours; paused light grey, camera off dark grey.
  if (const auto s = parse_state(state)) return focus::state_color(*s);
  if (state == "CAMERA_OFF") return {90, 90, 90};
  return {215, 215, 215};
}

// One run: a band of states over time (its own strip, so nothing covers it), then PERCLOS per
// minute with a mark per intervention, on the same x axis.
cv::Mat run_panel(const RunReport& r) {
  const bool minutes = r.duration_s > 180;
  const double scale = minutes ? 1.0 / 60 : 1.0;
  const double x_hi = std::max(r.duration_s * scale, 1.0);
  const std::string x_label = minutes ? "session time (min)" : "session time (s)";
  constexpr int kWidth = 1000, kLeft = 70;

  core::Chart band(kWidth, 120, r.session_id + " / " + r.run_id + ": state");
  band.x_axis(0, x_hi);
  band.y_axis(0, 1);
  band.align_left(kLeft);
  // Filled bands of thin horizontal lines: a thick line would draw round caps past its ends.
  for (const TimelineSegment& seg : r.timeline) {
    for (int k = 0; k <= 60; ++k) {
      const double y = 0.1 + 0.8 * k / 60.0;
      band.segment(seg.start_s * scale, y, seg.end_s * scale, y, state_color(seg.state), 2);
    }
  }

  core::Chart chart(kWidth, 280, "PERCLOS per minute and interventions");
  chart.x_axis(0, x_hi, x_label);
  chart.y_axis(0, 1.1, "PERCLOS (share of time)");
  chart.align_left(kLeft);
  // PERCLOS: the per-minute means, at each minute's middle (or the run's end).
  std::vector<double> x, y;
  for (const PerclosMinute& m : r.perclos_per_minute) {
    if (!std::isfinite(m.perclos_mean)) continue;
    const double mid = std::min((m.minute + 0.5) * 60.0, r.duration_s);
    x.push_back(mid * scale);
    y.push_back(m.perclos_mean);
  }
  const cv::Scalar blue(200, 90, 30);
  if (x.size() == 1) chart.point(x[0], y[0], blue, 4);
  if (x.size() > 1) chart.line(x, y, blue, 2);
  const cv::Scalar purple(160, 40, 140);
  for (const ReportIntervention& i : r.interventions) {
    chart.segment(i.at_s * scale, 0, i.at_s * scale, 1.0, purple, 1);
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on `" " + std::to_string(...)`.
    std::string mark = i.type;
    if (i.level > 1) {
      mark += ' ';
      mark += std::to_string(i.level);
    }
    chart.text(i.at_s * scale, 1.03, mark, purple, 0.35);
  }
  std::vector<std::pair<std::string, cv::Scalar>> key;
  for (const char* st : kStates) key.push_back({st, state_color(st)});
  key.push_back({"PAUSED", state_color("PAUSED")});
  key.push_back({"CAMERA_OFF", state_color("CAMERA_OFF")});
  key.push_back({"PERCLOS", blue});
  key.push_back({"intervention", purple});
  chart.legend(key, core::Corner::kTopRight);
  cv::Mat out;
  cv::vconcat(band.image(), chart.image(), out);
  return out;
}

}  // namespace

std::vector<SessionReport> build_session_report(const core::Table& log,
                                                const ReportOptions& options) {
  if (!(options.max_gap_s > 0) || !std::isfinite(options.max_gap_s)) {
    throw ConfigError("focus report: --max-gap-s is " + std::to_string(options.max_gap_s) +
                      "; it must be a positive number of seconds");
  }
  std::vector<std::string> missing;
  for (const std::string& c : kColumns) {
    if (!log.has(c)) missing.push_back(c);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw FormatError("focus report: the event log lacks " + std::to_string(missing.size()) +
                      " column(s) it needs: " + list);
  }
  const auto& session = log.column("session_id").str;
  const auto& run = log.column("run_id").str;
  std::vector<SessionReport> sessions;
  std::vector<std::string> seen;
  for (std::size_t begin = 0; begin < log.rows();) {
    std::size_t end = begin + 1;
    while (end < log.rows() && session[end] == session[begin] && run[end] == run[begin]) ++end;
    if (seen.empty() || seen.back() != session[begin]) seen.push_back(session[begin]);
    if (!options.session_id || *options.session_id == session[begin]) {
      if (sessions.empty() || sessions.back().session_id != session[begin]) {
        sessions.push_back({session[begin], {}});
      }
      sessions.back().runs.push_back(run_report(log, begin, end, options.max_gap_s));
    }
    begin = end;
  }
  if (options.session_id && sessions.empty()) {
    std::string list;
    for (const std::string& s : seen) list += (list.empty() ? "" : ", ") + s;
    throw ConfigError("focus report: session '" + *options.session_id +
                      "' is not in the event log (it has: " + list + ")");
  }
  return sessions;
}

Json report_json(const std::vector<SessionReport>& sessions) {
  Json list = Json::array();
  for (const SessionReport& s : sessions) {
    Json runs = Json::array();
    for (const RunReport& r : s.runs) runs.push_back(run_json(r));
    list.push_back({{"session_id", s.session_id}, {"totals", session_totals(s)}, {"runs", runs}});
  }
  return {{"sessions", list}};
}

Json write_session_report(const fs::path& events_dir, const fs::path& out_dir,
                          const ReportOptions& options, std::vector<SessionReport>* built) {
  core::Provenance provenance;
  const core::Table log = read_event_log(events_dir, kColumns);
  const std::vector<SessionReport> sessions = build_session_report(log, options);
  // The parts read, hashed, so the summary says exactly which log it describes.
  std::vector<fs::path> parts;
  for (const auto& entry : fs::recursive_directory_iterator(events_dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 8 && name[0] != '.' &&
        name.compare(name.size() - 8, 8, ".parquet") == 0) {
      parts.push_back(entry.path());
    }
  }
  std::sort(parts.begin(), parts.end());
  for (const fs::path& p : parts) provenance.add_input(p);
  provenance.set_parameters(
      {{"session_id", options.session_id ? Json(*options.session_id) : Json(nullptr)},
       {"max_gap_s", options.max_gap_s}});

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (!fs::is_directory(out_dir)) {
    throw Error("cannot create the report folder " + out_dir.string() +
                (ec ? " (" + ec.message() + ")" : ""));
  }
  std::vector<cv::Mat> panels;
  for (const SessionReport& s : sessions) {
    for (const RunReport& r : s.runs) panels.push_back(run_panel(r));
  }
  cv::Mat timeline;
  cv::vconcat(panels, timeline);
  core::save_png(out_dir / "focus_timeline.png", timeline);

  Json summary = {{"events_dir", events_dir.string()}};
  const Json body = report_json(sessions);  // held: items() of a temporary would dangle
  for (const auto& [key, value] : body.items()) summary[key] = value;
  summary["outputs"] = {"focus_report.json", "focus_timeline.png"};
  summary["provenance"] = provenance.finish();
  core::write_json(out_dir / "focus_report.json", summary);
  if (built) *built = sessions;
  return summary;
}

std::string report_text(const std::vector<SessionReport>& sessions) {
  std::ostringstream out;
  char line[256];
  for (const SessionReport& s : sessions) {
    out << "session " << s.session_id << " (" << s.runs.size() << " run"
        << (s.runs.size() == 1 ? "" : "s") << ")\n";
    for (const RunReport& r : s.runs) {
      std::snprintf(line, sizeof line,
                    "  run %s  %s .. %s  %.1f s (%.1f running, %.1f paused, %.1f camera off, "
                    "%.1f not logged)\n",
                    r.run_id.c_str(), r.start_utc.c_str(), r.end_utc.c_str(), r.duration_s,
                    r.running_s, r.paused_s, r.camera_off_s, r.unlogged_s);
      out << line;
      std::snprintf(line, sizeof line, "    focused %.1f s, distracted %.1f s, away %.1f s\n",
                    r.time_per_state_s.at("FOCUSED"), r.time_per_state_s.at("DISTRACTED"),
                    r.time_per_state_s.at("AWAY"));
      out << line;
      std::snprintf(line, sizeof line,
                    "    distractions %d (mean %.1f s, median %.1f s, longest %.1f s); longest "
                    "focused %.1f s; drowsy %.1f s\n",
                    r.distractions.count, r.distractions.mean_s, r.distractions.median_s,
                    r.distractions.longest_s, r.longest_focused_s, r.drowsy_s);
      out << line;
      std::map<std::string, int> by_type;
      for (const ReportIntervention& i : r.interventions) ++by_type[i.type];
      out << "    interventions " << r.interventions.size();
      for (const auto& [type, n] : by_type)
        out << (type == by_type.begin()->first ? ": " : ", ") << type << " " << n;
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace ethovid::focus
