#pragma once
// The faces stage's decode pipeline: the calling thread decodes the video (BGR) and hands the
// frames it wants to one worker per core through a bounded queue. Each worker builds its own
// state (an OpenCV DNN net must not be shared between threads) and processes frames in whatever
// order they come; the first exception of any thread is rethrown once every thread has stopped.
#include <cstdint>
#include <functional>
#include <string>

#include <opencv2/core.hpp>

#include "ethovid/core/progress.hpp"
#include "ethovid/core/video.hpp"

namespace ethovid::faces {

using FrameTask = std::function<void(std::int64_t frame_idx, const cv::Mat& frame)>;

struct DecodeStats {
  std::int64_t decoded = 0;    // frames read
  double decode_seconds = 0;   // the reading thread's time in the decoder
};

// Reads `reader` to its end, or up to frame `last_wanted` when it is >= 0, showing progress as
// `label` (and reporting it to `hook`, which may be null; a cancel there stops the reading). `wanted(t)` selects the frames handed over; `make_worker()` runs once on each worker
// thread and returns the task that processes that worker's frames.
DecodeStats decode_to_workers(core::VideoReader& reader, const std::string& label,
                              const core::ProgressHook* hook,
                              const std::function<bool(std::int64_t)>& wanted,
                              std::int64_t last_wanted,
                              const std::function<FrameTask()>& make_worker);

}  // namespace ethovid::faces
