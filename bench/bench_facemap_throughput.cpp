// facemap compute throughput as a ratio to plain decoding of the same file, both measured in this
// process, interleaved (decode, compute, decode, compute, ...) so machine drift hits both alike.
//
//   bench_facemap_throughput [--frames 10000] [--width 640] [--height 480] [--codec h264]
//                            [--repeats 3] [--components 500] [--data DIR]
//
// The video is generated once (synthetic IR eye video with a moving whisker pad) and kept in
// DIR. Reported: frames/s of OpenCV decoding alone (VideoCapture::read, the way any OpenCV
// program reads a file), frames/s of `ffmpeg -f null` for the record, frames/s of facemap compute
// with its defaults (whole-frame motion + movie SVD with K components, sbin 4, a pupil ROI), and
// the median of the per-pair ratios compute/decode.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <opencv2/videoio.hpp>

#include "ethovid/facemap/facemap.hpp"
#include "tools/synth/synthetic_eye_video.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double decode_seconds(const fs::path& video, std::int64_t* frames) {
  const auto start = Clock::now();
  cv::VideoCapture cap(video.string(), cv::CAP_FFMPEG);
  cv::Mat frame;
  std::int64_t n = 0;
  while (cap.read(frame)) ++n;
  *frames = n;
  return seconds_since(start);
}

double ffmpeg_seconds(const fs::path& video) {
  const auto start = Clock::now();
  const std::string command = "ffmpeg -v error -i '" + video.string() + "' -f null - >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) return -1;
  return seconds_since(start);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  ethovid::synth::SyntheticEyeVideoParams params;
  params.frame_count = 10000;
  params.codec = ethovid::synth::VideoCodec::kH264;
  int repeats = 3;
  int components = 500;
  fs::path data = "bench-data";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--frames") params.frame_count = std::stoi(value);
    else if (flag == "--width") params.width = std::stoi(value);
    else if (flag == "--height") params.height = std::stoi(value);
    else if (flag == "--codec") params.codec = ethovid::synth::parse_video_codec(value);
    else if (flag == "--repeats") repeats = std::stoi(value);
    else if (flag == "--components") components = std::stoi(value);
    else if (flag == "--data") data = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  fs::create_directories(data);
  const std::string ext = params.codec == ethovid::synth::VideoCodec::kFfv1 ? ".mkv" : ".mp4";
  const fs::path video = data / ("face_" + std::to_string(params.width) + "x" +
                                 std::to_string(params.height) + "_" +
                                 std::to_string(params.frame_count) + "_" +
                                 ethovid::synth::to_string(params.codec) + ext);
  ethovid::synth::SyntheticEyeVideo scene(params);
  if (!fs::exists(video)) {
    std::cerr << "generating " << video << " ...\n";
    ethovid::synth::write_synthetic_eye_video(params, video);
  }
  const cv::Rect pupil = scene.truth().pupil_roi;

  ethovid::facemap::ComputeOptions options;
  options.video = video.string();
  options.output_dir = data / "facemap_out";
  options.pupil_roi = ethovid::facemap::Roi{pupil.x, pupil.y, pupil.width, pupil.height};
  options.svd_components = components;
  options.force = true;

  std::vector<double> decode_fps, compute_fps, ratios;
  const double ffmpeg_s = ffmpeg_seconds(video);
  for (int r = 0; r < repeats; ++r) {
    std::int64_t frames = 0;
    const double decode_s = decode_seconds(video, &frames);
    const auto start = Clock::now();
    const auto result = ethovid::facemap::compute(options);
    const double compute_s = seconds_since(start);
    decode_fps.push_back(frames / decode_s);
    compute_fps.push_back(result.rows / compute_s);
    ratios.push_back(compute_fps.back() / decode_fps.back());
    std::printf("run %d: decode %.0f frames/s, compute %.0f frames/s, ratio %.3f\n", r + 1,
                decode_fps.back(), compute_fps.back(), ratios.back());
  }
  std::printf("video: %s (%d frames, %dx%d)\n", video.filename().c_str(), params.frame_count,
              params.width, params.height);
  if (ffmpeg_s > 0) std::printf("ffmpeg -f null: %.0f frames/s\n", params.frame_count / ffmpeg_s);
  std::printf("median: decode %.0f frames/s, compute %.0f frames/s\n", median(decode_fps),
              median(compute_fps));
  std::printf("ratio compute/decode (median of %d pairs): %.3f (target >= 0.7)\n", repeats,
              median(ratios));
  return 0;
}
