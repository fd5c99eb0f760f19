#include "ethovid/core/provenance.hpp"

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

}  // namespace ethovid::core
