// faces stage speed, each against its reference point in the same process:
//   track: frames/s of `faces track` (stride 1 and 2) vs plain decoding of the same file
//          (VideoReader::read_bgr alone), and the real-time factor (video seconds per wall second)
//          on a 1280x720 clip made from the talking-head video;
//   embed: crops/s of `faces embed` (every candidate measured, gated, aligned, embedded on all
//          cores) vs the bare embedding network on pre-aligned crops, one crop per call, one thread.
//
//   bench_faces [SHARED_DATA_DIR] [WORK_DIR]   (defaults ../shared/data, ./bench-data)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/faces/embed.hpp"
#include "ethovid/faces/track.hpp"
#include "ethovid/vision/face_embedder.hpp"
#include "ethovid/vision/model_config.hpp"
#include "talking_head_clip.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ethovid::core::seconds_since;

int main(int argc, char** argv) {
  const fs::path shared = argc > 1 ? fs::path(argv[1]) : fs::path("../shared/data");
  const fs::path work = argc > 2 ? fs::path(argv[2]) : fs::path("bench-data");
  // A 720p episode-like clip: the 480x480 talking head scaled to 720 rows, centred on 1280x720.
  const auto made = ethovid::bench::talking_head_clip(shared, work, "talking_head_720p.mp4",
                                                      "scale=720:720,pad=1280:720:280:0");
  if (!made) return 0;
  const fs::path clip = *made;
  const double fps = 30.0;

  std::printf("== track (%s, 1280x720, 1008 frames)\n", clip.filename().c_str());
  fs::path tracks_file;
  for (int stride : {1, 2}) {
    std::int64_t frames = 0;
    const double decode_s = ethovid::bench::decode_seconds(clip.string(), &frames);
    ethovid::faces::TrackOptions o;
    o.video = clip.string();
    o.output_dir = work / ("faces_track_stride" + std::to_string(stride));
    o.stride = stride;
    o.force = true;
    const auto start = Clock::now();
    const auto result = ethovid::faces::track_faces(o);
    const double track_s = seconds_since(start);
    if (stride == 1) tracks_file = result.tracks_path;
    std::printf("stride %d: decode alone %.0f frames/s, faces track %.0f frames/s, ratio %.3f, "
                "real-time factor %.2fx (%lld tracks)\n",
                stride, frames / decode_s, frames / track_s, decode_s / track_s,
                frames / fps / track_s, static_cast<long long>(result.tracks));
  }

  std::printf("== embed\n");
  ethovid::faces::EmbedOptions e;
  e.video = clip.string();
  e.tracks_file = tracks_file;
  e.output_dir = work / "faces_embed";
  e.force = true;
  e.config.harvest.max_crops_per_track = 100000;  // embed every candidate that passes the gate
  auto start = Clock::now();
  const auto embedded = ethovid::faces::embed_faces(e);
  const double embed_s = seconds_since(start);
  const double embed_only_s = embedded.summary["timings_s"]["embed"].get<double>();

  // Reference: the bare network, one pre-aligned crop per call, one thread, same number of crops.
  cv::setNumThreads(1);
  const auto models = ethovid::vision::load_model_config(ethovid::vision::default_model_config_path());
  ethovid::vision::FaceEmbedder bare(models.embedding);
  cv::Mat crop(112, 112, CV_8UC3);
  cv::randu(crop, 0, 255);
  const std::int64_t n = std::max<std::int64_t>(embedded.faces, 1);
  start = Clock::now();
  for (std::int64_t i = 0; i < n; ++i) bare.embed({crop});
  const double bare_s = seconds_since(start);
  cv::setNumThreads(-1);
  std::printf("faces embed: %lld of %lld candidates kept; whole command %.0f crops/s, embedding step "
              "%.0f crops/s; bare network (1 thread, 1 crop/call) %.0f crops/s; ratio %.2f (whole) "
              "%.2f (embedding step)\n",
              static_cast<long long>(embedded.faces), static_cast<long long>(embedded.candidates),
              embedded.faces / embed_s, embedded.faces / embed_only_s, n / bare_s,
              (embedded.faces / embed_s) / (n / bare_s), (embedded.faces / embed_only_s) / (n / bare_s));
  return 0;
}
