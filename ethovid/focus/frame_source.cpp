#include "ethovid/focus/frame_source.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <iostream>
#include <opencv2/videoio.hpp>
#include <optional>
#include <thread>

#include "ethovid/core/bounded_queue.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/video.hpp"

namespace ethovid::focus {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class VideoFileSource : public FrameSource {
 public:
  VideoFileSource(const std::string& path, bool realtime, double fps)
      : reader_(path), path_(path), realtime_(realtime), frame_count_(reader_.info().frame_count) {
    fps_ = fps > 0 ? fps : reader_.info().fps;
    use_file_clock_ = !(fps > 0);  // --fps asks for that rate's clock instead of the file's
    if (!(fps_ > 0)) {
      // Image sequences state no rate: the clock is the frame index at 30 fps, as a camera's.
      fps_ = 30;
      use_file_clock_ = false;
      std::cerr << "focus: " << path << " states no frame rate; assuming 30 fps (give --fps)\n";
    }
    // As fast as possible, decoding runs a few frames ahead on its own thread: on two cores the
    // decoder and the measuring then overlap.
    if (!realtime_) decoder_ = std::thread([this] { decode_ahead(); });
  }
  ~VideoFileSource() override {
    ahead_.close();
    if (decoder_.joinable()) decoder_.join();
  }

  bool next(Frame& frame) override {
    if (!realtime_) {
      std::optional<Frame> f = ahead_.pop();
      if (!f) {
        if (decode_error_) std::rethrow_exception(decode_error_);
        return false;
      }
      frame = std::move(*f);
      last_t_ = frame.t_s;
      return true;
    }
    for (;;) {
      if (!read(frame)) return false;
      last_t_ = frame.t_s;
      if (!started_) start_ = Clock::now(), started_ = true, first_t_ = frame.t_s;
      const double due = frame.t_s - first_t_, now = seconds_since(start_);
      if (now > due + 1.0 / fps_) {  // a camera would have delivered a newer frame by now
        ++dropped_;
        continue;
      }
      if (due > now) std::this_thread::sleep_for(std::chrono::duration<double>(due - now));
      return true;
    }
  }
  void set_enabled(bool) override {
  }  // a file's clock runs on; the loop skips what it reads while off
  std::int64_t dropped() const override { return dropped_; }
  double now_s() const override { return last_t_; }
  std::string describe() const override { return "video:" + path_; }
  double nominal_fps() const override { return fps_; }
  std::int64_t frame_count() const override { return frame_count_; }
  bool is_camera() const override { return false; }

 private:
  bool read(Frame& frame) {
    frame.index = reader_.position();
    if (!reader_.read_bgr(frame.bgr)) return false;
    // The file's own timestamps where it has them, so a variable-rate file, or one with frames
    // dropped at recording, keeps its real clock; never going back.
    const double stamped = reader_.time_s();
    frame.t_s = use_file_clock_ && std::isfinite(stamped) ? stamped : frame.index / fps_;
    frame.t_s = std::max(frame.t_s, previous_t_);
    previous_t_ = frame.t_s;
    return true;
  }
  void decode_ahead() {
    try {
      for (;;) {
        Frame frame;
        if (!read(frame) || !ahead_.push(std::move(frame))) break;
      }
    } catch (...) {
      decode_error_ = std::current_exception();  // read by next() once the queue is drained
    }
    ahead_.close();
  }

  core::VideoReader reader_;
  std::string path_;
  bool realtime_;
  std::int64_t frame_count_;
  double fps_ = 0;
  bool use_file_clock_ = true;
  double previous_t_ = 0;
  bool started_ = false;
  Clock::time_point start_;
  double first_t_ = 0;
  std::atomic<double> last_t_{0};
  std::int64_t dropped_ = 0;
  core::BoundedQueue<Frame> ahead_{8};
  std::exception_ptr decode_error_;
  std::thread decoder_;
};

class CameraSource : public FrameSource {
 public:
  CameraSource(int index, int width, int height)
      : index_(index), width_(width), height_(height), start_(Clock::now()) {
    open();
  }

  bool next(Frame& frame) override {
    if (!capture_.isOpened()) open();
    if (!capture_.read(frame.bgr) || frame.bgr.empty()) {
      throw InputMismatchError(
          device() + " stopped delivering frames (unplugged, or taken by another program)");
    }
    frame.t_s = seconds_since(start_);
    frame.index = delivered_++;
    if (last_t_ >= 0 && fps_ > 0) {
      const double periods = (frame.t_s - last_t_) * fps_;
      if (periods > 1.5) dropped_ += static_cast<std::int64_t>(periods + 0.5) - 1;
    }
    last_t_ = frame.t_s;
    return true;
  }
  void set_enabled(bool enabled) override {
    if (!enabled)
      capture_.release(), last_t_ = -1;
    else if (!capture_.isOpened())
      open();
  }
  std::int64_t dropped() const override { return dropped_; }
  double now_s() const override { return seconds_since(start_); }
  std::string describe() const override { return "camera:" + std::to_string(index_); }
  double nominal_fps() const override { return fps_; }
  std::int64_t frame_count() const override { return 0; }
  bool is_camera() const override { return true; }

 private:
  std::string device() const { return "/dev/video" + std::to_string(index_); }
  void open() {
    if (!std::filesystem::exists(device())) {
      throw MissingInputError("camera " + std::to_string(index_) + ": " + device() +
                              " does not exist");
    }
    if (!capture_.open(index_, cv::CAP_V4L2)) {
      throw InputMismatchError(
          "camera " + std::to_string(index_) + ": " + device() +
          " cannot be opened (busy in another program, or not a capture device)");
    }
    capture_.set(cv::CAP_PROP_FRAME_WIDTH, width_);
    capture_.set(cv::CAP_PROP_FRAME_HEIGHT, height_);
    fps_ = capture_.get(cv::CAP_PROP_FPS);
  }

  int index_, width_, height_;
  cv::VideoCapture capture_;
  Clock::time_point start_;
  double fps_ = 0, last_t_ = -1;
  std::int64_t delivered_ = 0, dropped_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> open_video_source(const std::string& path, bool realtime, double fps) {
  return std::make_unique<VideoFileSource>(path, realtime, fps);
}

std::unique_ptr<FrameSource> open_camera_source(int index, int width, int height) {
  return std::make_unique<CameraSource>(index, width, height);
}

}  // namespace ethovid::focus
