// Ctrl-C and SIGTERM on a real `ethovid facemap compute`: exit 130/143, one line on stderr, no
// scratch file and no empty output folder left; a later run sweeps what a killed run left.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <thread>

#include "facemap_test_util.hpp"
#include "test_support.hpp"
#include "tools/synth/synthetic_eye_video.hpp"

namespace ethovid::facemap {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

// Starts ethovid with `args`, its stderr into `stderr_file`; returns the child's pid.
pid_t start_ethovid(const std::vector<std::string>& args, const fs::path& stderr_file) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    std::vector<char*> argv{const_cast<char*>(ETHOVID_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ETHOVID_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// The hidden temporary names in `dir` whose name contains `part`.
std::vector<std::string> scratch_in(const fs::path& dir, const std::string& part = ".tmp-") {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp-") != std::string::npos && name.find(part) != std::string::npos) {
      names.push_back(name);
    }
  }
  return names;
}

// Waits until `ready()` holds (or the child ended or 60 s passed); returns whether it held.
template <typename F>
bool wait_for(pid_t child, F ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

class InterruptedCompute : public ::testing::Test {
 protected:
  void SetUp() override {
    synth::SyntheticEyeVideoParams params;
    params.width = 320;
    params.height = 240;
    params.frame_count = 900;
    video_ = dir_ / "eye.mkv";
    synth::write_synthetic_eye_video(params, video_);
  }
  std::vector<std::string> args(const fs::path& out) const {
    return {"facemap", "compute", video_.string(), "--output", out.string(), "--svd-components", "20"};
  }
  ScratchDir dir_;
  fs::path video_;
};

TEST_F(InterruptedCompute, SigintWhileAnOutputIsWrittenRemovesItsScratchFile) {
  const fs::path out = dir_ / "out";
  const pid_t child = start_ethovid(args(out), dir_ / "stderr.txt");
  // The metrics table is written under a temporary name through the whole projection pass.
  const bool seen = wait_for(child, [&] { return !scratch_in(out, ".facemap_metrics.parquet.tmp-").empty(); });
  ASSERT_TRUE(seen) << "the run ended before any scratch file appeared";
  kill(child, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(test::read_file(dir_ / "stderr.txt"), "ethovid: interrupted; nothing was written\n");
  EXPECT_TRUE(scratch_in(out).empty()) << scratch_in(out).front();
}

TEST_F(InterruptedCompute, SigtermDuringTheDecodeLeavesNoFolderItCreated) {
  const fs::path out = dir_ / "new" / "out";
  const pid_t child = start_ethovid(args(out), dir_ / "stderr.txt");
  ASSERT_TRUE(wait_for(child, [&] { return fs::exists(out); })) << "the run never made its folder";
  kill(child, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 143);
  EXPECT_EQ(test::read_file(dir_ / "stderr.txt"), "ethovid: interrupted; nothing was written\n");
  EXPECT_FALSE(fs::exists(dir_ / "new")) << "the folders the run created must go";
}

TEST_F(InterruptedCompute, ALaterRunSweepsADeadRunsScratchFiles) {
  const fs::path out = dir_ / "out";
  fs::create_directories(out);
  // A killed run of an earlier ethovid (no pid in the name) and of a process that cannot exist
  // (above Linux's pid limit), and a live one's (this test's own pid), which must stay.
  std::ofstream(out / ".frames.cache.tmp-1234567890123") << "old";
  std::ofstream(out / ".facemap_metrics.parquet.tmp-999999999-42") << "dead";
  const std::string live = ".other.tmp-" + std::to_string(getpid()) + "-7";
  std::ofstream(out / live) << "live";
  const auto result = test::run_ethovid("facemap compute " + video_.string() + " --output " +
                                        out.string() + " --svd-components 4");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(scratch_in(out), std::vector<std::string>{live});
}

TEST_F(InterruptedCompute, AFailedRunLeavesNoEmptyFolderItCreated) {
  const fs::path out = dir_ / "made" / "out";
  // 100 timestamps for 900 frames: bad input, found after the folder was made.
  std::vector<double> times(100);
  for (std::size_t i = 0; i < times.size(); ++i) times[i] = i / 30.0;
  test::write_timestamps(dir_ / "sync", "face", times);
  const auto result = test::run_ethovid("facemap compute " + video_.string() + " --output " +
                                        out.string() + " --timestamps " + (dir_ / "sync").string());
  EXPECT_NE(result.output.find("TimestampAlignmentError"), std::string::npos) << result.output;
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_FALSE(fs::exists(dir_ / "made")) << result.output;
}

}  // namespace
}  // namespace ethovid::facemap
