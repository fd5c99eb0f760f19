#pragma once
// `ethovid focus train` (issue 12 §5): labelled focus events in, a calibrated FocusModel out.
//
// Steps (one call, train_focus_model):
//  1. Load the rows: an event-log folder (read_event_log) or one Parquet file (e.g. what
//     `focus label` writes), only the columns needed; every missing column is named in one
//     MissingColumnsError before anything else happens.
//  2. Keep the RUNNING rows (unless running_only is false) with a non-empty label. The label
//     column is `label` (human labels) or `state_smooth` (the rules' states as weak labels:
//     marked `weak_labels: true` in every output, as are labels whose `label_source` column,
//     written by `focus label`, says "weak_rules").
//  3. Split: by session (whole sessions go to test, none in both; seeded) or by time (the
//     latest test_fraction of the rows by ts). A validation part of train (sessions, or its
//     latest rows when train has a single session or split is by time) fits the temperature.
//  4. Impute NaN features with the training rows' medians, fit the multinomial logistic
//     regression (logistic_regression.hpp) on train minus validation, fit the temperature on
//     validation, and score the test rows: metrics before and after the temperature, and slices
//     per session, per brightness bin and per face-size bin.
//  5. Write into `out`: focus_model.json (FocusModel; `training` holds the data sha256, rows,
//     sessions, config and provenance), latest_eval.json, confusion_matrix.png, reliability.png;
//     and, unless tracking is off, an MLflow run (mlflow_tracking.hpp) with the parameters,
//     the test metrics and those files as artifacts.
// The run is skipped (result.skipped) when latest_eval.json was made from rows with the same
// sha256 and the same configuration and its outputs exist, unless `force`.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/focus/classification_metrics.hpp"
#include "ethovid/focus/focus_model.hpp"
#include "ethovid/focus/mlflow_tracking.hpp"

namespace ethovid::focus {

// Columns the trainer needs that the input lacks, all of them in one message (exit 2).
class MissingColumnsError : public FormatError {
 public:
  using FormatError::FormatError;
  const char* kind() const noexcept override { return "MissingColumnsError"; }
};

// Labelled rows that cannot train and test a model: too few sessions to split, a class absent
// from the training rows, no rows left after filtering, a label outside `classes` (exit 2).
class TrainingDataError : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "TrainingDataError"; }
};

enum class SplitKind { kSession, kTime };

struct TrainConfig {
  std::vector<std::string> features = {"face_present", "nose_offset_abs", "nose_offset_signed"};
  std::string label = "label";       // "state_smooth" trains on the rules' states (weak labels)
  std::vector<std::string> classes;  // empty = the labels present, sorted
  bool running_only = true;          // only rows with session_mode RUNNING
  SplitKind split = SplitKind::kSession;
  double test_fraction = 0.25;            // of the sessions (split: session) or rows (split: time)
  double validation_fraction = 0.2;       // of the training sessions or rows, for the temperature
  std::uint64_t seed = 0;                 // the session shuffle
  double c = 1.0;                         // inverse L2 strength (scikit-learn's C)
  std::string class_weight = "balanced";  // "balanced", "none" or "explicit"
  std::map<std::string, double> class_weights;  // for "explicit": every class, > 0
  int max_iterations = 100;
  int reliability_bins = 10;
  std::vector<double> brightness_edges = {0, 64, 128, 192, 256};  // gray levels, ascending
  std::vector<double> face_size_edges = {0, 0.1, 0.2, 0.3, 1.0};  // box width / frame width
  std::string experiment = "focus";                               // the MLflow experiment

  core::Json to_json() const;  // every key, as train.yaml names them
};

// train.yaml: the keys of TrainConfig as to_json() names them (features, label, classes,
// running_only, split: session|time, test_fraction, validation_fraction, seed, C,
// class_weight: balanced|none|{CLASS: weight, ...}, max_iterations, reliability_bins,
// slices: {brightness_edges, face_size_edges}, experiment). Unknown keys and bad values are a
// ConfigError naming the file and key.
TrainConfig load_train_config(const std::filesystem::path& path);
// The same checks on a config made in code (ConfigError naming the key and value; `source`
// prefixes the message).
void check_train_config(const TrainConfig& config, const std::string& source = "train config");

struct TrainOptions {
  std::filesystem::path events;  // an event-log folder or a Parquet file
  std::filesystem::path out;     // created when absent
  TrainConfig config;
  std::optional<std::filesystem::path> config_file;  // recorded in provenance when given
  // MLflow tracking: nullopt = off; else MLFLOW_TRACKING_URI's value ("" = ./mlruns under
  // tracking_cwd).
  std::optional<std::string> tracking_uri;
  std::filesystem::path tracking_cwd = std::filesystem::current_path();
  bool force = false;
};

struct SliceMetrics {
  std::string name;  // e.g. "session s01", "brightness [64, 128)", "face_size missing"
  std::int64_t rows = 0;
  double accuracy = 0, balanced_accuracy = 0, macro_f1 = 0, log_loss = 0;
};

struct TrainResult {
  bool skipped = false;  // up to date: nothing was fitted or written
  bool weak_labels = false;
  FocusModel model;
  std::string data_sha256;
  std::int64_t rows_read = 0, rows_used = 0;
  std::int64_t train_rows = 0, validation_rows = 0, test_rows = 0;
  std::vector<std::string> train_sessions, validation_sessions, test_sessions;
  ClassificationReport test, test_uncalibrated, validation;
  std::vector<SliceMetrics> slices;
  std::vector<std::string> warnings;
  std::filesystem::path model_path, eval_path, confusion_png, reliability_png;
  std::optional<MlflowResult> mlflow;
  core::Json eval;  // what latest_eval.json holds
};

// MissingInputError (no such input), MissingColumnsError, TrainingDataError, ConfigError (a
// feature column that is not numeric or boolean), DegenerateDataError / ConvergenceError from
// the fit, TrackingError from MLflow (after the files are written).
TrainResult train_focus_model(const TrainOptions& options);

}  // namespace ethovid::focus
