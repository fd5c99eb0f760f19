// focus stage speed (issue 12 §6), each figure against its reference in the same process:
//   per frame: capture to state (decode, features, policy) at 640x480 on one core, p50 and p95 in
//              milliseconds, against decoding alone on the same core;
//   offline:   frames/s of the whole `focus run --video FILE --no-server` loop (decode-ahead
//              thread, features, policy, interventions, event log) on all cores, against plain
//              decoding of the same file (VideoReader::read_bgr alone).
// The clip: the talking-head video scaled into a 640x480 webcam-sized frame with ffmpeg.
//
//   bench_focus [SHARED_DATA_DIR] [WORK_DIR]   (defaults ../shared/data, ./bench-data)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/focus/feature_extractor.hpp"
#include "ethovid/focus/focus_session.hpp"
#include "ethovid/focus/policy.hpp"
#include "talking_head_clip.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ethovid::core::seconds_since;

namespace {

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * (v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path shared = argc > 1 ? fs::path(argv[1]) : fs::path("../shared/data");
  const fs::path work = argc > 2 ? fs::path(argv[2]) : fs::path("bench-data");
  const auto made = ethovid::bench::talking_head_clip(shared, work, "talking_head_640x480.mp4",
                                                      "scale=432:432,pad=640:480:104:24");
  if (!made) return 0;
  const fs::path clip = *made;

  // Per frame on one core.
  cv::setNumThreads(1);
  std::int64_t frames = 0;
  std::vector<double> decode_ms;
  ethovid::bench::decode_seconds(clip.string(), &frames, &decode_ms);
  ethovid::focus::FeatureExtractor extractor(
      ethovid::vision::load_model_config(ethovid::vision::default_model_config_path()));
  auto policy = ethovid::focus::make_policy({});
  std::vector<double> frame_ms;
  {
    ethovid::core::VideoReader reader(clip.string());
    cv::Mat frame;
    for (std::int64_t i = 0;; ++i) {
      const auto t0 = Clock::now();
      if (!reader.read_bgr(frame)) break;
      const double t = i / reader.info().fps;
      policy->decide(t, extractor.measure(frame, t));
      frame_ms.push_back(seconds_since(t0) * 1000);
    }
  }
  std::printf("== per frame, capture to state, 640x480, one core (%lld frames)\n",
              static_cast<long long>(frames));
  std::printf("decode alone: p50 %.2f ms, p95 %.2f ms\n", percentile(decode_ms, 0.5),
              percentile(decode_ms, 0.95));
  std::printf(
      "decode + features + policy: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms (ratio of p50s %.1f)\n",
      percentile(frame_ms, 0.5), percentile(frame_ms, 0.95), percentile(frame_ms, 0.99),
      percentile(frame_ms, 0.5) / percentile(decode_ms, 0.5));

  // Offline, all cores.
  cv::setNumThreads(-1);
  const double decode_s = ethovid::bench::decode_seconds(clip.string(), &frames, nullptr);
  ethovid::focus::SessionOptions o;
  o.source.video = clip.string();
  o.events_dir = work / "focus_events";
  fs::remove_all(o.events_dir);
  o.progress = false;
  const auto start = Clock::now();
  const ethovid::focus::SessionResult r = ethovid::focus::run_focus_session(o);
  const double run_s = seconds_since(start);
  std::printf("== offline, focus run --video --no-server, all cores\n");
  std::printf(
      "decode alone %.0f frames/s, focus run %.0f frames/s (%.1fx real time at 30 fps), ratio "
      "%.3f, "
      "%lld rows logged\n",
      frames / decode_s, r.frames_processed / run_s, r.frames_processed / run_s / 30.0,
      decode_s / run_s, static_cast<long long>(r.rows_logged));
  return 0;
}
