#pragma once
// Sequential grayscale video reading over OpenCV's videoio (FFmpeg). A source is a video file or
// an image sequence given as a printf pattern ("frames/%05d.png"), as OpenCV reads it.
// A missing file is MissingInputError; one that cannot be opened or decoded is VideoFormatError
// naming the file; a file that ends before the frame count its header promises is a
// VideoFormatError naming both counts (a truncated file never passes silently).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace ethovid::core {

struct VideoInfo {
  std::string source;        // the path or pattern as given
  // As the container reports it (image sequences: files counted; a still image: 1); 0 when the
  // container states no count (then known only once the stream is read to its end).
  std::int64_t frame_count;
  double fps;                // 0 when unknown (image sequences)
  int width;
  int height;
  std::string codec;         // FourCC as text, "" for image sequences
  bool image_sequence;
  double duration_s() const { return fps > 0 ? frame_count / fps : 0.0; }
};

class VideoReader {
 public:
  explicit VideoReader(const std::string& source);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;

  // Next frame as 8-bit single-channel (CV_8UC1), width x height. Returns false after the last
  // frame; throws VideoFormatError when the stream ends before info().frame_count frames.
  bool read_gray(cv::Mat& frame);
  // The same as 8-bit BGR (CV_8UC3); gray sources are expanded to three channels.
  bool read_bgr(cv::Mat& frame);

  // Index of the next frame read_gray() returns.
  std::int64_t position() const;
  // Presentation time of the frame the last read returned, in seconds from frame 0: the file's
  // own timestamps (a variable-rate file's gaps included); NaN for image sequences, which state
  // no time.
  double time_s() const;

  // Positions the reader so the next read_gray() returns frame `index` (exactly, for files
  // whose seeking OpenCV supports; otherwise by decoding forward from the start).
  void seek(std::int64_t index);

 private:
  bool read(cv::Mat& frame, int channels);

  struct State;
  std::unique_ptr<State> state_;
};

// Opens the source, reads its facts and closes it.
VideoInfo probe_video(const std::string& source);

}  // namespace ethovid::core
