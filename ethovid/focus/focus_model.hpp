#pragma once
// The trained focus model (issue 12 §5): multinomial logistic regression on standardised
// features, with a temperature for calibrated probabilities. Written by `focus train`, read by
// `focus serve` and by `policy: model`. The JSON file:
//   {"format": "ethovid-focus-model", "version": 1,
//    "features": ["face_present", "nose_offset_abs", "nose_offset_signed"],
//    "classes": ["AWAY", "DISTRACTED", "FOCUSED"],
//    "scaler": {"mean": [...], "scale": [...]},          // one per feature, scale > 0
//    "coefficients": [[...], ...],                        // classes x features
//    "intercepts": [...],                                 // one per class
//    "temperature": 1.0,                                  // logits are divided by it
//    "impute": [...],                                     // per feature: the value a NaN takes
//    "training": {"data_sha256": "...", "rows": N, ...}}  // provenance, free-form
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ethovid::focus {

struct FocusModel {
  std::vector<std::string> features;
  std::vector<std::string> classes;
  std::vector<double> mean, scale, impute;
  std::vector<std::vector<double>> coefficients;  // classes x features
  std::vector<double> intercepts;
  double temperature = 1.0;
  nlohmann::json training = nlohmann::json::object();

  // FormatError naming the file and the sizes that disagree (features vs scaler vs coefficient
  // columns, classes vs rows), a scale <= 0, a temperature <= 0 or a non-finite number.
  static FocusModel load(const std::filesystem::path& path);
  static FocusModel from_json(const nlohmann::json& json, const std::string& source);
  nlohmann::json to_json() const;
  void save(const std::filesystem::path& path) const;  // atomically

  // Class probabilities for one row of features in `features` order (NaN takes `impute`).
  // Asserts the size.
  std::vector<double> predict_proba(const std::vector<double>& row) const;
  // The most probable class's index.
  std::size_t predict(const std::vector<double>& row) const;
};

}  // namespace ethovid::focus
