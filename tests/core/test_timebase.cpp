#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/core/timebase.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;
using ethovid::test::ScratchDir;
using ethovid::test::expect_error;

fs::path write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

// Runs `call`, expects exception type E, and checks that every fragment appears in its message.
TEST(TimebaseCsv, ReadsAGoodFile) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "timestamps_cam0.csv",
                                   "frame_index,timestamp\n0,0.0\n1,0.0333\n2,0.0667\n5,0.1667\n");
  const CameraTimestamps ts = read_timestamps_csv(file, "cam0");
  EXPECT_EQ(ts.file, file);
  EXPECT_EQ(ts.camera_id, "cam0");
  EXPECT_EQ(ts.frame_index, (std::vector<std::int64_t>{0, 1, 2, 5}));
  ASSERT_EQ(ts.time_s.size(), 4u);
  EXPECT_DOUBLE_EQ(ts.time_s[0], 0.0);
  EXPECT_DOUBLE_EQ(ts.time_s[1], 0.0333);
  EXPECT_DOUBLE_EQ(ts.time_s[3], 0.1667);
}

TEST(TimebaseCsv, AcceptsWhitespaceCrlfBomAndNoTrailingNewline) {
  ScratchDir dir;
  const fs::path file = write_text(
      dir / "t.csv",
      "\xEF\xBB\xBF  frame_index , timestamp \r\n 10 , 100.5\r\n11,1.0075e2 \r\n12,100.875");
  const CameraTimestamps ts = read_timestamps_csv(file, "face");
  EXPECT_EQ(ts.frame_index, (std::vector<std::int64_t>{10, 11, 12}));
  ASSERT_EQ(ts.time_s.size(), 3u);
  EXPECT_DOUBLE_EQ(ts.time_s[0], 100.5);
  EXPECT_DOUBLE_EQ(ts.time_s[1], 100.75);
  EXPECT_DOUBLE_EQ(ts.time_s[2], 100.875);
}

TEST(TimebaseCsv, TrailingBlankLinesAreFine) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "t.csv", "frame_index,timestamp\n0,1.0\n1,2.0\n\n\r\n");
  EXPECT_EQ(read_timestamps_csv(file, "c").frame_index.size(), 2u);
}

TEST(TimebaseCsv, NonIncreasingTimeNamesBothRows) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "timestamps_cam0.csv",
                                   "frame_index,timestamp\n0,1.00\n1,1.10\n2,1.30\n3,1.25\n");
  expect_error<TimestampAlignmentError>(
      [&] { read_timestamps_csv(file, "cam0"); },
      {"timestamps_cam0.csv row 5: time 1.25 s is not after row 4's 1.30 s"});
}

TEST(TimebaseCsv, EqualTimesAreNotStrictlyIncreasing) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "t.csv", "frame_index,timestamp\n0,0.5\n1,0.5\n");
  expect_error<TimestampAlignmentError>([&] { read_timestamps_csv(file, ""); },
                                        {"t.csv row 3", "0.5 s is not after row 2's 0.5 s"});
}

TEST(TimebaseCsv, DuplicateFrameIndex) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "t.csv", "frame_index,timestamp\n0,0.1\n1,0.2\n1,0.3\n");
  expect_error<TimestampAlignmentError>([&] { read_timestamps_csv(file, ""); },
                                        {"t.csv row 4", "frame index 1 repeats row 3"});
}

TEST(TimebaseCsv, UnsortedFrameIndex) {
  ScratchDir dir;
  const fs::path file =
      write_text(dir / "t.csv", "frame_index,timestamp\n0,0.1\n7,0.2\n3,0.3\n8,0.4\n");
  expect_error<TimestampAlignmentError>(
      [&] { read_timestamps_csv(file, ""); },
      {"t.csv row 4", "frame index 3 comes after row 3's 7", "sorted"});
}

TEST(TimebaseCsv, NegativeFrameIndex) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "t.csv", "frame_index,timestamp\n-1,0.1\n0,0.2\n");
  expect_error<TimestampAlignmentError>([&] { read_timestamps_csv(file, ""); },
                                        {"t.csv row 2", "frame index -1 is negative"});
}

TEST(TimebaseCsv, UnparsableRows) {
  ScratchDir dir;
  struct Case {
    std::string row;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"x,0.5", "frame index 'x' is not an integer"},
      {"12abc,0.5", "frame index '12abc' is not an integer"},
      {"1.5,0.5", "frame index '1.5' is not an integer"},
      {",0.5", "frame index '' is not an integer"},
      {"3,1.2.3", "timestamp '1.2.3' is not a finite number"},
      {"3,", "timestamp '' is not a finite number"},
      {"3,nan", "timestamp 'nan' is not a finite number"},
      {"3,inf", "timestamp 'inf' is not a finite number"},
      {"3,1e999", "timestamp '1e999' is not a finite number"},
      {"3", "expected two fields"},
      {"3,0.5,7", "expected two fields"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.row);
    const fs::path file =
        write_text(dir / "bad.csv", "frame_index,timestamp\n0,0.1\n1,0.2\n" + c.row + "\n");
    expect_error<TimestampAlignmentError>([&] { read_timestamps_csv(file, ""); },
                                          {"bad.csv row 4: " + c.fragment});
  }
}

TEST(TimebaseCsv, BadHeaderEmptyFileAndHeaderOnly) {
  ScratchDir dir;
  expect_error<TimestampAlignmentError>(
      [&] { read_timestamps_csv(write_text(dir / "a.csv", "frame,time\n0,0.1\n"), ""); },
      {"a.csv row 1", "expected the header 'frame_index,timestamp'", "'frame,time'"});
  expect_error<TimestampAlignmentError>(
      [&] { read_timestamps_csv(write_text(dir / "b.csv", "0,0.1\n1,0.2\n"), ""); },
      {"b.csv row 1", "expected the header"});
  expect_error<TimestampAlignmentError>(
      [&] { read_timestamps_csv(write_text(dir / "c.csv", ""), ""); }, {"c.csv", "empty file"});
  expect_error<TimestampAlignmentError>(
      [&] { read_timestamps_csv(write_text(dir / "d.csv", "frame_index,timestamp\n"), ""); },
      {"d.csv", "no rows"});
}

TEST(TimebaseCsv, BlankRowInTheMiddle) {
  ScratchDir dir;
  const fs::path file = write_text(dir / "t.csv", "frame_index,timestamp\n0,0.1\n\n1,0.2\n");
  expect_error<TimestampAlignmentError>([&] { read_timestamps_csv(file, ""); },
                                        {"t.csv row 4", "blank row 3"});
}

TEST(TimebaseCsv, MissingFile) {
  ScratchDir dir;
  expect_error<MissingInputError>([&] { read_timestamps_csv(dir / "nope.csv", "x"); },
                                  {"nope.csv", "does not exist"});
  expect_error<MissingInputError>([&] { read_timestamps_csv(dir.path(), "x"); },
                                  {"not a regular file"});
}

TEST(TimebaseSyncDir, PicksTheOnlyCameraOrTheNamedOne) {
  ScratchDir dir;
  write_text(dir / "timestamps_face.csv", "frame_index,timestamp\n0,0.0\n1,0.04\n");
  write_text(dir / "notes.txt", "not a timestamps file");
  const CameraTimestamps only = read_sync_dir(dir.path(), "");
  EXPECT_EQ(only.camera_id, "face");
  EXPECT_EQ(only.frame_index.size(), 2u);

  write_text(dir / "timestamps_body.csv", "frame_index,timestamp\n0,0.0\n1,0.02\n2,0.04\n");
  const CameraTimestamps named = read_sync_dir(dir.path(), "body");
  EXPECT_EQ(named.camera_id, "body");
  EXPECT_EQ(named.frame_index.size(), 3u);
  EXPECT_EQ(named.file, dir / "timestamps_body.csv");
}

TEST(TimebaseSyncDir, SeveralCamerasNeedAnId) {
  ScratchDir dir;
  write_text(dir / "timestamps_cam1.csv", "frame_index,timestamp\n0,0.0\n");
  write_text(dir / "timestamps_cam0.csv", "frame_index,timestamp\n0,0.0\n");
  expect_error<TimestampAlignmentError>([&] { read_sync_dir(dir.path(), ""); },
                                        {dir.path().string(), "2 cameras (cam0, cam1)"});
}

TEST(TimebaseSyncDir, MissingDirectoryFileOrCamera) {
  ScratchDir dir;
  expect_error<MissingInputError>([&] { read_sync_dir(dir / "absent", ""); },
                                  {"absent", "does not exist"});
  expect_error<MissingInputError>([&] { read_sync_dir(dir.path(), ""); },
                                  {"no timestamps_<camera>.csv"});
  write_text(dir / "timestamps_cam0.csv", "frame_index,timestamp\n0,0.0\n");
  expect_error<MissingInputError>([&] { read_sync_dir(dir.path(), "cam9"); },
                                  {"timestamps_cam9.csv", "cameras present: cam0"});
  expect_error<MissingInputError>([&] { read_sync_dir(write_text(dir / "plain.txt", "x"), ""); },
                                  {"not a directory"});
}

TEST(TimebaseSyncDir, ErrorsInsideTheFileKeepTheirRowNumbers) {
  ScratchDir dir;
  write_text(dir / "timestamps_cam0.csv", "frame_index,timestamp\n0,0.2\n1,0.1\n");
  expect_error<TimestampAlignmentError>([&] { read_sync_dir(dir.path(), "cam0"); },
                                        {"timestamps_cam0.csv row 3", "row 2's 0.2 s"});
}

}  // namespace
}  // namespace ethovid::core
