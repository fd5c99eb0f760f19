#include "ethovid/faces/frame_workers.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "ethovid/core/bounded_queue.hpp"
#include "ethovid/core/progress.hpp"

namespace ethovid::faces {

DecodeStats decode_to_workers(core::VideoReader& reader, const std::string& label,
                              const core::ProgressHook* hook,
                              const std::function<bool(std::int64_t)>& wanted,
                              std::int64_t last_wanted,
                              const std::function<FrameTask()>& make_worker) {
  using Clock = std::chrono::steady_clock;
  const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  core::BoundedQueue<std::pair<std::int64_t, cv::Mat>> queue(2 * workers);
  std::mutex mutex;  // guards `failure`
  std::exception_ptr failure;
  auto work = [&] {
    try {
      const FrameTask task = make_worker();
      while (auto job = queue.pop()) task(job->first, job->second);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      queue.close();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < workers; ++i) pool.emplace_back(work);
  auto stop = [&] {
    queue.close();
    for (auto& thread : pool) thread.join();
  };
  DecodeStats stats;
  try {
    core::ProgressBar bar(label, reader.info().frame_count, "frames", hook);
    for (;;) {
      if (last_wanted >= 0 && stats.decoded > last_wanted) break;
      cv::Mat frame;  // a fresh buffer per frame: it moves into the queue without a copy
      const auto start = Clock::now();
      if (!reader.read_bgr(frame)) break;
      stats.decode_seconds += std::chrono::duration<double>(Clock::now() - start).count();
      const std::int64_t t = stats.decoded++;
      bar.update(stats.decoded);
      if (wanted(t) && !queue.push({t, std::move(frame)})) break;  // a worker failed
    }
  } catch (...) {
    stop();
    throw;
  }
  stop();
  if (failure) std::rethrow_exception(failure);
  return stats;
}

}  // namespace ethovid::faces
