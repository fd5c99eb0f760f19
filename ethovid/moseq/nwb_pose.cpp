// NWB files with the ndx-pose extension: PoseEstimation containers (in any processing module)
// holding one PoseEstimationSeries per keypoint (`data` frames x 2|3, `confidence`, and
// `timestamps` or `starting_time` with a `rate`).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"
#include "ethovid/moseq/pose_files.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

std::string neurodata_type(const core::Hdf5File& file, const std::string& object) {
  return file.has_attribute(object, "neurodata_type") ? file.string_attribute(object, "neurodata_type") : "";
}

// Series named "<individual>_<node>" are split per individual when their descriptions say so
// (DeepLabCut's exporter: "ind1_snout", "Keypoint snout from individual ind1.") and every
// individual has the same nodes. Names alone cannot tell "left_ear, right_ear" of one animal from
// animals "left" and "right", so without such descriptions the series stay one animal, whole.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> split_individuals(
    const core::Hdf5File& file, const std::string& container, const std::vector<std::string>& series) {
  const std::map<std::string, std::vector<std::pair<std::string, std::string>>> whole = {{"", {}}};
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> split;  // individual -> (node, series)
  for (const auto& name : series) {
    const auto underscore = name.find('_');
    if (underscore == std::string::npos || underscore == 0 || underscore + 1 == name.size()) return whole;
    split[name.substr(0, underscore)].emplace_back(name.substr(underscore + 1), name);
  }
  std::set<std::string> first;
  for (const auto& [node, _] : split.begin()->second) first.insert(node);
  for (const auto& [individual, nodes] : split) {
    std::set<std::string> these;
    for (const auto& [node, _] : nodes) these.insert(node);
    if (these != first) return whole;
    for (const auto& [node, name] : nodes) {
      const std::string object = container + "/" + name;
      const std::string description =
          file.has_attribute(object, "description") ? file.string_attribute(object, "description") : "";
      if (description.find("individual " + individual) == std::string::npos) return whole;
    }
  }
  return split;
}

// Frames per second from a series' timing, when it states a plausible one.
std::optional<double> series_fps(const core::Hdf5File& file, const std::string& series) {
  if (file.has(series + "/starting_time") && file.has_attribute(series + "/starting_time", "rate")) {
    return file.number_attribute(series + "/starting_time", "rate");
  }
  if (!file.has(series + "/timestamps")) return std::nullopt;
  const auto stamps = file.read_numbers(series + "/timestamps").values;
  std::vector<double> steps;
  for (std::size_t i = 1; i < stamps.size(); ++i) steps.push_back(stamps[i] - stamps[i - 1]);
  if (steps.empty()) return std::nullopt;
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  const double step = steps[steps.size() / 2];
  // Some exporters write frame numbers as timestamps (a step of 1 "second"): no rate then.
  if (!(step > 0 && step < 1)) return std::nullopt;
  return 1.0 / step;
}

void read_container(const core::Hdf5File& file, const std::string& container, const std::string& label,
                    std::vector<PoseRecording>& out) {
  std::vector<std::string> series;
  for (const auto& child : file.children(container)) {
    if (neurodata_type(file, container + "/" + child) == "PoseEstimationSeries") series.push_back(child);
  }
  if (series.empty()) throw FormatError(file.path().string() + ": " + container + " holds no PoseEstimationSeries");
  // The container's `nodes` list gives the keypoint order when it names the series.
  if (file.has(container + "/nodes")) {
    const auto nodes = file.read_strings(container + "/nodes");
    if (std::is_permutation(nodes.begin(), nodes.end(), series.begin(), series.end())) series = nodes;
  }
  auto individuals = split_individuals(file, container, series);
  if (individuals.begin()->first.empty()) {
    individuals = {{"", {}}};
    for (const auto& name : series) individuals[""].emplace_back(name, name);
  } else {
    // Keep the series order within each individual.
    for (auto& [individual, nodes] : individuals) {
      std::stable_sort(nodes.begin(), nodes.end(), [&](const auto& a, const auto& b) {
        return std::find(series.begin(), series.end(), a.second) < std::find(series.begin(), series.end(), b.second);
      });
    }
  }
  for (const auto& [individual, nodes] : individuals) {
    std::vector<std::string> bodyparts;
    for (const auto& [node, _] : nodes) bodyparts.push_back(node);
    const std::string first = container + "/" + nodes.front().second;
    const core::Hdf5Array shape = file.read_numbers(first + "/data");
    if (shape.shape.size() != 2 || (shape.shape[1] != 2 && shape.shape[1] != 3)) {
      throw FormatError(file.path().string() + ": " + first + "/data is not frames x 2 or 3");
    }
    std::string name = label;
    if (individuals.size() > 1) name.append("_").append(individual);
    PoseRecording r = PoseRecording::empty(name, file.path(), bodyparts, shape.shape[0], static_cast<int>(shape.shape[1]));
    r.fps = series_fps(file, first);
    for (int k = 0; k < r.keypoints(); ++k) {
      const std::string s = container + "/" + nodes[static_cast<std::size_t>(k)].second;
      const core::Hdf5Array data = file.read_numbers(s + "/data");
      if (data.shape != shape.shape) {
        throw FormatError(file.path().string() + ": " + s + "/data has " + std::to_string(data.shape[0]) +
                          " frames, " + first + " has " + std::to_string(shape.shape[0]));
      }
      std::vector<double> confidence;
      if (file.has(s + "/confidence")) confidence = file.read_numbers(s + "/confidence").values;
      for (std::int64_t t = 0; t < r.frames; ++t) {
        bool present = true;
        for (int d = 0; d < r.dims; ++d) {
          r.at(t, k, d) = data.values[static_cast<std::size_t>(t * r.dims + d)];
          present = present && !std::isnan(r.at(t, k, d));  // infinities are refused later
        }
        const double c = confidence.empty() ? 1.0 : confidence.at(static_cast<std::size_t>(t));
        r.confidence(t, k) = present && std::isfinite(c) ? c : 0.0;
        if (!present) {
          for (int d = 0; d < r.dims; ++d) r.at(t, k, d) = NAN;
        }
      }
    }
    out.push_back(std::move(r));
  }
}

}  // namespace

std::vector<PoseRecording> load_nwb_pose(const fs::path& path) {
  const core::Hdf5File file(path);
  std::vector<std::string> containers;
  if (file.is_group("processing")) {
    for (const auto& module : file.children("processing")) {
      const std::string group = "processing/" + module;
      if (!file.is_group(group)) continue;
      for (const auto& child : file.children(group)) {
        if (neurodata_type(file, group + "/" + child) == "PoseEstimation") containers.push_back(group + "/" + child);
      }
    }
  }
  if (containers.empty()) throw FormatError(path.string() + " has no ndx-pose PoseEstimation in /processing");
  std::vector<PoseRecording> out;
  for (const auto& container : containers) {
    std::string label = path.stem().string();
    if (containers.size() > 1) label.append("_").append(container.substr(container.rfind('/') + 1));
    read_container(file, container, label, out);
  }
  return out;
}

}  // namespace ethovid::moseq
