// The one line the program prints when it cannot parse its command line: the ethovid: prefix,
// exit 2, and a mistyped command or option named with the nearest valid one.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace ethovid {
namespace {

void expect_line(const std::string& args, const std::string& expected) {
  SCOPED_TRACE(args);
  const auto r = test::run_ethovid(args);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("ethovid: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line\n" << r.output;
}

TEST(ParseErrors, MistypedCommandsAndOptionsAreNamedWithTheNearestValidOne) {
  expect_line("facemap compte video.mp4", "unknown command 'compte'; did you mean 'compute'?");
  expect_line("inof video.mp4", "unknown command 'inof'; did you mean 'info'?");
  expect_line("moseq fti project", "unknown command 'fti'; did you mean 'fit'?");
  expect_line("moseq run --pose a.slp -o p --fsp 25", "unknown option '--fsp'; did you mean '--fps'?");
  expect_line("moseq fit p --kapa 3", "unknown option '--kapa'; did you mean '--kappa'?");
  expect_line("facemap compute", "VIDEO is required");
  expect_line("moseq xyzzy", "unknown command 'xyzzy' (ethovid ... moseq --help");
}

TEST(ParseErrors, HelpAndVersionStillExitZero) {
  EXPECT_EQ(test::run_ethovid("--help").exit_code, 0);
  EXPECT_EQ(test::run_ethovid("--version").exit_code, 0);
  EXPECT_EQ(test::run_ethovid("moseq fit --help").exit_code, 0);
}

}  // namespace
}  // namespace ethovid
