#include "test_support.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace ethovid::test {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = fs::temp_directory_path() / ("ethovid-test-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("could not create a scratch directory");
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int run_python(const std::string& script) {
  ScratchDir dir;
  fs::path file = dir / "fixture.py";
  std::ofstream(file) << script;
  int status = std::system(("/usr/bin/python3 " + file.string()).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::optional<fs::path> shared_data_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("ETHOVID_SHARED_DATA")) candidates.emplace_back(env);
  candidates.push_back(fs::path(ETHOVID_SOURCE_DIR) / ".." / "shared" / "data");
  for (const auto& c : candidates) {
    if (fs::is_directory(c)) return fs::canonical(c);
  }
  return std::nullopt;
}

CommandResult run_ethovid(const std::string& args) {
  std::string command = std::string(ETHOVID_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ethovid::test
