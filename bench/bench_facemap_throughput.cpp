// facemap compute throughput as a ratio to plain decoding of the same file, both measured in this
// process, interleaved (decode, compute, decode, compute, ...) so machine drift hits both alike.
//
//   bench_facemap_throughput [--frames 10000] [--width 640] [--height 480] [--codec h264]
//                            [--repeats 3] [--data DIR] [--variants all|default]
//
// The video is generated once (synthetic IR eye video with a moving whisker pad) and kept in
// DIR. Reported: frames/s of OpenCV decoding alone (VideoCapture::read, the way any OpenCV
// program reads a file), frames/s of `ffmpeg -f null` for the record, and for each variant of
// facemap compute the median of the per-pair ratios compute/decode and its phase times.
// Variants: `default` (whole-frame motion + movie SVD, K = 500, sbin 4, a pupil ROI), `k100`
// (K = 100), `motion-svd` (Facemap's own default: motion SVD only, K = 500) and `no-svd`
// (motion energy + pupil only).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <opencv2/videoio.hpp>

#include "ethovid/core/elapsed.hpp"
#include "ethovid/facemap/facemap.hpp"
#include "tools/synth/synthetic_eye_video.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ethovid::core::seconds_since;

namespace {

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

struct Variant {
  std::string name;
  int components;
  bool motion_svd;
  bool movie_svd;
};

const std::vector<Variant> kVariants = {{"default", 500, true, true},
                                        {"k100", 100, true, true},
                                        {"motion-svd", 500, true, false},
                                        {"no-svd", 500, false, false}};

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
  std::string variants = "all";
  fs::path data = "bench-data";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--frames") params.frame_count = std::stoi(value);
    else if (flag == "--width") params.width = std::stoi(value);
    else if (flag == "--height") params.height = std::stoi(value);
    else if (flag == "--codec") params.codec = ethovid::synth::parse_video_codec(value);
    else if (flag == "--repeats") repeats = std::stoi(value);
    else if (flag == "--variants") variants = value;
    else if (flag == "--data") data = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  const std::vector<Variant> run_variants =
      variants == "all" ? kVariants : std::vector<Variant>{kVariants.front()};
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
  options.force = true;

  // Per variant: the ratio of each (decode, compute) pair, and the last run's phase times.
  std::vector<std::vector<double>> ratios(run_variants.size());
  std::vector<ethovid::core::Json> phases(run_variants.size());
  std::vector<double> decode_fps;
  const double ffmpeg_s = ffmpeg_seconds(video);
  for (int r = 0; r < repeats; ++r) {
    for (std::size_t v = 0; v < run_variants.size(); ++v) {
      std::int64_t frames = 0;
      const double decode_s = decode_seconds(video, &frames);
      options.svd_components = run_variants[v].components;
      options.motion_svd = run_variants[v].motion_svd;
      options.movie_svd = run_variants[v].movie_svd;
      const auto start = Clock::now();
      const auto result = ethovid::facemap::compute(options);
      const double compute_s = seconds_since(start);
      decode_fps.push_back(frames / decode_s);
      ratios[v].push_back((result.rows / compute_s) / decode_fps.back());
      phases[v] = result.summary["model_info"]["phase_seconds"];
      std::printf("run %d %-10s: decode %.0f frames/s, compute %.0f frames/s, ratio %.3f\n", r + 1,
                  run_variants[v].name.c_str(), decode_fps.back(), result.rows / compute_s,
                  ratios[v].back());
    }
  }
  std::printf("video: %s (%d frames, %dx%d)\n", video.filename().c_str(), params.frame_count,
              params.width, params.height);
  std::printf("OpenCV decode alone: %.0f frames/s (median)\n", median(decode_fps));
  if (ffmpeg_s > 0) std::printf("ffmpeg -f null: %.0f frames/s\n", params.frame_count / ffmpeg_s);
  for (std::size_t v = 0; v < run_variants.size(); ++v) {
    std::printf("ratio compute/decode, %-10s (median of %d pairs): %.3f  phases %s\n",
                run_variants[v].name.c_str(), repeats, median(ratios[v]), phases[v].dump().c_str());
  }
  std::printf("target >= 0.7 for the default variant\n");
  return 0;
}
