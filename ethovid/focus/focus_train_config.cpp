// train.yaml of `focus train`: the defaults in TrainConfig, the keys as to_json() names them.
#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "ethovid/core/error.hpp"
#include "ethovid/core/yaml_config.hpp"
#include "ethovid/focus/focus_training.hpp"

namespace ethovid::focus {

namespace {

std::string line_of(const YAML::Node& node) {
  const int line = node.Mark().line;  // -1 for a node built in memory
  return line >= 0 ? " (line " + std::to_string(line + 1) + ")" : "";
}

template <typename T>
void read_key(const YAML::Node& root, const char* key, const std::string& source, T& out) {
  if (!root[key] || root[key].IsNull()) return;
  try {
    out = root[key].as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(source + ": '" + key + "' has the wrong type" + line_of(root[key]));
  }
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

void check_edges(const std::vector<double>& edges, const std::string& key,
                 const std::string& source) {
  if (edges.size() < 2) {
    throw ConfigError(source + ": slices." + key + " needs at least 2 edges, has " +
                      std::to_string(edges.size()));
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i]) || (i > 0 && !(edges[i] > edges[i - 1]))) {
      throw ConfigError(source + ": slices." + key +
                        " must be finite and strictly ascending; edge " + std::to_string(i) +
                        " is " + number(edges[i]));
    }
  }
}

}  // namespace

core::Json TrainConfig::to_json() const {
  core::Json j;
  j["features"] = features;
  j["label"] = label;
  j["classes"] = classes;
  j["running_only"] = running_only;
  j["split"] = split == SplitKind::kSession ? "session" : "time";
  j["test_fraction"] = test_fraction;
  j["validation_fraction"] = validation_fraction;
  j["seed"] = seed;
  j["C"] = c;
  if (class_weight == "explicit") {
    core::Json weights = core::Json::object();
    for (const auto& [name, w] : class_weights) weights[name] = w;
    j["class_weight"] = weights;
  } else {
    j["class_weight"] = class_weight;
  }
  j["max_iterations"] = max_iterations;
  j["reliability_bins"] = reliability_bins;
  j["slices"] = {{"brightness_edges", brightness_edges}, {"face_size_edges", face_size_edges}};
  j["experiment"] = experiment;
  return j;
}

void check_train_config(const TrainConfig& c, const std::string& source) {
  if (c.features.empty())
    throw ConfigError(source + ": features is empty; name at least one column");
  std::set<std::string> seen;
  for (const std::string& f : c.features) {
    if (f.empty()) throw ConfigError(source + ": features has an empty name");
    if (!seen.insert(f).second) throw ConfigError(source + ": feature '" + f + "' is listed twice");
    if (f == c.label)
      throw ConfigError(source + ": the label column '" + f + "' is also a feature");
  }
  if (c.label.empty()) throw ConfigError(source + ": label is empty");
  std::set<std::string> classes(c.classes.begin(), c.classes.end());
  if (classes.size() != c.classes.size())
    throw ConfigError(source + ": classes lists a class twice");
  if (!c.classes.empty() && c.classes.size() < 2) {
    throw ConfigError(source + ": classes needs at least 2, has " +
                      std::to_string(c.classes.size()));
  }
  if (!(c.test_fraction > 0 && c.test_fraction < 1)) {
    throw ConfigError(source + ": test_fraction = " + number(c.test_fraction) +
                      " must be in (0, 1)");
  }
  if (!(c.validation_fraction >= 0 && c.validation_fraction < 1)) {
    throw ConfigError(source + ": validation_fraction = " + number(c.validation_fraction) +
                      " must be in [0, 1)");
  }
  if (!(c.c > 0) || !std::isfinite(c.c))
    throw ConfigError(source + ": C = " + number(c.c) + " must be > 0");
  if (c.class_weight != "balanced" && c.class_weight != "none" && c.class_weight != "explicit") {
    throw ConfigError(source + ": class_weight is '" + c.class_weight +
                      "'; expected balanced, none or a mapping");
  }
  if (c.class_weight == "explicit") {
    if (c.class_weights.empty()) throw ConfigError(source + ": class_weight is an empty mapping");
    for (const auto& [name, w] : c.class_weights) {
      if (!(w > 0) || !std::isfinite(w)) {
        throw ConfigError(source + ": class_weight of " + name + " = " + number(w) +
                          " must be > 0");
      }
    }
  }
  if (c.max_iterations < 1) {
    throw ConfigError(source + ": max_iterations = " + std::to_string(c.max_iterations) +
                      " must be >= 1");
  }
  if (c.reliability_bins < 1 || c.reliability_bins > 1000) {
    throw ConfigError(source + ": reliability_bins = " + std::to_string(c.reliability_bins) +
                      " must be in [1, 1000]");
  }
  check_edges(c.brightness_edges, "brightness_edges", source);
  check_edges(c.face_size_edges, "face_size_edges", source);
  if (c.experiment.empty()) throw ConfigError(source + ": experiment is empty");
}

TrainConfig load_train_config(const std::filesystem::path& path) {
  const YAML::Node root = core::load_yaml(path);
  const std::string source = path.string();
  TrainConfig c;
  if (!root || root.IsNull()) return c;  // an empty file: every default
  core::check_known_keys(root, path, "the focus train config",
                         {"features", "label", "classes", "running_only", "split", "test_fraction",
                          "validation_fraction", "seed", "C", "class_weight", "max_iterations",
                          "reliability_bins", "slices", "experiment"});
  read_key(root, "features", source, c.features);
  read_key(root, "label", source, c.label);
  read_key(root, "classes", source, c.classes);
  read_key(root, "running_only", source, c.running_only);
  std::string split;
  read_key(root, "split", source, split);
  if (split == "time") {
    c.split = SplitKind::kTime;
  } else if (!split.empty() && split != "session") {
    throw ConfigError(source + ": split is '" + split + "'; expected session or time" +
                      line_of(root["split"]));
  }
  read_key(root, "test_fraction", source, c.test_fraction);
  read_key(root, "validation_fraction", source, c.validation_fraction);
  read_key(root, "seed", source, c.seed);
  read_key(root, "C", source, c.c);
  if (const YAML::Node w = root["class_weight"]; w && !w.IsNull()) {
    if (w.IsMap()) {
      c.class_weight = "explicit";
      read_key(root, "class_weight", source, c.class_weights);
    } else {
      read_key(root, "class_weight", source, c.class_weight);
      if (c.class_weight == "explicit") {
        throw ConfigError(source +
                          ": class_weight 'explicit' is written as a mapping {CLASS: weight, ...}" +
                          line_of(w));
      }
    }
  }
  read_key(root, "max_iterations", source, c.max_iterations);
  read_key(root, "reliability_bins", source, c.reliability_bins);
  if (const YAML::Node slices = root["slices"]; slices && !slices.IsNull()) {
    core::check_known_keys(slices, path, "slices", {"brightness_edges", "face_size_edges"});
    read_key(slices, "brightness_edges", source, c.brightness_edges);
    read_key(slices, "face_size_edges", source, c.face_size_edges);
  }
  read_key(root, "experiment", source, c.experiment);
  check_train_config(c, source);
  return c;
}

}  // namespace ethovid::focus
