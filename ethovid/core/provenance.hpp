#pragma once
// The provenance block every summary carries: which ethovid (version, commit) made it, from
// which inputs and models (sha256), with which parameters, when (ISO-8601 UTC) and where (host).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"

namespace ethovid::core {

class Provenance {
 public:
  Provenance();  // records the start time

  // Hashes the file (streamed) and records path + sha256 + size.
  void add_input(const std::filesystem::path& path);
  // An input known by a digest computed elsewhere (e.g. an image sequence hashed frame by frame).
  void add_input_digest(const std::string& name, const std::string& sha256, std::uintmax_t bytes);
  void add_model(const std::string& name, const std::filesystem::path& path);
  void set_parameters(Json parameters) { parameters_ = std::move(parameters); }

  const Json& parameters() const { return parameters_; }
  const Json& inputs() const { return inputs_; }
  const Json& models() const { return models_; }

  // Stamps the end time and returns the block.
  Json finish() const;

 private:
  std::chrono::system_clock::time_point start_;
  Json inputs_ = Json::array();
  Json models_ = Json::array();
  Json parameters_ = Json::object();
};

std::string iso8601_utc(std::chrono::system_clock::time_point t);

// A stage run is a pure function of its inputs and parameters: returns the summary at
// `summary_path` when it was made from inputs (and models) with the same sha256 digests and the
// same parameters as `current`, and every file in `outputs` still exists (with "skipped": true
// set, as the caller reports it); otherwise nullopt (also for a missing or unreadable summary).
std::optional<Json> previous_run_if_up_to_date(const std::filesystem::path& summary_path,
                                               const Provenance& current,
                                               const std::vector<std::filesystem::path>& outputs);

}  // namespace ethovid::core
