#include "ethovid/core/video.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "ethovid/core/decoder_logs.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/image_sequence.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;

// Containers with a frame index (mp4, mov, avi) state their count exactly. A frame or two fewer
// is still tolerated, since the index may list packets a decoder rightly drops (an empty or
// non-displayed last frame); more than that is a damaged file.
constexpr std::int64_t kCountTolerance = 2;

// Elsewhere (Matroska, WebM) OpenCV's count is container duration x fps, and that duration spans
// every stream: audio that runs on past the last video frame is normal. So there we compare the
// time the video covers against the duration and accept this much less.
constexpr double kEstimateSlackMs = 1000.0;

// Below this distance, decoding forward is cheaper than a keyframe seek and exact by construction.
constexpr std::int64_t kForwardDecodeLimit = 96;

// A timestamp within this fraction of a frame period of its constant-rate slot counts as on it.
// OpenCV maps time to frame index by rounding, so anything under 0.5 maps right; 0.25 leaves room.
constexpr double kGridTolerance = 0.25;


// ISO-BMFF (mp4, mov) and AVI store a per-frame index, so OpenCV's count is exact there; other
// containers (Matroska, WebM, MPEG-TS) only give a duration that OpenCV turns into a count.
bool container_counts_frames(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[12] = {};
  if (!in.read(head, sizeof(head))) return false;
  const std::string box(head + 4, 4);
  if (box == "ftyp" || box == "moov" || box == "mdat" || box == "free" || box == "wide" ||
      box == "skip") {
    return true;
  }
  return std::string(head, 4) == "RIFF" && std::string(head + 8, 4) == "AVI ";
}

std::string fourcc_text(double value) {
  const auto code = static_cast<std::uint32_t>(value);
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((code >> (8 * i)) & 0xFF);
    if (c == '\0') break;
    if (c < 0x20 || c > 0x7E) return "";
    text += c;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string size_text(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

struct VideoReader::State {
  VideoInfo info;
  std::int64_t position = 0;  // index of the frame read_gray() returns next
  bool ended = false;         // the stream is exhausted and its length checked

  // Video files.
  cv::VideoCapture capture;
  cv::Mat decoded;             // BGR frame out of the decoder; reused so reads do not allocate
  bool frame_grabbed = false;  // the decoder holds frame `position`, not yet converted
  bool count_exact = false;
  double period_ms = 0.0;
  double first_ms = 0.0;  // timestamp of frame 0; the constant-rate grid is anchored here
  // The last frame with a known timestamp. OpenCV reports 0 ms (its "unknown") for the frames a
  // reordering decoder (B-frames) only releases when drained at the end of the stream.
  std::int64_t last_timed_index = 0;
  double last_timed_ms = 0.0;
  double grabbed_ms = 0.0;   // presentation time of the grabbed frame, from frame 0
  double returned_ms = std::numeric_limits<double>::quiet_NaN();  // of the frame read last
  // OpenCV seeks by time and infers the index from fps, which is exact only on a constant-rate
  // grid. Cleared the first time a frame's timestamp is seen off that grid.
  bool seek_trusted = false;

  // Image sequences.
  SequencePattern pattern;
  std::int64_t first_number = 0;
  std::vector<uchar> file_bytes;
  cv::Mat converted;  // 16-bit images scaled to 8 bits

  void open_video();
  void open_capture();
  bool grab();
  void skip_to(std::int64_t index);
  bool seek_with_opencv(std::int64_t index);
  void reopen();
  void finish();
  bool read_video(cv::Mat& frame, int channels);

  void open_sequence(const SequencePattern& parsed);
  void read_image(std::int64_t index, cv::Mat& frame, int channels);

  // Returns what is wrong with `source`, or an empty string once `out` holds it as 8-bit gray
  // (channels 1) or BGR (channels 3).
  std::string to_8bit(const cv::Mat& source, cv::Mat& out, int channels);
  bool on_grid(std::int64_t index, double time_ms) const {
    return std::abs(time_ms - first_ms - static_cast<double>(index) * period_ms) <=
           kGridTolerance * period_ms;
  }
};

void VideoReader::State::open_capture() {
  silence_decoder_logs();  // our error below is the one line; FFmpeg's own would precede it
  try {
    capture.open(info.source, cv::CAP_FFMPEG);
  } catch (const cv::Exception& e) {
    throw VideoFormatError(info.source + ": cannot be opened as a video (" + e.what() + ")");
  }
  if (!capture.isOpened()) {
    throw VideoFormatError(info.source +
                           ": cannot be opened as a video (not a video file, an unsupported "
                           "codec, or a recording cut off before its index was written)");
  }
}

void VideoReader::State::open_video() {
  const fs::path path(info.source);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw MissingInputError(info.source + ": video file does not exist");
  if (fs::is_directory(path, ec)) {
    throw VideoFormatError(info.source + ": is a directory, not a video file");
  }
  count_exact = container_counts_frames(path);
  open_capture();
  const double reported_count = capture.get(cv::CAP_PROP_FRAME_COUNT);
  info.fps = capture.get(cv::CAP_PROP_FPS);
  if (!std::isfinite(info.fps) || info.fps < 0) info.fps = 0.0;
  if (cv::haveImageReader(info.source)) {
    // A still image opens through FFmpeg's image demuxer, which reports no count (INT64_MIN
    // once rounded) and an invented 25 fps: it is one frame with no rate of its own.
    info.frame_count = 1;
    info.fps = 0.0;
  } else if (std::isfinite(reported_count) && reported_count > 0) {
    info.frame_count = std::llround(reported_count);
  } else {
    info.frame_count = 0;  // unknown until decoded; finish() sets the decoded count
  }
  info.width = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_WIDTH));
  info.height = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_HEIGHT));
  info.codec = fourcc_text(capture.get(cv::CAP_PROP_FOURCC));
  info.image_sequence = false;
  period_ms = info.fps > 0 ? 1000.0 / info.fps : 0.0;
  seek_trusted = period_ms > 0;
  // Decoding frame 0 now proves the stream decodes and anchors the timestamp grid; the frame is
  // kept for the first read, so sequential readers pay nothing for it.
  if (!grab()) {
    throw VideoFormatError(info.source + ": opened, but not one frame could be decoded (the " +
                           "header promises " + std::to_string(info.frame_count) + ")");
  }
}

bool VideoReader::State::grab() {
  if (!capture.grab()) return false;
  frame_grabbed = true;
  const double time_ms = capture.get(cv::CAP_PROP_POS_MSEC);
  if (position == 0) first_ms = time_ms;
  if (position == 0 || time_ms != 0.0) {
    last_timed_index = position;
    last_timed_ms = time_ms;
    if (seek_trusted && !on_grid(position, time_ms)) seek_trusted = false;
  }
  // A frame without a timestamp (drained from a reordering decoder) is placed on the grid after
  // the last one that had one.
  grabbed_ms = last_timed_ms - first_ms + static_cast<double>(position - last_timed_index) * period_ms;
  return true;
}

void VideoReader::State::finish() {
  ended = true;
  frame_grabbed = false;
  const std::int64_t promised = info.frame_count;
  const std::int64_t decoded_count = position;
  if (promised - decoded_count > kCountTolerance) {
    bool damaged = true;
    if (!count_exact && period_ms > 0) {
      // Measured in time, a variable-rate file (dropped frames keep their time slots) covers
      // its duration with fewer frames than the estimate; only missing time is damage.
      const double covered_ms = last_timed_ms - first_ms +
                                static_cast<double>(decoded_count - last_timed_index) * period_ms;
      const double promised_ms = static_cast<double>(promised) * period_ms;
      damaged = promised_ms - covered_ms >
                std::max(kEstimateSlackMs, (kCountTolerance + 0.5) * period_ms);
    }
    if (damaged) {
      throw VideoFormatError(info.source + ": decoding stopped at frame " +
                             std::to_string(decoded_count) + " of " + std::to_string(promised) +
                             " the header promises (file truncated or corrupt)");
    }
  }
  info.frame_count = decoded_count;
}

void VideoReader::State::skip_to(std::int64_t index) {
  while (position < index) {
    if (!frame_grabbed && !grab()) {
      // Fewer frames than the header said, within tolerance (else finish() threw): the reader
      // rests at the real end, where read_gray() returns false.
      finish();
      return;
    }
    frame_grabbed = false;
    ++position;
  }
}

bool VideoReader::State::seek_with_opencv(std::int64_t index) {
  ended = false;
  frame_grabbed = false;
  position = index;
  try {
    capture.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(index));
  } catch (const cv::Exception&) {
    return false;
  }
  if (!capture.grab()) return false;
  const double time_ms = capture.get(cv::CAP_PROP_POS_MSEC);
  const double opencv_next = capture.get(cv::CAP_PROP_POS_FRAMES);
  if (std::llround(opencv_next) != index + 1) return false;
  // A frame drained at the end of the stream has no timestamp to check; OpenCV's own count,
  // anchored on the keyframe it decoded from, is all there is for those.
  const bool timed = index == 0 || time_ms != 0.0;
  if (timed && !on_grid(index, time_ms)) return false;
  frame_grabbed = true;
  if (timed) {
    last_timed_index = index;
    last_timed_ms = time_ms;
  }
  grabbed_ms = last_timed_ms - first_ms + static_cast<double>(index - last_timed_index) * period_ms;
  return true;
}

void VideoReader::State::reopen() {
  capture.release();
  open_capture();
  position = 0;
  ended = false;
  frame_grabbed = false;
  if (!grab()) {
    throw VideoFormatError(info.source + ": frame 0 no longer decodes after reopening the file");
  }
}

bool VideoReader::State::read_video(cv::Mat& frame, int channels) {
  if (ended) return false;
  if (!frame_grabbed && !grab()) {
    finish();
    return false;
  }
  bool retrieved = false;
  try {
    retrieved = capture.retrieve(decoded);
  } catch (const cv::Exception& e) {
    throw VideoFormatError(info.source + ": frame " + std::to_string(position) +
                           " could not be converted (" + e.what() + ")");
  }
  if (!retrieved || decoded.empty()) {
    throw VideoFormatError(info.source + ": frame " + std::to_string(position) +
                           " was decoded but could not be retrieved");
  }
  frame_grabbed = false;
  if (std::string problem = to_8bit(decoded, frame, channels); !problem.empty()) {
    throw VideoFormatError(info.source + ": frame " + std::to_string(position) + ": " + problem);
  }
  if (frame.cols != info.width || frame.rows != info.height) {
    throw VideoFormatError(info.source + ": frame " + std::to_string(position) + " is " +
                           size_text(frame.cols, frame.rows) + ", the stream is " +
                           size_text(info.width, info.height));
  }
  returned_ms = grabbed_ms;
  ++position;
  return true;
}

void VideoReader::State::open_sequence(const SequencePattern& parsed) {
  pattern = parsed;
  const std::vector<std::int64_t> numbers = list_sequence_numbers(pattern, info.source);
  first_number = numbers.front();
  info.frame_count = static_cast<std::int64_t>(numbers.size());
  info.fps = 0.0;
  info.codec.clear();
  info.image_sequence = true;
  cv::Mat first;
  read_image(0, first, 1);
  info.width = first.cols;
  info.height = first.rows;
}

void VideoReader::State::read_image(std::int64_t index, cv::Mat& frame, int channels) {
  const fs::path file = pattern.file(first_number + index);
  auto where = [&] {
    return file.string() + " (frame " + std::to_string(index) + " of " + info.source + ")";
  };
  std::FILE* handle = std::fopen(file.c_str(), "rb");
  if (handle == nullptr) throw MissingInputError(where() + ": cannot be opened");
  std::fseek(handle, 0, SEEK_END);
  const long size = std::ftell(handle);
  std::fseek(handle, 0, SEEK_SET);
  bool read_ok = size > 0;
  if (read_ok) {
    file_bytes.resize(static_cast<std::size_t>(size));  // keeps capacity: no allocation per frame
    read_ok = std::fread(file_bytes.data(), 1, file_bytes.size(), handle) == file_bytes.size();
  }
  std::fclose(handle);
  if (!read_ok) throw VideoFormatError(where() + ": empty or unreadable image file");
  // imdecode leaves its output untouched when no decoder recognises the bytes, so the previous
  // image would pass for this one. Clearing costs one allocation, noise next to the decoding.
  decoded.release();
  try {
    cv::imdecode(file_bytes, cv::IMREAD_UNCHANGED, &decoded);
  } catch (const cv::Exception& e) {
    throw VideoFormatError(where() + ": cannot be decoded as an image (" + e.what() + ")");
  }
  if (decoded.empty()) throw VideoFormatError(where() + ": cannot be decoded as an image");
  if (std::string problem = to_8bit(decoded, frame, channels); !problem.empty()) {
    throw VideoFormatError(where() + ": " + problem);
  }
  if (info.width != 0 && (frame.cols != info.width || frame.rows != info.height)) {
    throw VideoFormatError(where() + ": is " + size_text(frame.cols, frame.rows) +
                           ", the sequence's first image is " + size_text(info.width, info.height));
  }
}

std::string VideoReader::State::to_8bit(const cv::Mat& source, cv::Mat& out, int channels) {
  const cv::Mat* eight_bit = &source;
  if (source.depth() == CV_16U) {
    // 1/257 maps 0..65535 onto 0..255 exactly at both ends.
    source.convertTo(converted, CV_8U, 1.0 / 257.0);
    eight_bit = &converted;
  } else if (source.depth() != CV_8U) {
    return "pixel depth " + std::to_string(source.depth()) +
           " is not supported (8- or 16-bit images only)";
  }
  const int have = eight_bit->channels();
  if (have != 1 && have != 3 && have != 4) {
    return std::to_string(have) + " channels per pixel is not supported (1, 3 or 4)";
  }
  if (have == channels) {
    eight_bit->copyTo(out);
  } else if (channels == 1) {
    cv::cvtColor(*eight_bit, out, have == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
  } else {
    cv::cvtColor(*eight_bit, out, have == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR);
  }
  return {};
}

VideoReader::VideoReader(const std::string& source) : state_(std::make_unique<State>()) {
  state_->info.source = source;
  std::error_code ec;
  // A file whose name happens to contain '%' is still a file.
  const auto pattern = fs::exists(source, ec) ? std::nullopt : parse_sequence_pattern(source);
  if (pattern) {
    state_->open_sequence(*pattern);
  } else {
    state_->open_video();
  }
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const { return state_->info; }

bool VideoReader::read_gray(cv::Mat& frame) { return read(frame, 1); }

bool VideoReader::read_bgr(cv::Mat& frame) { return read(frame, 3); }

bool VideoReader::read(cv::Mat& frame, int channels) {
  State& s = *state_;
  if (!s.info.image_sequence) return s.read_video(frame, channels);
  if (s.position >= s.info.frame_count) return false;
  s.read_image(s.position, frame, channels);
  s.returned_ms = s.period_ms > 0 ? static_cast<double>(s.position) * s.period_ms
                                  : std::numeric_limits<double>::quiet_NaN();
  ++s.position;
  return true;
}

double VideoReader::time_s() const { return state_->returned_ms / 1000.0; }

std::int64_t VideoReader::position() const { return state_->position; }

void VideoReader::seek(std::int64_t index) {
  State& s = *state_;
  if (index < 0 || index > s.info.frame_count) {
    throw std::out_of_range(s.info.source + ": cannot seek to frame " + std::to_string(index) +
                            ", the video has " + std::to_string(s.info.frame_count) + " frames");
  }
  if (s.info.image_sequence || index == s.position) {
    s.position = index;
    return;
  }
  if (index > s.position && index - s.position <= kForwardDecodeLimit && !s.ended) {
    s.skip_to(index);
    return;
  }
  if (s.seek_trusted) {
    // The end is one past the last frame: land on the last frame, then step over it.
    const std::int64_t landing = index == s.info.frame_count ? index - 1 : index;
    if (s.seek_with_opencv(landing)) {
      if (landing != index) s.skip_to(index);
      return;
    }
    s.seek_trusted = false;
    s.reopen();  // the failed seek left the decoder somewhere unknown
  } else if (index < s.position || s.ended) {
    s.reopen();
  }
  s.skip_to(index);
}

VideoInfo probe_video(const std::string& source) { return VideoReader(source).info(); }

}  // namespace ethovid::core
