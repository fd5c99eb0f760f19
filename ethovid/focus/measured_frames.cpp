#include "ethovid/focus/measured_frames.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "ethovid/core/bounded_queue.hpp"

namespace ethovid::focus {

namespace {

class MeasuredInLine : public MeasuredFrames {
 public:
  MeasuredInLine(FrameSource& source, const vision::ModelConfig& models,
                 const FeatureOptions& options)
      : source_(source), extractor_(models, options) {}
  bool next(Frame& frame, FrameFeatures& features) override {
    if (!source_.next(frame)) return false;
    features = extractor_.measure(frame.bgr, frame.t_s);
    return true;
  }
  void reset() override { extractor_.reset(); }

 private:
  FrameSource& source_;
  FeatureExtractor extractor_;
};

// A feeder thread reads the source and deals frame i to worker i % n; each worker measures its
// frames in order into its own queue; next() takes from worker i % n for frame i, so the frames
// come back in order with no reordering buffer, and memory is bounded by the queues.
class MeasuredInParallel : public MeasuredFrames {
 public:
  MeasuredInParallel(FrameSource& source, const vision::ModelConfig& models,
                     const FeatureOptions& options, int workers)
      : source_(source), options_(options), rolling_(options.eyes) {
    // Each worker sees every n-th frame: its detector interval counts its own frames, so the
    // detector still runs every `redetect_every` frames of the source.
    FeatureOptions each = options;
    each.redetect_every = std::max(1, options.redetect_every / workers);
    for (int k = 0; k < workers; ++k) workers_.push_back(std::make_unique<Worker>(models, each));
    for (auto& w : workers_) w->thread = std::thread([&w = *w] { w.run(); });
    feeder_ = std::thread([this] { feed(); });
  }
  ~MeasuredInParallel() override {
    for (auto& w : workers_) w->in.close(), w->out.close();
    if (feeder_.joinable()) feeder_.join();
    for (auto& w : workers_) w->thread.join();
  }

  bool next(Frame& frame, FrameFeatures& features) override {
    Worker& w = *workers_[next_ % workers_.size()];
    std::optional<Result> r = w.out.pop();
    if (!r) {
      if (w.error) std::rethrow_exception(w.error);
      if (feed_error_) std::rethrow_exception(feed_error_);
      return false;
    }
    ++next_;
    frame = std::move(r->frame);
    features = std::move(r->features);
    rolling_.apply(features, frame.t_s);
    return true;
  }
  // Frames already measured keep the face their worker followed; a face that moved while the camera
  // was off is found again by the jump check. The rolling measures start again.
  void reset() override { rolling_ = RollingMeasures(options_.eyes); }

 private:
  struct Result {
    Frame frame;
    FrameFeatures features;
  };
  struct Worker {
    Worker(const vision::ModelConfig& models, const FeatureOptions& options)
        : measurer(models, options) {}
    void run() {
      try {
        while (std::optional<Frame> frame = in.pop()) {
          Result r{std::move(*frame), {}};
          r.features = measurer.measure(r.frame.bgr);
          if (!out.push(std::move(r))) break;
        }
      } catch (...) {
        error = std::current_exception();  // read by next() after out is closed
      }
      out.close();
    }
    FaceMeasurer measurer;
    core::BoundedQueue<Frame> in{2};
    core::BoundedQueue<Result> out{4};
    std::exception_ptr error;
    std::thread thread;
  };

  void feed() {
    try {
      Frame frame;
      for (std::size_t i = 0; source_.next(frame); ++i) {
        if (!workers_[i % workers_.size()]->in.push(std::move(frame))) break;
        frame = Frame{};
      }
    } catch (...) {
      feed_error_ = std::current_exception();
    }
    for (auto& w : workers_) w->in.close();
  }

  FrameSource& source_;
  FeatureOptions options_;
  RollingMeasures rolling_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread feeder_;
  std::exception_ptr feed_error_;
  std::size_t next_ = 0;
};

}  // namespace

std::unique_ptr<MeasuredFrames> measure_frames(FrameSource& source,
                                               const vision::ModelConfig& models,
                                               const FeatureOptions& options, int workers) {
  if (workers <= 1) return std::make_unique<MeasuredInLine>(source, models, options);
  return std::make_unique<MeasuredInParallel>(source, models, options, workers);
}

}  // namespace ethovid::focus
