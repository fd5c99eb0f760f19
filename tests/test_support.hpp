#pragma once
// Helpers shared by every test binary: scratch directories, Debian's python3 for fixtures in other
// tools' formats, the shared third-party data folder, and running the real CLI.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ethovid::test {

// A fresh directory under the system temp dir, removed when the object goes away.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a Python 3 script with Debian's interpreter (/usr/bin/python3, which has python3-numpy);
// returns its exit code. The script's stdout/stderr go to the test log.
int run_python(const std::string& script);

// ../shared/data beside the checkout (or $ETHOVID_SHARED_DATA); nullopt when absent.
std::optional<std::filesystem::path> shared_data_dir();

// Runs the ethovid binary with `args` (shell-quoted by the caller); captures stdout+stderr.
struct CommandResult {
  int exit_code;
  std::string output;
};
CommandResult run_ethovid(const std::string& args);

// Reads a whole file into a string.
std::string read_file(const std::filesystem::path& path);

// Runs `call`, expects exception type E, and checks that every fragment appears in its message.
template <typename E, typename F>
void expect_error(F&& call, const std::vector<std::string>& fragments) {
  try {
    call();
    ADD_FAILURE() << "expected an exception, none was thrown";
  } catch (const E& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message '" << message << "' lacks '" << fragment << "'";
    }
  }
}

}  // namespace ethovid::test

// Skips the current test with a clear message when ../shared/data is not there.
#define ETHOVID_REQUIRE_SHARED_DATA(var)                                                   \
  auto var##_opt = ::ethovid::test::shared_data_dir();                                    \
  if (!var##_opt) {                                                                       \
    GTEST_SKIP() << "shared test data not found (../shared/data beside the checkout, or " \
                    "$ETHOVID_SHARED_DATA); skipping this integration test";               \
  }                                                                                       \
  const std::filesystem::path var = *var##_opt
