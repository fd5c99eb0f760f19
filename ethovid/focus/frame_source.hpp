#pragma once
// Where the focus loop's frames come from, each with its time on the session clock:
//   a video file, image sequence or GIF: each frame at the file's own timestamp (so a
//     variable-rate file keeps its real clock), or at index / fps when `fps` is given or the file
//     has no timestamps (image sequences: 30 fps unless `fps` says otherwise, with a warning),
//     read as fast as the loop takes them, or, with
//     `realtime`, paced by the wall clock like a camera: a frame the loop is too late for is
//     skipped and counted as dropped;
//   a camera (V4L2 through OpenCV): the time each frame arrived, from a monotonic clock; frames
//     the camera sent while the loop was busy (gaps over 1.5 frame periods) count as dropped.
#include <chrono>
#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>

namespace ethovid::focus {

struct Frame {
  cv::Mat bgr;             // 8-bit BGR
  double t_s = 0;          // session clock
  std::int64_t index = 0;  // frame of the source
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The next frame; false at the end of a file (a camera never ends; it throws when it fails).
  virtual bool next(Frame& frame) = 0;
  // Camera off: a camera is released (its light goes off) and opened again on `true`; a file
  // keeps its clock (the loop reads and skips its frames while off).
  virtual void set_enabled(bool enabled) = 0;
  virtual std::int64_t dropped() const = 0;
  // The session clock now: a camera's clock, or a file's time of the last frame read.
  virtual double now_s() const = 0;
  virtual std::string describe() const = 0;      // "video:PATH" or "camera:N"
  virtual double nominal_fps() const = 0;        // 0 when unknown
  virtual std::int64_t frame_count() const = 0;  // a file's frames (0 when unknown, or a camera)
  virtual bool is_camera() const = 0;
};

// MissingInputError / VideoFormatError from core::VideoReader.
std::unique_ptr<FrameSource> open_video_source(const std::string& path, bool realtime,
                                               double fps = 0);

// MissingInputError naming /dev/videoN when it does not exist, InputMismatchError when it exists
// but cannot be opened (busy, or not a capture device) or gives no frame.
std::unique_ptr<FrameSource> open_camera_source(int index, int width = 640, int height = 480);

}  // namespace ethovid::focus
