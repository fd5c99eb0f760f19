#pragma once
// `ethovid focus train`: labelled focus events in, a calibrated model, its evaluation and an
// MLflow run out (focus/focus_training.hpp).
#include <CLI/CLI.hpp>

#include "ethovid/cli/commands.hpp"

namespace ethovid::cli {

// Adds `train` to the `focus` group (focus_commands.hpp).
void add_focus_train_command(CLI::App& app, Runner& run);

}  // namespace ethovid::cli
