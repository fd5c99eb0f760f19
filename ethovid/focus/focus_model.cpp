#include "ethovid/focus/focus_model.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <fstream>
#include <set>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"

namespace ethovid::focus {

namespace {

using Json = nlohmann::json;

constexpr const char* kFormat = "ethovid-focus-model";
constexpr int kVersion = 1;

// Reads one model file's fields, each error naming the file and the field, so that a model
// written by another tool (or edited by hand) is refused with the exact reason.
class Reader {
 public:
  Reader(const Json& json, const std::string& source) : json_(json), source_(source) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw ModelFormatError(source_ + ": " + message);
  }

  const Json& field(const char* key) const {
    const auto it = json_.find(key);
    if (it == json_.end()) fail(std::string("the focus model has no '") + key + "'");
    return *it;
  }

  std::vector<std::string> names(const char* key) const {
    const Json& value = field(key);
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on `"'" + std::string(key) + ...`.
    std::string quoted(1, '\'');
    quoted += key;
    quoted += '\'';
    if (!value.is_array() || value.empty()) {
      fail(quoted + " must be a non-empty list of names, not " + describe(value));
    }
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string() || value[i].get_ref<const std::string&>().empty()) {
        fail(quoted + "[" + std::to_string(i) + "] must be a non-empty string, not " +
             describe(value[i]));
      }
      out.push_back(value[i].get<std::string>());
      if (!seen.insert(out.back()).second) {
        fail(quoted + " names '" + out.back() + "' twice");
      }
    }
    return out;
  }

  // A list of finite numbers that must have `expected` values (`what_expected` says why).
  std::vector<double> numbers(const Json& value, const std::string& name, std::size_t expected,
                              const std::string& what_expected) const {
    if (!value.is_array()) fail("'" + name + "' must be a list of numbers, not " + describe(value));
    if (value.size() != expected) {
      fail("'" + name + "' has " + std::to_string(value.size()) + " values, " + what_expected +
           " has " + std::to_string(expected));
    }
    std::vector<double> out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) out.push_back(number(value[i], name + "[" + std::to_string(i) + "]"));
    return out;
  }

  double number(const Json& value, const std::string& name) const {
    if (!value.is_number()) fail("'" + name + "' must be a number, not " + describe(value));
    const double x = value.get<double>();
    if (!std::isfinite(x)) fail("'" + name + "' is " + std::to_string(x) + ", not a finite number");
    return x;
  }

  static std::string describe(const Json& value) {
    if (value.is_null()) return "null";
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(value.type_name()) + " " + text;
  }

 private:
  const Json& json_;
  const std::string& source_;
};

}  // namespace

FocusModel FocusModel::from_json(const nlohmann::json& json, const std::string& source) {
  const Reader r(json, source);
  if (!json.is_object()) r.fail("a focus model must be a JSON object, not " + Reader::describe(json));
  const Json& format = r.field("format");
  if (format != kFormat) {
    r.fail("'format' is " + Reader::describe(format) + ", not \"" + kFormat + "\" (not a focus model?)");
  }
  const Json& version = r.field("version");
  if (version != kVersion) {
    r.fail("'version' is " + Reader::describe(version) + "; this ethovid reads version " +
           std::to_string(kVersion));
  }
  FocusModel m;
  m.features = r.names("features");
  m.classes = r.names("classes");
  const std::size_t n_features = m.features.size();
  const std::size_t n_classes = m.classes.size();
  if (n_classes < 2) r.fail("'classes' has 1 class; a classifier needs at least 2");

  const Json& scaler = r.field("scaler");
  if (!scaler.is_object()) r.fail("'scaler' must be an object with 'mean' and 'scale'");
  const Reader scaler_reader(scaler, source);
  m.mean = r.numbers(scaler_reader.field("mean"), "scaler.mean", n_features, "'features'");
  m.scale = r.numbers(scaler_reader.field("scale"), "scaler.scale", n_features, "'features'");
  for (std::size_t j = 0; j < n_features; ++j) {
    if (m.scale[j] <= 0) {
      r.fail("'scaler.scale'[" + std::to_string(j) + "] (" + m.features[j] + ") is " +
             std::to_string(m.scale[j]) + "; a scale must be > 0");
    }
  }

  const Json& coefficients = r.field("coefficients");
  if (!coefficients.is_array()) {
    r.fail("'coefficients' must be a list of rows (classes x features), not " + Reader::describe(coefficients));
  }
  if (coefficients.size() != n_classes) {
    r.fail("'coefficients' has " + std::to_string(coefficients.size()) + " rows, 'classes' has " +
           std::to_string(n_classes));
  }
  for (std::size_t k = 0; k < n_classes; ++k) {
    m.coefficients.push_back(r.numbers(coefficients[k], "coefficients[" + std::to_string(k) + "]",
                                       n_features, "'features'"));
  }
  m.intercepts = r.numbers(r.field("intercepts"), "intercepts", n_classes, "'classes'");

  // Optional: a model exported without calibration has temperature 1, and one without imputation
  // values fills a NaN with the training mean (a standardised 0).
  m.temperature = json.contains("temperature") ? r.number(json["temperature"], "temperature") : 1.0;
  if (m.temperature <= 0) {
    r.fail("'temperature' is " + std::to_string(m.temperature) + "; it must be > 0");
  }
  m.impute = json.contains("impute") ? r.numbers(json["impute"], "impute", n_features, "'features'") : m.mean;
  if (json.contains("training")) {
    if (!json["training"].is_object()) r.fail("'training' must be an object, not " + Reader::describe(json["training"]));
    m.training = json["training"];
  }
  return m;
}

FocusModel FocusModel::load(const std::filesystem::path& path) {
  core::require_input_file(path, path.string() + ": model file not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(path.string() + ": cannot be opened");
  Json json;
  try {
    json = Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw ModelFormatError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  return from_json(json, path.string());
}

nlohmann::json FocusModel::to_json() const {
  return {{"format", kFormat},
          {"version", kVersion},
          {"features", features},
          {"classes", classes},
          {"scaler", {{"mean", mean}, {"scale", scale}}},
          {"coefficients", coefficients},
          {"intercepts", intercepts},
          {"temperature", temperature},
          {"impute", impute},
          {"training", training}};
}

void FocusModel::save(const std::filesystem::path& path) const {
  const Json json = to_json();
  // A model that would be refused when read back is refused now, before it replaces a good one.
  from_json(json, path.string());
  // max_digits10 (nlohmann's default for doubles) so that a load gives back the same numbers.
  core::write_text_atomically(path, json.dump(2) + "\n");
}

std::vector<double> FocusModel::predict_proba(const std::vector<double>& row) const {
  const std::size_t n_features = features.size();
  assert(row.size() == n_features);
  std::vector<double> out(classes.size());
  double max_logit = -INFINITY;
  for (std::size_t k = 0; k < classes.size(); ++k) {
    const std::vector<double>& w = coefficients[k];
    double logit = intercepts[k];
    for (std::size_t j = 0; j < n_features; ++j) {
      // Any non-finite input (NaN: unknown, as the log writes it) takes the imputed value, so
      // the probabilities are always finite and sum to 1.
      const double x = std::isfinite(row[j]) ? row[j] : impute[j];
      logit += w[j] * ((x - mean[j]) / scale[j]);
    }
    out[k] = logit / temperature;
    max_logit = std::max(max_logit, out[k]);
  }
  // Softmax shifted by the largest logit: exp never overflows and at least one term is 1.
  double sum = 0;
  for (double& p : out) {
    p = std::exp(p - max_logit);
    sum += p;
  }
  for (double& p : out) p /= sum;
  return out;
}

std::size_t FocusModel::predict(const std::vector<double>& row) const {
  const std::vector<double> p = predict_proba(row);
  return static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
}

}  // namespace ethovid::focus
