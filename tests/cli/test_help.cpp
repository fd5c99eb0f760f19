// The --help of every command, found by walking the "Subcommands:" lists of the real program (so
// a new command is covered): value formats (N, X, FILE, DIR, LO,HI, ...) and no CLI11 noise.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "test_support.hpp"

namespace ethovid {
namespace {

// The names listed under "Subcommands:" in a --help text.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help);
  std::string line;
  bool listing = false;
  while (std::getline(lines, line)) {
    if (line == "Subcommands:") {
      listing = true;
    } else if (listing && line.empty()) {
      listing = false;
    } else if (listing && line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));  // a wrapped description is indented deeper
    }
  }
  return names;
}

// Every command path ("", "facemap", "facemap compute", ...) with its --help text.
std::vector<std::pair<std::string, std::string>> every_help() {
  std::vector<std::pair<std::string, std::string>> helps;
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    const std::string command = pending.back();
    pending.pop_back();
    const auto r = test::run_ethovid(command + (command.empty() ? "" : " ") + "--help");
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
    for (const auto& name : subcommands_in(r.output)) pending.push_back(command.empty() ? name : command + " " + name);
    helps.emplace_back(command, r.output);
  }
  return helps;
}

TEST(Help, EveryCommandShowsValueFormatsAndNoFlagDefaults) {
  const auto helps = every_help();
  EXPECT_GE(helps.size(), 20u) << "the walk found too few commands: has the help layout changed?";
  // CLI11's names for C++ types, where a value format (N, X, FILE, DIR, ...) belongs.
  const std::regex cpp_type(R"((^|\s)(TEXT|INT|UINT|FLOAT|BOOLEAN)(\s|=|$))");
  for (const auto& [command, help] : helps) {
    SCOPED_TRACE("ethovid " + command + " --help");
    EXPECT_EQ(help.find("{false}"), std::string::npos) << help;
    EXPECT_EQ(help.find("{true}"), std::string::npos) << help;
    std::istringstream lines(help);
    std::string line;
    while (std::getline(lines, line)) {
      EXPECT_FALSE(std::regex_search(line, cpp_type)) << "a value without its format: " << line;
    }
  }
}

TEST(Help, FormatsOfRangesRoisPathsAndNumbers) {
  const auto has = [](const std::string& command, const std::string& fragment) {
    const auto r = test::run_ethovid(command + " --help");
    EXPECT_NE(r.output.find(fragment), std::string::npos) << command << " --help lacks '" << fragment << "'\n"
                                                          << r.output;
  };
  has("moseq run", "--target-duration-ms [LO,HI]");
  has("moseq fit", "--target-duration-ms [LO,HI]");
  has("moseq run", "--pose FILE ... REQUIRED");
  has("facemap compute", "--pupil-roi X,Y,W,H");
  has("facemap compute", "--motion-roi X,Y,W,H ...");
  has("facemap compute", "--no-motion-svd ");
  has("facemap compute", "-o,--output DIR REQUIRED");
  has("facemap compute", "--sbin N=4");
  has("faces cluster", "--threshold X=0.45");
  has("head", "-c,--columns COL,...");
}

}  // namespace
}  // namespace ethovid
