// `ethovid focus train --events EVENTS --config train.yaml --out models/`.
#include "ethovid/cli/commands.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "ethovid/cli/focus_commands.hpp"
#include "ethovid/focus/focus_training.hpp"

namespace ethovid::cli {

namespace {

std::string fixed(double v, int decimals = 3) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_summary(const focus::TrainResult& r, const std::filesystem::path& out) {
  if (r.skipped) {
    std::cout << "focus train: up to date (same rows, sha256 " << r.data_sha256.substr(0, 12)
              << "..., and the same config): " << (out / "focus_model.json").string()
              << " kept; --force trains again\n";
    return;
  }
  std::cout << "focus train: " << r.rows_used << " labelled rows (" << r.train_rows << " train in "
            << r.train_sessions.size()
            << (r.train_sessions.size() == 1 ? " session, " : " sessions, ") << r.validation_rows
            << " validation, " << r.test_rows << " test in " << r.test_sessions.size()
            << (r.test_sessions.size() == 1 ? " session)" : " sessions)")
            << (r.weak_labels ? "; WEAK labels (the rules' states)" : "") << "\n";
  const focus::ClassificationReport& t = r.test;
  std::cout << "test: accuracy " << fixed(t.accuracy) << ", balanced accuracy "
            << fixed(t.balanced_accuracy) << ", macro F1 " << fixed(t.macro_f1) << ", ROC-AUC "
            << fixed(t.macro_roc_auc) << ", log loss " << fixed(t.log_loss) << ", Brier "
            << fixed(t.brier) << "\n";
  std::cout << "calibration: temperature " << fixed(r.model.temperature) << ", ECE "
            << fixed(r.test_uncalibrated.ece) << " -> " << fixed(t.ece) << "\n";
  std::size_t width = 0;
  for (const std::string& c : t.classes) width = std::max(width, c.size());
  for (std::size_t k = 0; k < t.classes.size(); ++k) {
    const focus::ClassScores& s = t.per_class[k];
    std::cout << "  " << t.classes[k] << std::string(width + 2 - t.classes[k].size(), ' ')
              << "precision " << fixed(s.precision) << "  recall " << fixed(s.recall) << "  F1 "
              << fixed(s.f1) << "  support " << s.support << "\n";
  }
  std::cout << "wrote " << r.model_path.string() << ", " << r.eval_path.string() << ", "
            << r.confusion_png.string() << ", " << r.reliability_png.string() << "\n";
  if (r.mlflow) {
    std::cout << "MLflow: run " << r.mlflow->run_id << " in experiment " << r.mlflow->experiment_id
              << " (" << (r.mlflow->rest ? "server " : "file store ") << r.mlflow->location
              << ")\n";
    for (const std::string& note : r.mlflow->notes)
      std::cerr << "ethovid: note: MLflow " << note << "\n";
  }
}

}  // namespace

void add_focus_train_command(CLI::App& app, Runner& run) {
  CLI::App& focus = focus_group(app);
  auto* cmd = focus.add_subcommand("train",
                                   "Train the focus model (multinomial logistic regression, "
                                   "calibrated) on labelled events; write "
                                   "focus_model.json, latest_eval.json and plots, and log an "
                                   "MLflow run (MLFLOW_TRACKING_URI, default ./mlruns)");
  struct Args {
    std::string events, config, out = "models", experiment, label;
    bool no_mlflow = false, force = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--events", args->events,
                  "Event-log folder, or a labelled Parquet file (focus label)")
      ->required()
      ->type_name("DIR|FILE");
  cmd->add_option("--config", args->config,
                  "train.yaml (features, label, split, C, class_weight, ...)")
      ->type_name("FILE");
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str()->type_name("DIR");
  cmd->add_option("--experiment", args->experiment,
                  "MLflow experiment (default: the config's, else focus)")
      ->type_name("NAME");
  cmd->add_option("--label", args->label,
                  "Label column: label, or state_smooth for weak labels (overrides the config)")
      ->type_name("COLUMN");
  cmd->add_flag("--no-mlflow", args->no_mlflow, "Do not log an MLflow run");
  cmd->add_flag("--force", args->force, "Train even when the rows and the config are unchanged");
  cmd->callback([&run, args] {
    run = [args] {
      focus::TrainOptions options;
      options.events = args->events;
      options.out = args->out;
      if (!args->config.empty()) {
        options.config = focus::load_train_config(args->config);
        options.config_file = args->config;
      }
      if (!args->experiment.empty()) options.config.experiment = args->experiment;
      if (!args->label.empty()) options.config.label = args->label;
      if (!args->no_mlflow) {
        const char* uri = std::getenv("MLFLOW_TRACKING_URI");
        options.tracking_uri = uri ? uri : "";
      }
      options.force = args->force;
      const focus::TrainResult result = focus::train_focus_model(options);
      for (const std::string& w : result.warnings) std::cerr << "ethovid: warning: " << w << "\n";
      print_summary(result, options.out);
      return 0;
    };
  });
}

}  // namespace ethovid::cli
