#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/core/video.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;
using ethovid::test::ScratchDir;
using ethovid::test::expect_error;

constexpr int kWidth = 96;
constexpr int kHeight = 64;

// A frame that differs from every other: a dark diagonal gradient under a bright square that
// moves with the index, so a decoder landing one frame off shows up in a pixel comparison.
cv::Mat synthetic_frame(int index, int width = kWidth, int height = kHeight) {
  cv::Mat frame(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) frame.at<uchar>(y, x) = static_cast<uchar>(20 + (x + y) / 2);
  }
  const int side = 16;
  const int x0 = (index * 5) % (width - side);
  const int y0 = (index * 3) % (height - side);
  frame(cv::Rect(x0, y0, side, side)).setTo(235);
  return frame;
}

bool have_ffmpeg() {
  static const bool available = std::system("ffmpeg -version >/dev/null 2>&1") == 0;
  return available;
}

#define REQUIRE_FFMPEG() \
  if (!have_ffmpeg()) GTEST_SKIP() << "the ffmpeg command is not installed; skipping"

void run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(quiet.c_str()), 0) << command;
}

// Writes `count` synthetic gray PNGs as src/00000.png... and returns the pattern.
std::string write_source_frames(const ScratchDir& dir, int count) {
  const fs::path src = dir / "src";
  fs::create_directories(src);
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%05d.png", i);
    cv::imwrite((src / name).string(), synthetic_frame(i));
  }
  return (src / "%05d.png").string();
}

// Encodes the synthetic frames with the ffmpeg CLI; `codec_args` picks codec and container.
fs::path encode(const ScratchDir& dir, const std::string& name, int count, const std::string& fps,
                const std::string& codec_args) {
  const std::string pattern = write_source_frames(dir, count);
  const fs::path out = dir / name;
  run("ffmpeg -y -framerate " + fps + " -i '" + pattern + "' " + codec_args + " '" + out.string() +
      "'");
  return out;
}

std::vector<cv::Mat> read_all(VideoReader& reader) {
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  while (reader.read_gray(frame)) frames.push_back(frame.clone());
  return frames;
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  return cv::mean(diff)[0];
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

// Runs `call`, expects exception type E, and checks that every fragment appears in its message.
void cut_tail(const fs::path& file, double keep_fraction) {
  const auto size = fs::file_size(file);
  fs::resize_file(file, static_cast<std::uintmax_t>(static_cast<double>(size) * keep_fraction));
}

TEST(VideoReader, LosslessFfv1MatchesTheWrittenFramesExactly) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file = encode(dir, "lossless.mkv", 40, "25", "-c:v ffv1");
  VideoReader reader(file.string());
  const VideoInfo& info = reader.info();
  EXPECT_EQ(info.source, file.string());
  EXPECT_EQ(info.frame_count, 40);
  EXPECT_DOUBLE_EQ(info.fps, 25.0);
  EXPECT_DOUBLE_EQ(info.duration_s(), 1.6);
  EXPECT_EQ(info.width, kWidth);
  EXPECT_EQ(info.height, kHeight);
  EXPECT_EQ(info.codec, "FFV1");
  EXPECT_FALSE(info.image_sequence);
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(frames[i].type(), CV_8UC1);
    EXPECT_TRUE(same_pixels(frames[i], synthetic_frame(i))) << "frame " << i;
  }
  EXPECT_EQ(reader.position(), 40);
  cv::Mat frame;
  EXPECT_FALSE(reader.read_gray(frame));
  EXPECT_EQ(reader.info().frame_count, 40);
}

TEST(VideoReader, ColorFramesBecomeTheirLuma) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  fs::create_directories(dir / "rgb");
  std::vector<cv::Mat> originals;
  for (int i = 0; i < 10; ++i) {
    cv::Mat bgr(kHeight, kWidth, CV_8UC3, cv::Scalar(20 * i, 255 - 20 * i, 128));
    cv::circle(bgr, {20 + 4 * i, 30}, 12, cv::Scalar(0, 40, 250), cv::FILLED);
    char name[32];
    std::snprintf(name, sizeof(name), "%05d.png", i);
    cv::imwrite((dir / "rgb" / name).string(), bgr);
    originals.push_back(bgr);
  }
  const fs::path out = dir / "color.avi";
  run("ffmpeg -y -framerate 10 -i '" + (dir / "rgb" / "%05d.png").string() +
      "' -c:v ffv1 -pix_fmt bgr0 '" + out.string() + "'");
  VideoReader reader(out.string());
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    cv::Mat expected;
    cv::cvtColor(originals[i], expected, cv::COLOR_BGR2GRAY);
    EXPECT_TRUE(same_pixels(frames[i], expected)) << "frame " << i;
  }
  // read_bgr gives the colour frames themselves, from the file and from the image sequence.
  for (const std::string& source : {out.string(), (dir / "rgb" / "%05d.png").string()}) {
    VideoReader colour(source);
    cv::Mat frame;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(colour.read_bgr(frame)) << source;
      ASSERT_EQ(frame.type(), CV_8UC3);
      EXPECT_EQ(cv::norm(frame, originals[i], cv::NORM_INF), 0.0) << source << " frame " << i;
    }
    EXPECT_FALSE(colour.read_bgr(frame));
  }
}

struct LossyCase {
  std::string name;
  std::string file;
  std::string args;
  std::string codec;
};

void PrintTo(const LossyCase& c, std::ostream* os) { *os << c.name; }

class VideoLossy : public ::testing::TestWithParam<LossyCase> {};

TEST_P(VideoLossy, FramesAreCloseToTheWrittenOnes) {
  REQUIRE_FFMPEG();
  const LossyCase& c = GetParam();
  ScratchDir dir;
  const fs::path file = encode(dir, c.file, 45, "30000/1001", c.args);
  VideoReader reader(file.string());
  EXPECT_EQ(reader.info().frame_count, 45);
  EXPECT_NEAR(reader.info().fps, 30000.0 / 1001.0, 1e-3);
  EXPECT_EQ(reader.info().codec, c.codec);
  EXPECT_EQ(reader.info().width, kWidth);
  EXPECT_EQ(reader.info().height, kHeight);
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), 45u);
  for (int i = 0; i < 45; ++i) {
    const double diff = mean_abs_diff(frames[i], synthetic_frame(i));
    EXPECT_LT(diff, 3.0) << "frame " << i;
    // The neighbour is clearly farther away, so a frame read out of order would fail above.
    if (i > 0) {
      EXPECT_GT(mean_abs_diff(frames[i], synthetic_frame(i - 1)), diff + 2.0) << "frame " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    VideoCodecs, VideoLossy,
    ::testing::Values(
        LossyCase{"h264_mp4", "h264.mp4", "-c:v libx264 -crf 12 -pix_fmt yuv420p", "avc1"},
        LossyCase{"mpeg4_avi", "mpeg4.avi", "-c:v mpeg4 -q:v 2", "FMP4"},
        LossyCase{"mjpeg_avi", "mjpeg.avi", "-c:v mjpeg -q:v 2", "MJPG"},
        LossyCase{"h264_mkv", "h264.mkv", "-c:v libx264 -crf 12 -pix_fmt yuv420p", "h264"}),
    [](const auto& info) { return info.param.name; });

TEST(VideoReader, FilesFromOpenCvVideoWriter) {
  ScratchDir dir;
  struct Case {
    std::string file;
    const char* fourcc;
  };
  for (const Case& c : {Case{"writer.mp4", "mp4v"}, Case{"writer.avi", "MJPG"}}) {
    SCOPED_TRACE(c.file);
    const fs::path out = dir / c.file;
    {
      cv::VideoWriter writer(
          out.string(), cv::CAP_FFMPEG,
          cv::VideoWriter::fourcc(c.fourcc[0], c.fourcc[1], c.fourcc[2], c.fourcc[3]), 20.0,
          cv::Size(kWidth, kHeight), true);
      ASSERT_TRUE(writer.isOpened());
      cv::Mat bgr;
      for (int i = 0; i < 31; ++i) {
        cv::cvtColor(synthetic_frame(i), bgr, cv::COLOR_GRAY2BGR);
        writer.write(bgr);
      }
    }
    VideoReader reader(out.string());
    EXPECT_EQ(reader.info().frame_count, 31);
    EXPECT_DOUBLE_EQ(reader.info().fps, 20.0);
    EXPECT_EQ(reader.info().codec, c.fourcc);
    const auto frames = read_all(reader);
    ASSERT_EQ(frames.size(), 31u);
    for (int i = 0; i < 31; ++i) EXPECT_LT(mean_abs_diff(frames[i], synthetic_frame(i)), 6.0);
  }
}

TEST(VideoReader, ReusesTheCallersBuffer) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file = encode(dir, "reuse.mkv", 5, "25", "-c:v ffv1");
  VideoReader reader(file.string());
  cv::Mat frame;
  ASSERT_TRUE(reader.read_gray(frame));
  const uchar* buffer = frame.data;
  while (reader.read_gray(frame)) EXPECT_EQ(frame.data, buffer);
}

TEST(VideoReader, ProbeReportsTheFacts) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file = encode(dir, "probe.mp4", 24, "12", "-c:v libx264 -pix_fmt yuv420p");
  const VideoInfo info = probe_video(file.string());
  EXPECT_EQ(info.frame_count, 24);
  EXPECT_DOUBLE_EQ(info.fps, 12.0);
  EXPECT_DOUBLE_EQ(info.duration_s(), 2.0);
  EXPECT_EQ(info.width, kWidth);
  EXPECT_EQ(info.height, kHeight);
  EXPECT_EQ(info.codec, "avc1");
}

TEST(VideoReader, AudioLongerThanVideoIsNotTruncation) {
  REQUIRE_FFMPEG();
  // Matroska has no frame count; OpenCV derives one from the container duration, which the audio
  // track stretches past the last video frame.
  ScratchDir dir;
  const std::string pattern = write_source_frames(dir, 61);
  const fs::path out = dir / "with_audio.mkv";
  run("ffmpeg -y -framerate 30 -i '" + pattern +
      "' -f lavfi -i sine=duration=2.4 -c:v libx264 -pix_fmt yuv420p -c:a aac '" + out.string() +
      "'");
  VideoReader reader(out.string());
  // The estimate overshoots by more than the frame-count tolerance, by well under a second.
  EXPECT_GT(reader.info().frame_count, 61 + 2);
  EXPECT_LT(reader.info().frame_count, 61 + 30);
  EXPECT_EQ(read_all(reader).size(), 61u);
  EXPECT_EQ(reader.info().frame_count, 61);  // the real count, once known
}

struct SeekCase {
  std::string name;
  std::string file;
  std::string args;
};

void PrintTo(const SeekCase& c, std::ostream* os) { *os << c.name; }

class VideoSeek : public ::testing::TestWithParam<SeekCase> {};

TEST_P(VideoSeek, LandsOnTheFrameSequentialDecodingGives) {
  REQUIRE_FFMPEG();
  const SeekCase& c = GetParam();
  ScratchDir dir;
  constexpr int kCount = 260;  // long enough that seeks go through OpenCV, not decode-forward
  const fs::path file = encode(dir, c.file, kCount, "30", c.args);
  std::vector<cv::Mat> sequential;
  {
    VideoReader reader(file.string());
    sequential = read_all(reader);
  }
  ASSERT_EQ(sequential.size(), static_cast<std::size_t>(kCount));

  VideoReader reader(file.string());
  cv::Mat frame;
  for (const std::int64_t target :
       {200, 3, 259, 0, 130, 131, 129, 250, 1, 60, 180, 17, 245, 100, 2, 258, 30}) {
    reader.seek(target);
    ASSERT_EQ(reader.position(), target);
    ASSERT_TRUE(reader.read_gray(frame)) << "target " << target;
    EXPECT_TRUE(same_pixels(frame, sequential[target])) << "seek to " << target;
    EXPECT_EQ(reader.position(), target + 1);
    // The next frame follows on.
    if (target + 1 < kCount) {
      ASSERT_TRUE(reader.read_gray(frame));
      EXPECT_TRUE(same_pixels(frame, sequential[target + 1])) << "after seek to " << target;
    }
  }
  reader.seek(kCount);
  EXPECT_EQ(reader.position(), kCount);
  EXPECT_FALSE(reader.read_gray(frame));
  reader.seek(5);
  ASSERT_TRUE(reader.read_gray(frame));
  EXPECT_TRUE(same_pixels(frame, sequential[5]));
}

INSTANTIATE_TEST_SUITE_P(
    VideoCodecs, VideoSeek,
    ::testing::Values(
        SeekCase{"h264_mp4_bframes", "h264.mp4", "-c:v libx264 -g 50 -bf 3 -pix_fmt yuv420p"},
        SeekCase{"h264_mp4_long_gop", "long.mp4", "-c:v libx264 -g 250 -pix_fmt yuv420p"},
        SeekCase{"h264_mkv", "h264.mkv", "-c:v libx264 -g 40 -pix_fmt yuv420p"},
        SeekCase{"mpeg4_avi", "mpeg4.avi", "-c:v mpeg4 -g 30 -bf 2"},
        SeekCase{"ffv1_mkv", "ffv1.mkv", "-c:v ffv1 -g 30"},
        SeekCase{"mjpeg_avi", "mjpeg.avi", "-c:v mjpeg"}),
    [](const auto& info) { return info.param.name; });

TEST(VideoSeek, VariableFrameRateFallsBackToDecodingForward) {
  REQUIRE_FFMPEG();
  // Every 40th frame dropped with its timestamp kept: OpenCV, which seeks by time and derives the
  // index from fps, lands several frames early near the end of this file.
  ScratchDir dir;
  const std::string pattern = write_source_frames(dir, 240);
  const fs::path out = dir / "vfr.mkv";
  run("ffmpeg -y -framerate 30 -i '" + pattern +
      "' -vf \"select='not(eq(mod(n\\,40)\\,7))'\" -fps_mode passthrough -c:v libx264 -g 30 "
      "-pix_fmt yuv420p '" +
      out.string() + "'");
  VideoReader reader(out.string());
  const auto sequential = read_all(reader);
  ASSERT_EQ(sequential.size(), 234u);
  // The header's estimate (duration x fps) counts the dropped slots; the time is all there, so
  // this is no truncation, and the real count is reported after reading.
  EXPECT_EQ(reader.info().frame_count, 234);
  cv::Mat frame;
  for (const std::int64_t target : {230, 5, 200, 120, 233, 0}) {
    reader.seek(target);
    ASSERT_TRUE(reader.read_gray(frame));
    EXPECT_TRUE(same_pixels(frame, sequential[target])) << "seek to " << target;
  }
}

TEST(VideoSeek, OutsideTheVideoIsRejected) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file = encode(dir, "short.mkv", 10, "25", "-c:v ffv1");
  VideoReader reader(file.string());
  EXPECT_THROW(reader.seek(11), std::out_of_range);
  EXPECT_THROW(reader.seek(-1), std::out_of_range);
}

class VideoTruncated : public ::testing::TestWithParam<SeekCase> {};

TEST_P(VideoTruncated, IsAVideoFormatErrorNamingBothCounts) {
  REQUIRE_FFMPEG();
  const SeekCase& c = GetParam();
  ScratchDir dir;
  const fs::path file = encode(dir, c.file, 240, "30", c.args);
  cut_tail(file, 0.7);
  // The index sits at the front, so the file opens; the damage shows while decoding.
  VideoReader reader(file.string());
  EXPECT_EQ(reader.info().frame_count, 240);
  cv::Mat frame;
  std::int64_t read = 0;
  expect_error<VideoFormatError>(
      [&] {
        while (reader.read_gray(frame)) ++read;
      },
      {file.string() + ": decoding stopped at frame ", " of 240 the header promises",
       "truncated or corrupt"});
  EXPECT_GT(read, 100);
  EXPECT_LT(read, 220);
}

INSTANTIATE_TEST_SUITE_P(
    VideoContainers, VideoTruncated,
    ::testing::Values(SeekCase{"faststart_mp4", "fs.mp4",
                               "-c:v libx264 -pix_fmt yuv420p -movflags +faststart"},
                      SeekCase{"mpeg4_avi", "m.avi", "-c:v mpeg4"},
                      SeekCase{"ffv1_mkv", "f.mkv", "-c:v ffv1"},
                      SeekCase{"h264_mkv", "h.mkv", "-c:v libx264 -pix_fmt yuv420p"}),
    [](const auto& info) { return info.param.name; });

TEST(VideoTruncatedSeek, SeekingPastTheDamageIsAVideoFormatError) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file =
      encode(dir, "fs.mp4", 150, "30", "-c:v libx264 -pix_fmt yuv420p -movflags +faststart");
  cut_tail(file, 0.5);
  VideoReader reader(file.string());
  EXPECT_THROW(reader.seek(149), VideoFormatError);
}

TEST(VideoErrors, Mp4CutBeforeItsIndexCannotBeOpened) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file = encode(dir, "plain.mp4", 60, "30", "-c:v libx264 -pix_fmt yuv420p");
  cut_tail(file, 0.7);  // the moov index is written last, so it is gone
  expect_error<VideoFormatError>([&] { VideoReader reader(file.string()); },
                                 {file.string(), "cannot be opened as a video"});
}

// FFmpeg's own log lines ("[mov,mp4,... @ 0x...] moov atom not found") must not precede ours.
TEST(VideoErrors, ACorruptVideoGivesExactlyOneLineOnStderr) {
  REQUIRE_FFMPEG();
  ScratchDir dir;
  const fs::path file = encode(dir, "broken.mp4", 60, "30", "-c:v libx264 -pix_fmt yuv420p");
  cut_tail(file, 0.7);  // the moov index is written last, so it is gone
  const auto cli = ethovid::test::run_ethovid("info " + file.string());  // stdout is empty on an error
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_EQ(std::count(cli.output.begin(), cli.output.end(), '\n'), 1) << cli.output;
  EXPECT_EQ(cli.output.rfind("ethovid: VideoFormatError: " + file.string(), 0), 0u) << cli.output;
}

TEST(VideoErrors, TextFileNamedMp4) {
  ScratchDir dir;
  const fs::path file = dir / "notes.mp4";
  std::ofstream(file) << "this is not a video, just some text that happens to end in .mp4\n";
  expect_error<VideoFormatError>([&] { VideoReader reader(file.string()); },
                                 {file.string(), "cannot be opened as a video"});
  EXPECT_THROW(probe_video(file.string()), VideoFormatError);
}

TEST(VideoErrors, MissingPathsAndDirectories) {
  ScratchDir dir;
  const std::string missing = (dir / "absent.mp4").string();
  expect_error<MissingInputError>([&] { VideoReader reader(missing); },
                                  {missing, "does not exist"});
  EXPECT_THROW(probe_video(missing), MissingInputError);
  expect_error<MissingInputError>(
      [&] { VideoReader reader((dir / "no_such_dir" / "%05d.png").string()); },
      {"no_such_dir", "does not exist"});
  expect_error<MissingInputError>([&] { VideoReader reader((dir / "%05d.png").string()); },
                                  {"no file in", "matches the pattern"});
  expect_error<VideoFormatError>([&] { VideoReader reader(dir.path().string()); },
                                 {"is a directory"});
}

// A still image is one frame with no rate; `ethovid info` never prints a sentinel count.
TEST(VideoErrors, AStillImageIsOneFrame) {
  ScratchDir dir;
  const fs::path image = dir / "still.png";
  ASSERT_TRUE(cv::imwrite(image.string(), synthetic_frame(3)));
  const VideoInfo info = probe_video(image.string());
  EXPECT_EQ(info.frame_count, 1);
  EXPECT_EQ(info.fps, 0.0);
  VideoReader reader(image.string());
  cv::Mat frame;
  EXPECT_TRUE(reader.read_gray(frame));
  EXPECT_EQ(frame.cols, kWidth);
  EXPECT_FALSE(reader.read_gray(frame));
  const auto cli = ethovid::test::run_ethovid("info " + image.string());
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("\"frame_count\": 1,"), std::string::npos) << cli.output;
}

void write_sequence(const fs::path& folder, const std::string& format, int first, int count) {
  fs::create_directories(folder);
  for (int i = 0; i < count; ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), format.c_str(), first + i);
    ASSERT_TRUE(cv::imwrite((folder / name).string(), synthetic_frame(i)));
  }
}

TEST(VideoImageSequence, StartsWhereverTheFirstFileIs) {
  ScratchDir dir;
  struct Case {
    std::string folder;
    std::string format;
    int first;
    int count;
  };
  for (const Case& c : {Case{"zero", "%05d.png", 0, 7}, Case{"one", "%05d.png", 1, 7},
                        Case{"late", "frame_%04d.png", 37, 5}, Case{"unpadded", "img%d.png", 1, 12},
                        Case{"cam2", "cam2_%03d.png", 998, 4}}) {
    SCOPED_TRACE(c.folder);
    write_sequence(dir / c.folder, c.format, c.first, c.count);
    const std::string source = (dir / c.folder / c.format).string();
    VideoReader reader(source);
    EXPECT_TRUE(reader.info().image_sequence);
    EXPECT_EQ(reader.info().frame_count, c.count);
    EXPECT_EQ(reader.info().fps, 0.0);
    EXPECT_EQ(reader.info().duration_s(), 0.0);
    EXPECT_EQ(reader.info().codec, "");
    EXPECT_EQ(reader.info().width, kWidth);
    EXPECT_EQ(reader.info().height, kHeight);
    const auto frames = read_all(reader);
    ASSERT_EQ(frames.size(), static_cast<std::size_t>(c.count));
    for (int i = 0; i < c.count; ++i) {
      EXPECT_TRUE(same_pixels(frames[i], synthetic_frame(i))) << "frame " << i;
    }
    reader.seek(c.count - 2);
    cv::Mat frame;
    ASSERT_TRUE(reader.read_gray(frame));
    EXPECT_TRUE(same_pixels(frame, synthetic_frame(c.count - 2)));
    EXPECT_EQ(probe_video(source).frame_count, c.count);
  }
}

TEST(VideoImageSequence, AGapIsAnError) {
  ScratchDir dir;
  write_sequence(dir / "seq", "%05d.png", 0, 5);
  write_sequence(dir / "seq", "%05d.png", 6, 3);
  expect_error<VideoFormatError>([&] { VideoReader reader((dir / "seq" / "%05d.png").string()); },
                                 {"%05d.png", "gap", "00005.png is missing"});
}

TEST(VideoImageSequence, ColorAndSixteenBitImages) {
  ScratchDir dir;
  fs::create_directories(dir / "seq");
  cv::Mat bgr(kHeight, kWidth, CV_8UC3, cv::Scalar(10, 200, 90));
  cv::rectangle(bgr, {5, 5, 30, 20}, cv::Scalar(250, 0, 30), cv::FILLED);
  cv::imwrite((dir / "seq" / "0.png").string(), bgr);
  cv::Mat deep(kHeight, kWidth, CV_16UC1);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x)
      deep.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(257 * (x + y));
  }
  cv::imwrite((dir / "seq" / "1.png").string(), deep);
  VideoReader reader((dir / "seq" / "%d.png").string());
  cv::Mat frame, expected;
  ASSERT_TRUE(reader.read_gray(frame));
  cv::cvtColor(bgr, expected, cv::COLOR_BGR2GRAY);
  EXPECT_TRUE(same_pixels(frame, expected));
  ASSERT_TRUE(reader.read_gray(frame));
  EXPECT_EQ(frame.type(), CV_8UC1);
  EXPECT_EQ(frame.at<uchar>(10, 20), 30);
  EXPECT_FALSE(reader.read_gray(frame));
}

TEST(VideoImageSequence, ACorruptOrResizedImageIsNamed) {
  ScratchDir dir;
  write_sequence(dir / "seq", "%03d.png", 0, 3);
  std::ofstream(dir / "seq" / "001.png", std::ios::trunc) << "not a png";
  cv::imwrite((dir / "seq" / "002.png").string(), cv::Mat(10, 10, CV_8UC1, cv::Scalar(1)));
  VideoReader reader((dir / "seq" / "%03d.png").string());
  cv::Mat frame;
  ASSERT_TRUE(reader.read_gray(frame));
  expect_error<VideoFormatError>([&] { reader.read_gray(frame); },
                                 {"001.png", "frame 1", "cannot be decoded"});
  reader.seek(2);
  expect_error<VideoFormatError>([&] { reader.read_gray(frame); },
                                 {"002.png", "is 10x10", "first image is 96x64"});
}

}  // namespace
}  // namespace ethovid::core
