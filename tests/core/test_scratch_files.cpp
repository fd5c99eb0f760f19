// The scratch registry, the sweep of dead runs' files and the output folder's cleanup.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/output_folder.hpp"
#include "ethovid/core/scratch_files.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;
using ethovid::test::ScratchDir;

TEST(ScratchFiles, TempNamesCarryThisProcessId) {
  const std::string name = temp_path_for("/x/table.parquet").filename().string();
  EXPECT_EQ(name.rfind(".table.parquet.tmp-" + std::to_string(getpid()) + "-", 0), 0u) << name;
}

TEST(ScratchFiles, RegisteredFilesAndEmptyFoldersAreRemovedUnregisteredOnesStay) {
  ScratchDir dir;
  fs::create_directories(dir / "made" / "inner");
  fs::create_directories(dir / "full");
  std::ofstream(dir / "full" / "kept.txt") << "x";
  std::ofstream(dir / "scratch") << "x";
  std::ofstream(dir / "released") << "x";
  {
    const ScratchFile released(dir / "released");
  }
  const ScratchFile file(dir / "scratch");
  const ScratchFile outer(dir / "made", ScratchFile::Kind::kEmptyFolder);
  const ScratchFile inner(dir / "made" / "inner", ScratchFile::Kind::kEmptyFolder);
  const ScratchFile full(dir / "full", ScratchFile::Kind::kEmptyFolder);
  remove_registered_scratch();
  EXPECT_FALSE(fs::exists(dir / "scratch"));
  EXPECT_FALSE(fs::exists(dir / "made"));
  EXPECT_TRUE(fs::exists(dir / "full" / "kept.txt"));
  EXPECT_TRUE(fs::exists(dir / "released"));
}

TEST(ScratchFiles, SweepRemovesOnlyDeadRunsFiles) {
  ScratchDir dir;
  std::ofstream(dir / ".a.tmp-999999999-1") << "dead";
  std::ofstream(dir / ".b.tmp-123456") << "no pid: an older ethovid";
  const std::string live = ".c.tmp-" + std::to_string(getpid()) + "-1";
  std::ofstream(dir / live) << "live";
  std::ofstream(dir / "d.tmp-999999999-1") << "not hidden: not ours";
  EXPECT_EQ(sweep_stale_scratch(dir.path()), 2u);
  EXPECT_TRUE(fs::exists(dir / live));
  EXPECT_TRUE(fs::exists(dir / "d.tmp-999999999-1"));
  EXPECT_FALSE(fs::exists(dir / ".a.tmp-999999999-1"));
}

TEST(OutputFolder, CreatedFoldersGoWhenLeftEmptyExistingOnesStay) {
  ScratchDir dir;
  { const OutputFolder folder(dir / "a" / "b"); EXPECT_TRUE(fs::is_directory(dir / "a" / "b")); }
  EXPECT_FALSE(fs::exists(dir / "a"));
  {
    const OutputFolder folder(dir / "c" / "d");
    std::ofstream(dir / "c" / "d" / "out.json") << "{}";
  }
  EXPECT_TRUE(fs::exists(dir / "c" / "d" / "out.json"));
  fs::create_directories(dir / "e");
  { const OutputFolder folder(dir / "e"); }
  EXPECT_TRUE(fs::is_directory(dir / "e"));
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(OutputFolder(dir / "file"), Error);
}

}  // namespace
}  // namespace ethovid::core
