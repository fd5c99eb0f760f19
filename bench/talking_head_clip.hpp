#pragma once
// What the benches that run on the shared talking-head video share: the clip made from it at the
// size a bench needs (ffmpeg, once, cached in the work folder), and the reference every ratio is
// against, plain decoding of the same file.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/video.hpp"

namespace ethovid::bench {

// `shared`/face_video/liveportrait_d6.mp4 through the ffmpeg filter `video_filter` (e.g.
// "scale=432:432,pad=640:480:104:24"), H.264, as `work`/`name`; nullopt, after printing why the
// bench is skipped, when the video is absent or ffmpeg fails.
inline std::optional<std::filesystem::path> talking_head_clip(const std::filesystem::path& shared,
                                                              const std::filesystem::path& work,
                                                              const std::string& name,
                                                              const std::string& video_filter) {
  const std::filesystem::path talking = shared / "face_video/liveportrait_d6.mp4";
  if (!std::filesystem::exists(talking)) {
    std::printf("skipped: %s not found\n", talking.c_str());
    return std::nullopt;
  }
  std::filesystem::create_directories(work);
  const std::filesystem::path clip = work / name;
  if (!std::filesystem::exists(clip)) {
    const std::string command = "ffmpeg -v error -y -i '" + talking.string() + "' -an -vf " +
                                video_filter + " -c:v libx264 -crf 20 '" + clip.string() + "'";
    if (std::system(command.c_str()) != 0) {
      std::printf("skipped: ffmpeg could not make %s\n", clip.c_str());
      return std::nullopt;
    }
  }
  return clip;
}

// Seconds to decode every frame of `video` to BGR; the frame count in `frames`, and each frame's
// milliseconds in `per_frame_ms` when given.
inline double decode_seconds(const std::string& video, std::int64_t* frames,
                             std::vector<double>* per_frame_ms = nullptr) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  core::VideoReader reader(video);
  cv::Mat frame;
  std::int64_t n = 0;
  for (;;) {
    const auto t0 = Clock::now();
    if (!reader.read_bgr(frame)) break;
    if (per_frame_ms) per_frame_ms->push_back(core::seconds_since(t0) * 1000);
    ++n;
  }
  *frames = n;
  return core::seconds_since(start);
}

}  // namespace ethovid::bench
