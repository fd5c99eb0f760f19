#include "ethovid/core/provenance.hpp"

#include "ethovid/core/error.hpp"

#include <unistd.h>

#include <array>
#include <ctime>

#include "ethovid/core/build_info.hpp"
#include "ethovid/core/hash.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> buffer{};
  std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer.data();
}

Provenance::Provenance() : start_(std::chrono::system_clock::now()) {}

void Provenance::add_input(const fs::path& path) {
  add_input_digest(path.string(), sha256_file(path), fs::file_size(path));
}

void Provenance::add_input_digest(const std::string& name, const std::string& sha256,
                                  std::uintmax_t bytes) {
  inputs_.push_back({{"path", name}, {"sha256", sha256}, {"bytes", bytes}});
}

void Provenance::add_model(const std::string& name, const fs::path& path) {
  models_.push_back({{"name", name}, {"path", path.string()}, {"sha256", sha256_file(path)}});
}

Json Provenance::finish() const {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  return Json{{"ethovid_version", kVersion},
              {"git_commit", kGitCommit},
              {"inputs", inputs_},
              {"models", models_},
              {"parameters", parameters_},
              {"started_at", iso8601_utc(start_)},
              {"finished_at", iso8601_utc(std::chrono::system_clock::now())},
              {"host", host.data()}};
}

namespace {

Json digests_of(const Json& entries) {
  Json digests = Json::array();
  for (const auto& entry : entries) digests.push_back(entry.at("sha256"));
  return digests;
}

}  // namespace

std::optional<Json> previous_run_if_up_to_date(const std::filesystem::path& summary_path,
                                               const Provenance& current,
                                               const std::vector<std::filesystem::path>& outputs) {
  if (!std::filesystem::exists(summary_path)) return std::nullopt;
  for (const auto& output : outputs) {
    if (!std::filesystem::exists(output)) return std::nullopt;
  }
  Json previous;
  try {
    previous = read_json(summary_path);
  } catch (const Error&) {
    return std::nullopt;  // an unreadable summary is simply not up to date
  }
  const auto* stored = previous.contains("provenance") ? &previous["provenance"] : nullptr;
  if (!stored || !stored->contains("inputs") || !stored->contains("parameters")) return std::nullopt;
  try {
    if (digests_of((*stored)["inputs"]) != digests_of(current.inputs()) ||
        digests_of(stored->value("models", Json::array())) != digests_of(current.models()) ||
        (*stored)["parameters"] != current.parameters()) {
      return std::nullopt;
    }
  } catch (const Json::exception&) {
    return std::nullopt;  // a summary of another shape is not ours to trust
  }
  previous["skipped"] = true;
  return previous;
}

}  // namespace ethovid::core
