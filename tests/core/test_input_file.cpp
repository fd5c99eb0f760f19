// A folder where a file belongs is named as a folder by every core reader, not as missing.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/video_source.hpp"
#include "ethovid/core/yaml_config.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

using ethovid::test::ScratchDir;
using ethovid::test::expect_error;

TEST(InputFile, MissingAndDirectoryAreToldApart) {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "folder.json");
  expect_error<MissingInputError>([&] { require_input_file(dir / "absent", "absent is gone"); },
                                  {"absent is gone"});
  expect_error<MissingInputError>([&] { require_input_file(dir / "folder.json", "unused"); },
                                  {"folder.json", "is a directory"});
  std::ofstream(dir / "file.txt") << "x";
  EXPECT_NO_THROW(require_input_file(dir / "file.txt", "unused"));
}

TEST(InputFile, ReadersReportAFolderAsAFolder) {
  ScratchDir dir;
  const auto folder = dir / "pose.h5";
  std::filesystem::create_directories(folder);
  for (const auto& call : std::vector<std::function<void()>>{
           [&] { read_json(folder); }, [&] { read_npy(folder); }, [&] { load_yaml(folder); },
           [&] { video_source_files(folder.string()); }}) {
    expect_error<MissingInputError>(call, {"pose.h5", "is a directory"});
  }
  const auto cli = ethovid::test::run_ethovid("info " + folder.string());
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_NE(cli.output.find("is a directory"), std::string::npos) << cli.output;
}

}  // namespace
}  // namespace ethovid::core
