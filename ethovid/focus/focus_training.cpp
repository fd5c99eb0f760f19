#include "ethovid/focus/focus_training.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "ethovid/core/build_info.hpp"
#include "ethovid/core/chart.hpp"
#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/focus/event_log.hpp"
#include "ethovid/focus/logistic_regression.hpp"

namespace ethovid::focus {

namespace fs = std::filesystem;
using core::Json;

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

std::string join(const std::vector<std::string>& names, std::size_t limit = 20) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

Json num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// The rows the trainer works on, in session order, then time.
struct Rows {
  std::vector<std::string> session;
  std::vector<std::int64_t> ts;  // µs since the epoch, UTC
  std::vector<int> y;
  Eigen::MatrixXd x;                          // rows x features, NaN where unknown
  std::vector<double> brightness, face_size;  // NaN where unknown or absent
  std::size_t size() const { return y.size(); }
};

// Every column of a Parquet file, without reading its rows.
std::vector<std::string> parquet_columns(const fs::path& file) {
  core::duck::Database db("", {});
  core::duck::Connection connection(db);
  try {
    return connection
        .describe("SELECT * FROM read_parquet(" + core::duck::quote_string(file.string()) + ")")
        .names;
  } catch (const core::duck::Failure& e) {
    throw ParquetFormatError(file.string() + ": cannot be read as Parquet (" +
                             core::duck::first_line(e.what()) + ")");
  }
}

double value_at(const core::Column& c, std::size_t i, const std::string& source) {
  if (!c.valid.empty() && !c.valid[i]) return kNan;
  switch (c.spec.type) {
    case core::ColumnType::kFloat64:
      return c.f64[i];
    case core::ColumnType::kFloat32:
      return c.f32[i];
    case core::ColumnType::kInt64:
      return static_cast<double>(c.i64[i]);
    case core::ColumnType::kInt8:
    case core::ColumnType::kBool:
      return c.i8[i];
    default:
      throw ConfigError(source + ": column '" + c.name() +
                        "' is not numeric or boolean, so it cannot be a feature");
  }
}

std::string string_at(const core::Column& c, std::size_t i) {
  if (!c.valid.empty() && !c.valid[i]) return "";
  if (c.spec.type == core::ColumnType::kString) return c.str[i];
  if (c.spec.type == core::ColumnType::kInt64) return std::to_string(c.i64[i]);
  return "";
}

struct Loaded {
  core::Table table;
  bool has_brightness = false, has_face_size = false;
  bool has_label_source = false;  // `focus label` output: "human" or "weak_rules" per row
};

// Reads only the needed columns; names every missing one at once.
Loaded load(const TrainOptions& o) {
  const TrainConfig& c = o.config;
  if (!fs::exists(o.events)) {
    throw MissingInputError(o.events.string() + ": no such event-log folder or Parquet file");
  }
  std::vector<std::string> required = {"session_id", "ts"};
  if (c.running_only) required.push_back("session_mode");
  required.push_back(c.label);
  for (const std::string& f : c.features) {
    if (std::find(required.begin(), required.end(), f) == required.end()) required.push_back(f);
  }
  Loaded out;
  if (fs::is_directory(o.events)) {
    // An event log: brightness and face_size are in its schema, so the slices always have them.
    std::vector<std::string> columns = required;
    for (const char* s : {"brightness", "face_size"}) {
      if (std::find(columns.begin(), columns.end(), s) == columns.end()) columns.push_back(s);
    }
    try {
      out.table = read_event_log(o.events, columns);
    } catch (const MissingColumnsError&) {
      throw;
    } catch (const FormatError& e) {
      // The reader names every missing column; keep its words under this stage's error type.
      const std::string what = e.what();
      if (what.find(" lacks ") != std::string::npos) {
        throw MissingColumnsError(what);
      }
      throw;
    }
    out.has_brightness = out.has_face_size = true;
    return out;
  }
  const std::vector<std::string> present = parquet_columns(o.events);
  std::vector<std::string> missing;
  for (const std::string& r : required) {
    if (std::find(present.begin(), present.end(), r) == present.end()) missing.push_back(r);
  }
  if (!missing.empty()) {
    throw MissingColumnsError(o.events.string() + " lacks " + std::to_string(missing.size()) +
                              " column" + (missing.size() > 1 ? "s" : "") +
                              " that focus train needs: " + join(missing, 1000) + " (it has " +
                              std::to_string(present.size()) + ": " + join(present) + ")");
  }
  std::vector<std::string> columns = required;
  for (const char* s : {"brightness", "face_size", "label_source"}) {
    const bool there = std::find(present.begin(), present.end(), s) != present.end();
    if (there && std::find(columns.begin(), columns.end(), s) == columns.end())
      columns.push_back(s);
    (std::strcmp(s, "brightness") == 0  ? out.has_brightness
     : std::strcmp(s, "face_size") == 0 ? out.has_face_size
                                        : out.has_label_source) = there;
  }
  // label_source describes the `label` column only.
  if (c.label != "label") out.has_label_source = false;
  out.table = core::read_parquet(o.events, columns);
  return out;
}

// Bytes that pin the rows used: session, ts, label and the features' bit patterns, row by row.
std::string hash_rows(const Rows& rows, const std::vector<std::string>& classes) {
  std::string buffer;
  buffer.reserve(rows.size() * (24 + 8 * rows.x.cols()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    buffer += rows.session[i];
    buffer += '\0';
    buffer.append(reinterpret_cast<const char*>(&rows.ts[i]), sizeof(std::int64_t));
    buffer += classes[rows.y[i]];
    buffer += '\0';
    for (Eigen::Index j = 0; j < rows.x.cols(); ++j) {
      const double v = rows.x(static_cast<Eigen::Index>(i), j);
      buffer.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
  }
  return core::sha256_bytes(buffer);
}

struct Split {
  std::vector<std::size_t> fit, validation, test;  // row indices
  std::vector<std::string> fit_sessions, validation_sessions, test_sessions;
  std::string validation_by;  // "session" or "time"
};

std::vector<std::string> sessions_of(const Rows& rows, const std::vector<std::size_t>& idx) {
  std::set<std::string> s;
  for (const std::size_t i : idx) s.insert(rows.session[i]);
  return {s.begin(), s.end()};
}

// The latest `fraction` of the rows by ts (ties by position), as (earlier, later).
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_by_time(
    const Rows& rows, std::vector<std::size_t> idx, double fraction) {
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t a, std::size_t b) { return rows.ts[a] < rows.ts[b]; });
  const auto later =
      static_cast<std::size_t>(std::llround(fraction * static_cast<double>(idx.size())));
  const std::size_t cut = idx.size() - std::min(later, idx.size());
  std::vector<std::size_t> a(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(cut));
  std::vector<std::size_t> b(idx.begin() + static_cast<std::ptrdiff_t>(cut), idx.end());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return {a, b};
}

Split make_split(const Rows& rows, const TrainConfig& c, const std::string& source) {
  Split s;
  std::vector<std::size_t> all(rows.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<std::size_t> train;
  if (c.split == SplitKind::kSession) {
    std::vector<std::string> sessions = sessions_of(rows, all);
    if (sessions.size() < 2) {
      throw TrainingDataError(
          source + ": too few sessions to split by session: " + std::to_string(sessions.size()) +
          " session with labelled rows (" + join(sessions) +
          "); a session split needs at least 2 (or set split: time)");
    }
    // Fisher-Yates on mt19937_64, whose output the standard fixes, so a seed gives the same
    // split on every platform (std::shuffle's algorithm is not specified).
    std::mt19937_64 random(c.seed);
    for (std::size_t i = sessions.size() - 1; i > 0; --i)
      std::swap(sessions[i], sessions[random() % (i + 1)]);
    const std::size_t n = sessions.size();
    const std::size_t n_test = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::llround(c.test_fraction * static_cast<double>(n))), 1, n - 1);
    const std::set<std::string> test(sessions.begin(),
                                     sessions.begin() + static_cast<std::ptrdiff_t>(n_test));
    std::set<std::string> validation;
    const std::size_t n_train = n - n_test;
    if (c.validation_fraction > 0 && n_train >= 2) {
      const std::size_t n_val = std::clamp<std::size_t>(
          static_cast<std::size_t>(
              std::llround(c.validation_fraction * static_cast<double>(n_train))),
          1, n_train - 1);
      validation.insert(sessions.begin() + static_cast<std::ptrdiff_t>(n_test),
                        sessions.begin() + static_cast<std::ptrdiff_t>(n_test + n_val));
      s.validation_by = "session";
    }
    for (const std::size_t i : all) {
      if (test.count(rows.session[i])) {
        s.test.push_back(i);
      } else if (validation.count(rows.session[i])) {
        s.validation.push_back(i);
      } else {
        train.push_back(i);
      }
    }
  } else {
    std::tie(train, s.test) = split_by_time(rows, all, c.test_fraction);
  }
  // Without validation sessions, the temperature is fitted on the latest rows of train.
  if (!s.validation_by.empty()) {
    s.fit = train;
  } else if (c.validation_fraction > 0) {
    std::tie(s.fit, s.validation) = split_by_time(rows, train, c.validation_fraction);
    s.validation_by = "time";
  } else {
    s.fit = train;
    s.validation_by = "none";
  }
  if (s.test.empty() || s.fit.size() < 2) {
    throw TrainingDataError(source + ": " + std::to_string(rows.size()) + " labelled rows leave " +
                            std::to_string(s.fit.size()) + " to fit and " +
                            std::to_string(s.test.size()) + " to test; more rows are needed");
  }
  s.fit_sessions = sessions_of(rows, s.fit);
  s.validation_sessions = sessions_of(rows, s.validation);
  s.test_sessions = sessions_of(rows, s.test);
  return s;
}

Eigen::MatrixXd gather(const Eigen::MatrixXd& x, const std::vector<std::size_t>& idx) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(idx.size()), x.cols());
  for (std::size_t r = 0; r < idx.size(); ++r)
    out.row(static_cast<Eigen::Index>(r)) = x.row(static_cast<Eigen::Index>(idx[r]));
  return out;
}

std::vector<int> gather(const std::vector<int>& y, const std::vector<std::size_t>& idx) {
  std::vector<int> out;
  out.reserve(idx.size());
  for (const std::size_t i : idx) out.push_back(y[i]);
  return out;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return kNan;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lo + hi);
}

Eigen::MatrixXd proba_of(const FocusModel& model, const Eigen::MatrixXd& x) {
  Eigen::MatrixXd p(x.rows(), static_cast<Eigen::Index>(model.classes.size()));
  std::vector<double> row(static_cast<std::size_t>(x.cols()));
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (Eigen::Index j = 0; j < x.cols(); ++j) row[static_cast<std::size_t>(j)] = x(i, j);
    const std::vector<double> q = model.predict_proba(row);
    for (std::size_t k = 0; k < q.size(); ++k) p(i, static_cast<Eigen::Index>(k)) = q[k];
  }
  return p;
}

Json report_json(const ClassificationReport& r) {
  Json j;
  j["rows"] = r.rows;
  j["accuracy"] = num(r.accuracy);
  j["balanced_accuracy"] = num(r.balanced_accuracy);
  j["macro_precision"] = num(r.macro_precision);
  j["macro_recall"] = num(r.macro_recall);
  j["macro_f1"] = num(r.macro_f1);
  j["macro_roc_auc"] = num(r.macro_roc_auc);
  j["log_loss"] = num(r.log_loss);
  j["brier"] = num(r.brier);
  j["ece"] = num(r.ece);
  Json per_class = Json::object();
  for (std::size_t k = 0; k < r.classes.size(); ++k) {
    const ClassScores& s = r.per_class[k];
    per_class[r.classes[k]] = {{"precision", num(s.precision)},
                               {"recall", num(s.recall)},
                               {"f1", num(s.f1)},
                               {"support", s.support},
                               {"roc_auc", num(r.roc_auc[k])}};
  }
  j["per_class"] = per_class;
  j["confusion_matrix"] = {
      {"rows", "true class"}, {"columns", "predicted class"}, {"counts", r.confusion}};
  Json bins = Json::array();
  for (const ReliabilityBin& b : r.reliability) {
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"mean_confidence", num(b.mean_confidence)},
                    {"accuracy", num(b.accuracy)}});
  }
  j["reliability"] = bins;
  return j;
}

SliceMetrics slice_of(const std::string& name, const std::vector<int>& y, const Eigen::MatrixXd& p,
                      const std::vector<std::size_t>& idx,
                      const std::vector<std::string>& classes) {
  SliceMetrics s;
  s.name = name;
  s.rows = static_cast<std::int64_t>(idx.size());
  const ClassificationReport r = classification_report(gather(y, idx), gather(p, idx), classes);
  s.accuracy = r.accuracy;
  s.balanced_accuracy = r.balanced_accuracy;
  s.macro_f1 = r.macro_f1;
  s.log_loss = r.log_loss;
  return s;
}

std::string edge_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// Test rows by the bin of `values` they fall in ([e_i, e_i+1), the last bin closed); rows with
// NaN or outside the edges form their own slices.
void add_bin_slices(const std::string& what, const std::vector<double>& values,
                    const std::vector<double>& edges, const std::vector<int>& y,
                    const Eigen::MatrixXd& p, const std::vector<std::string>& classes,
                    std::vector<SliceMetrics>& out) {
  const std::size_t bins = edges.size() - 1;
  std::vector<std::vector<std::size_t>> in(bins);
  std::vector<std::size_t> missing, outside;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {
      missing.push_back(i);
      continue;
    }
    if (v < edges.front() || v > edges.back()) {
      outside.push_back(i);
      continue;
    }
    const auto it = std::upper_bound(edges.begin(), edges.end(), v);
    const std::size_t b =
        std::min<std::size_t>(static_cast<std::size_t>(it - edges.begin()) - 1, bins - 1);
    in[b].push_back(i);
  }
  for (std::size_t b = 0; b < bins; ++b) {
    if (in[b].empty()) continue;
    const std::string name = what + " [" + edge_text(edges[b]) + ", " + edge_text(edges[b + 1]) +
                             (b + 1 == bins ? "]" : ")");
    out.push_back(slice_of(name, y, p, in[b], classes));
  }
  if (!outside.empty())
    out.push_back(slice_of(what + " outside the edges", y, p, outside, classes));
  if (!missing.empty()) out.push_back(slice_of(what + " missing", y, p, missing, classes));
}

std::string metric_key(const std::string& name) {
  std::string out;
  for (const char ch : name)
    out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.')
               ? ch
               : '_';
  return out;
}

// Share of each true class's test rows predicted as each class, as stacked bars with the counts.
void plot_confusion(const ClassificationReport& r, const fs::path& file,
                    const std::string& label_note) {
  const std::size_t k = r.classes.size();
  core::Chart chart(720, 480,
                    "confusion matrix, " + std::to_string(r.rows) + " test rows" + label_note);
  chart.x_categories(r.classes, "true class (bar) / predicted class (colour)");
  chart.y_axis(0, 1.2, "share of the true class's rows");  // room above the bars for the key
  std::vector<std::vector<double>> cumulative(k, std::vector<double>(k, 0.0));  // [pred][true]
  for (std::size_t t = 0; t < k; ++t) {
    double total = 0;
    for (std::size_t p = 0; p < k; ++p) total += static_cast<double>(r.confusion[t][p]);
    double sum = 0;
    for (std::size_t p = 0; p < k; ++p) {
      sum += total > 0 ? static_cast<double>(r.confusion[t][p]) / total : 0.0;
      cumulative[p][t] = sum;
    }
  }
  // Tallest first: each predicted class's band shows between the previous total and its own.
  for (std::size_t p = k; p-- > 0;) chart.bars(cumulative[p], core::Chart::palette(p));
  for (std::size_t t = 0; t < k; ++t) {
    double lower = 0;
    for (std::size_t p = 0; p < k; ++p) {
      const double upper = cumulative[p][t];
      if (r.confusion[t][p] > 0 && upper - lower > 0.04) {
        chart.text(static_cast<double>(t) - 0.08, 0.5 * (lower + upper),
                   std::to_string(r.confusion[t][p]), cv::Scalar(255, 255, 255));
      }
      lower = upper;
    }
  }
  std::vector<std::pair<std::string, cv::Scalar>> legend;
  for (std::size_t p = 0; p < k; ++p)
    legend.emplace_back("predicted " + r.classes[p], core::Chart::palette(p));
  chart.legend(legend);
  core::save_png(file, chart.image());
}

// Top-label accuracy against confidence per bin, before and after the temperature.
void plot_reliability(const ClassificationReport& calibrated, const ClassificationReport& raw,
                      double temperature, const fs::path& file) {
  std::ostringstream title;
  title.precision(3);
  title << "reliability (test rows): ECE " << raw.ece << " raw, " << calibrated.ece
        << " at T = " << temperature;
  core::Chart chart(640, 560, title.str());
  chart.x_axis(0, 1, "confidence (top-class probability)");
  chart.y_axis(0, 1, "accuracy");
  const cv::Scalar grey(150, 150, 150);
  chart.line({0, 1}, {0, 1}, grey, 1);
  const auto draw = [&](const ClassificationReport& r, const cv::Scalar& color) {
    std::vector<double> x, y;
    for (const ReliabilityBin& b : r.reliability) {
      if (b.count == 0) continue;
      x.push_back(b.mean_confidence);
      y.push_back(b.accuracy);
    }
    if (x.size() > 1) chart.line(x, y, color, 2);
    for (std::size_t i = 0; i < x.size(); ++i) chart.point(x[i], y[i], color, 4);
  };
  draw(raw, core::Chart::palette(1));
  draw(calibrated, core::Chart::palette(0));
  chart.legend({{"raw", core::Chart::palette(1)},
                {"temperature-scaled", core::Chart::palette(0)},
                {"ideal", grey}},
               core::Corner::kTopLeft);
  core::save_png(file, chart.image());
}

}  // namespace

TrainResult train_focus_model(const TrainOptions& o) {
  const auto started = std::chrono::system_clock::now();
  const TrainConfig& c = o.config;
  const std::string source = o.events.string();
  check_train_config(c, o.config_file ? o.config_file->string() : "train config");
  TrainResult result;
  result.weak_labels = c.label == "state_smooth" || c.label == "state_raw";

  // 1. Load.
  const Loaded loaded = load(o);
  const core::Table& t = loaded.table;
  result.rows_read = static_cast<std::int64_t>(t.rows());
  const core::Column& session_col = t.column("session_id");
  const core::Column& ts_col = t.column("ts");
  const core::Column& label_col = t.column(c.label);
  if (label_col.spec.type != core::ColumnType::kString) {
    throw ConfigError(source + ": the label column '" + c.label +
                      "' holds no strings (class names)");
  }
  if (ts_col.i64.size() != t.rows()) {
    throw FormatError(source + ": column 'ts' is not a timestamp or an integer of microseconds");
  }
  const core::Column* mode_col = c.running_only ? &t.column("session_mode") : nullptr;

  // 2. Filter and label.
  std::vector<std::size_t> keep;
  std::map<std::string, std::int64_t> label_counts, source_counts;
  const core::Column* source_col = loaded.has_label_source ? &t.column("label_source") : nullptr;
  std::int64_t not_running = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (mode_col && string_at(*mode_col, i) != "RUNNING") {
      ++not_running;
      continue;
    }
    const std::string label = string_at(label_col, i);
    if (label.empty()) continue;
    keep.push_back(i);
    ++label_counts[label];
    if (source_col) ++source_counts[string_at(*source_col, i)];
  }
  // `focus label` without a labels CSV marks its rows weak_rules: the rules' states again.
  if (source_counts.count("weak_rules")) result.weak_labels = true;
  if (keep.empty()) {
    throw TrainingDataError(source + ": no rows to train on: " + std::to_string(t.rows()) +
                            " rows, " + std::to_string(not_running) +
                            " not RUNNING, the rest without a '" + c.label + "' label");
  }
  std::vector<std::string> classes = c.classes;
  if (classes.empty()) {
    for (const auto& [name, n] : label_counts) classes.push_back(name);
  } else {
    std::vector<std::string> unknown;
    for (const auto& [name, n] : label_counts) {
      if (std::find(classes.begin(), classes.end(), name) == classes.end()) {
        unknown.push_back("'" + name + "' (" + std::to_string(n) + " rows)");
      }
    }
    if (!unknown.empty()) {
      throw TrainingDataError(source + ": labels outside classes [" + join(classes) +
                              "]: " + join(unknown));
    }
  }
  if (classes.size() < 2) {
    throw TrainingDataError(source + ": the labelled rows hold one class only (" + join(classes) +
                            ", " + std::to_string(keep.size()) +
                            " rows); a model needs at least 2");
  }
  std::map<std::string, int> class_index;
  for (std::size_t k = 0; k < classes.size(); ++k) class_index[classes[k]] = static_cast<int>(k);

  Rows rows;
  rows.x.resize(static_cast<Eigen::Index>(keep.size()),
                static_cast<Eigen::Index>(c.features.size()));
  std::vector<const core::Column*> feature_cols;
  for (const std::string& f : c.features) feature_cols.push_back(&t.column(f));
  const core::Column* bright_col = loaded.has_brightness ? &t.column("brightness") : nullptr;
  const core::Column* size_col = loaded.has_face_size ? &t.column("face_size") : nullptr;
  for (std::size_t r = 0; r < keep.size(); ++r) {
    const std::size_t i = keep[r];
    rows.session.push_back(string_at(session_col, i));
    rows.ts.push_back(ts_col.i64[i]);
    rows.y.push_back(class_index.at(string_at(label_col, i)));
    for (std::size_t j = 0; j < feature_cols.size(); ++j) {
      rows.x(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) =
          value_at(*feature_cols[j], i, source);
    }
    rows.brightness.push_back(bright_col ? value_at(*bright_col, i, source) : kNan);
    rows.face_size.push_back(size_col ? value_at(*size_col, i, source) : kNan);
  }
  if (!bright_col) result.warnings.push_back("no brightness column: no brightness slices");
  if (!size_col) result.warnings.push_back("no face_size column: no face-size slices");
  result.rows_used = static_cast<std::int64_t>(rows.size());
  result.data_sha256 = hash_rows(rows, classes);

  // Up to date? Same rows, same configuration, outputs in place.
  core::Provenance provenance;
  provenance.add_input_digest(source + " (rows used)", result.data_sha256, rows.size());
  Json parameters = c.to_json();
  parameters["classes"] = classes;
  // What the fit depends on: the MLflow experiment a run is filed under is not part of it, and
  // train.yaml itself is not an input (its values are the parameters), so neither re-trains.
  Json fit_parameters = parameters;
  fit_parameters.erase("experiment");
  provenance.set_parameters(fit_parameters);
  result.model_path = o.out / "focus_model.json";
  result.eval_path = o.out / "latest_eval.json";
  result.confusion_png = o.out / "confusion_matrix.png";
  result.reliability_png = o.out / "reliability.png";
  if (!o.force) {
    if (auto previous = core::previous_run_if_up_to_date(
            result.eval_path, provenance,
            {result.model_path, result.confusion_png, result.reliability_png})) {
      result.skipped = true;
      result.eval = *previous;
      result.model = FocusModel::load(result.model_path);
      return result;
    }
  }

  // 3. Split.
  const Split split = make_split(rows, c, source);
  result.train_rows = static_cast<std::int64_t>(split.fit.size());
  result.validation_rows = static_cast<std::int64_t>(split.validation.size());
  result.test_rows = static_cast<std::int64_t>(split.test.size());
  result.train_sessions = split.fit_sessions;
  result.validation_sessions = split.validation_sessions;
  result.test_sessions = split.test_sessions;
  std::vector<std::int64_t> fit_counts(classes.size(), 0), test_counts(classes.size(), 0);
  for (const std::size_t i : split.fit) ++fit_counts[static_cast<std::size_t>(rows.y[i])];
  for (const std::size_t i : split.test) ++test_counts[static_cast<std::size_t>(rows.y[i])];
  for (std::size_t k = 0; k < classes.size(); ++k) {
    if (fit_counts[k] == 0) {
      throw TrainingDataError(source + ": class " + classes[k] + " has no rows among the " +
                              std::to_string(split.fit.size()) + " training rows (sessions " +
                              join(split.fit_sessions) + "; " +
                              std::to_string(label_counts[classes[k]]) + " rows in all, " +
                              std::to_string(test_counts[k]) +
                              " of them in test); use more sessions, another seed or split: time");
    }
    if (test_counts[k] == 0) {
      result.warnings.push_back("class " + classes[k] +
                                " has no test rows: its recall and ROC-AUC are undefined");
    }
  }

  // 4. Impute, fit, calibrate, score.
  Eigen::MatrixXd fit_x = gather(rows.x, split.fit);
  std::vector<double> impute(c.features.size());
  for (std::size_t j = 0; j < c.features.size(); ++j) {
    std::vector<double> known;
    for (Eigen::Index i = 0; i < fit_x.rows(); ++i) {
      const double v = fit_x(i, static_cast<Eigen::Index>(j));
      if (std::isfinite(v)) known.push_back(v);
    }
    impute[j] = known.empty() ? 0.0 : median_of(known);
    if (known.empty()) {
      result.warnings.push_back("feature " + c.features[j] +
                                " is never known in the training rows: imputed as 0");
    }
    for (Eigen::Index i = 0; i < fit_x.rows(); ++i) {
      double& v = fit_x(i, static_cast<Eigen::Index>(j));
      if (!std::isfinite(v)) v = impute[j];
    }
  }
  LogisticRegressionOptions lr;
  lr.c = c.c;
  lr.max_iterations = c.max_iterations;
  lr.balanced = c.class_weight == "balanced";
  if (c.class_weight == "explicit") {
    for (const std::string& name : classes) {
      const auto it = c.class_weights.find(name);
      if (it == c.class_weights.end()) {
        throw ConfigError((o.config_file ? o.config_file->string() : std::string("train config")) +
                          ": class_weight has no weight for class " + name +
                          " (classes: " + join(classes) + ")");
      }
      lr.class_weights.push_back(it->second);
    }
  }
  const std::vector<int> fit_y = gather(rows.y, split.fit);
  const LogisticRegressionFit fit =
      fit_logistic_regression(fit_x, fit_y, static_cast<int>(classes.size()), lr);

  FocusModel& model = result.model;
  model.features = c.features;
  model.classes = classes;
  model.mean = fit.mean;
  model.scale = fit.scale;
  model.impute = impute;
  model.coefficients.assign(classes.size(), std::vector<double>(c.features.size()));
  for (std::size_t k = 0; k < classes.size(); ++k) {
    for (std::size_t j = 0; j < c.features.size(); ++j) {
      model.coefficients[k][j] =
          fit.coefficients(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j));
    }
  }
  model.intercepts.assign(fit.intercepts.data(), fit.intercepts.data() + fit.intercepts.size());
  model.temperature = 1.0;

  const std::vector<int> val_y = gather(rows.y, split.validation);
  if (!split.validation.empty()) {
    // Logits are log-probabilities at T = 1 up to a per-row constant, which softmax ignores.
    const Eigen::MatrixXd p = proba_of(model, gather(rows.x, split.validation));
    model.temperature = fit_temperature(p.array().max(1e-300).log().matrix(), val_y);
  } else {
    result.warnings.push_back("no validation rows: temperature left at 1");
  }

  const Eigen::MatrixXd test_x = gather(rows.x, split.test);
  const std::vector<int> test_y = gather(rows.y, split.test);
  const Eigen::MatrixXd test_p = proba_of(model, test_x);
  result.test = classification_report(test_y, test_p, classes, c.reliability_bins);
  {
    FocusModel raw = model;
    raw.temperature = 1.0;
    result.test_uncalibrated =
        classification_report(test_y, proba_of(raw, test_x), classes, c.reliability_bins);
  }
  if (!split.validation.empty()) {
    result.validation = classification_report(
        val_y, proba_of(model, gather(rows.x, split.validation)), classes, c.reliability_bins);
  }

  // Slices of the test rows.
  std::map<std::string, std::vector<std::size_t>> by_session;
  std::vector<double> test_brightness, test_face_size;
  for (std::size_t r = 0; r < split.test.size(); ++r) {
    by_session[rows.session[split.test[r]]].push_back(r);
    test_brightness.push_back(rows.brightness[split.test[r]]);
    test_face_size.push_back(rows.face_size[split.test[r]]);
  }
  if (c.split == SplitKind::kSession || by_session.size() > 1) {
    for (const auto& [session, idx] : by_session) {
      result.slices.push_back(slice_of("session " + session, test_y, test_p, idx, classes));
    }
  }
  if (bright_col)
    add_bin_slices("brightness", test_brightness, c.brightness_edges, test_y, test_p, classes,
                   result.slices);
  if (size_col)
    add_bin_slices("face_size", test_face_size, c.face_size_edges, test_y, test_p, classes,
                   result.slices);

  // 5. Outputs.
  Json training;
  training["data_sha256"] = result.data_sha256;
  training["source"] = source;
  training["label"] = c.label;
  training["weak_labels"] = result.weak_labels;
  Json sources = Json::object();
  for (const auto& [name, n] : source_counts) sources[name.empty() ? "unknown" : name] = n;
  if (!source_counts.empty()) training["label_sources"] = sources;
  training["rows"] = result.rows_used;
  training["train_rows"] = result.train_rows;
  training["validation_rows"] = result.validation_rows;
  training["test_rows"] = result.test_rows;
  training["sessions"] = {{"train", split.fit_sessions},
                          {"validation", split.validation_sessions},
                          {"test", split.test_sessions}};
  training["split"] = {{"by", c.split == SplitKind::kSession ? "session" : "time"},
                       {"validation_by", split.validation_by}};
  training["fit"] = {{"iterations", fit.iterations},
                     {"objective", fit.objective},
                     {"gradient_max", fit.gradient_max},
                     {"class_weights", fit.class_weights}};
  training["config"] = parameters;
  if (o.config_file) training["config_file"] = o.config_file->string();
  const Json prov = provenance.finish();
  training["provenance"] = prov;
  model.training = nlohmann::json::parse(training.dump());

  Json eval;
  eval["format"] = "ethovid-focus-eval";
  eval["version"] = 1;
  eval["model"] = result.model_path.filename().string();
  eval["data_sha256"] = result.data_sha256;
  eval["label"] = c.label;
  eval["weak_labels"] = result.weak_labels;
  if (!source_counts.empty()) eval["label_sources"] = sources;
  eval["classes"] = classes;
  eval["features"] = c.features;
  eval["rows"] = {{"read", result.rows_read},
                  {"used", result.rows_used},
                  {"train", result.train_rows},
                  {"validation", result.validation_rows},
                  {"test", result.test_rows}};
  eval["split"] = training["split"];
  eval["split"]["test_fraction"] = c.test_fraction;
  eval["split"]["validation_fraction"] = c.validation_fraction;
  eval["split"]["seed"] = c.seed;
  eval["sessions"] = training["sessions"];
  eval["temperature"] = model.temperature;
  eval["test"] = report_json(result.test);
  eval["test_uncalibrated"] = report_json(result.test_uncalibrated);
  eval["validation"] = split.validation.empty() ? Json(nullptr) : report_json(result.validation);
  Json slices = Json::array();
  for (const SliceMetrics& s : result.slices) {
    slices.push_back({{"slice", s.name},
                      {"rows", s.rows},
                      {"accuracy", num(s.accuracy)},
                      {"balanced_accuracy", num(s.balanced_accuracy)},
                      {"macro_f1", num(s.macro_f1)},
                      {"log_loss", num(s.log_loss)}});
  }
  eval["slices"] = slices;
  eval["fit"] = training["fit"];
  eval["warnings"] = result.warnings;
  eval["provenance"] = prov;
  result.eval = eval;

  fs::create_directories(o.out);
  const std::string note = result.weak_labels ? " (weak labels: " + c.label + ")" : "";
  plot_confusion(result.test, result.confusion_png, note);
  plot_reliability(result.test, result.test_uncalibrated, model.temperature,
                   result.reliability_png);
  model.save(result.model_path);
  // The summary last: it is what marks the run complete for the up-to-date check.
  core::write_json(result.eval_path, eval);

  if (o.tracking_uri) {
    MlflowRun run;
    run.experiment_name = c.experiment;
    run.source_name = "ethovid focus train";
    for (const auto& [key, value] : parameters.items()) {
      run.params[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    run.params["input"] = source;
    const auto metric = [&](const std::string& key, double v) { run.metrics[key] = v; };
    const auto report_metrics = [&](const std::string& prefix, const ClassificationReport& r) {
      metric(prefix + "accuracy", r.accuracy);
      metric(prefix + "balanced_accuracy", r.balanced_accuracy);
      metric(prefix + "macro_f1", r.macro_f1);
      metric(prefix + "macro_roc_auc", r.macro_roc_auc);
      metric(prefix + "log_loss", r.log_loss);
      metric(prefix + "brier", r.brier);
      metric(prefix + "ece", r.ece);
    };
    report_metrics("test_", result.test);
    report_metrics("test_uncalibrated_", result.test_uncalibrated);
    for (std::size_t k = 0; k < classes.size(); ++k) {
      const std::string name = metric_key(classes[k]);
      metric("test_precision_" + name, result.test.per_class[k].precision);
      metric("test_recall_" + name, result.test.per_class[k].recall);
      metric("test_f1_" + name, result.test.per_class[k].f1);
      metric("test_roc_auc_" + name, result.test.roc_auc[k]);
    }
    metric("temperature", model.temperature);
    metric("rows_train", static_cast<double>(result.train_rows));
    metric("rows_validation", static_cast<double>(result.validation_rows));
    metric("rows_test", static_cast<double>(result.test_rows));
    run.tags["ethovid.version"] = kVersion;
    run.tags["ethovid.git_commit"] = kGitCommit;
    run.tags["ethovid.data_sha256"] = result.data_sha256;
    run.tags["ethovid.weak_labels"] = result.weak_labels ? "true" : "false";
    run.artifacts = {result.model_path, result.eval_path, result.confusion_png,
                     result.reliability_png};
    run.start_time = started;  // the run spans the whole training
    run.end_time = std::chrono::system_clock::now();
    try {
      result.mlflow = log_mlflow_run(run, *o.tracking_uri, o.tracking_cwd);
    } catch (const TrackingError& e) {
      // The files are complete, so a plain rerun would be up to date and skip the logging.
      throw TrackingError(std::string(e.what()) + "; the model and its evaluation are written in " +
                          o.out.string() + ": rerun with --force (or force = true) to log the run");
    }
  }
  return result;
}

}  // namespace ethovid::focus
