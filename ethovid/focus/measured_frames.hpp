#pragma once
// Frames of a source with their features, in frame order. One thread (a camera, a file paced in
// real time) measures each frame as it comes; a file read as fast as possible is measured on
// `workers` threads: worker k follows the face through frames k, k + workers, k + 2 workers, ...
// (its own FaceMeasurer, so each one's box comes from its previous frame, `workers` frames
// back: a few tens of milliseconds at video rates), and the rolling measures run on the results
// in frame order. The features of a frame depend on `workers` only through which frames run the
// detector.
#include <memory>

#include "ethovid/focus/feature_extractor.hpp"
#include "ethovid/focus/frame_source.hpp"

namespace ethovid::focus {

class MeasuredFrames {
 public:
  virtual ~MeasuredFrames() = default;
  // The next frame and its features; false at the end. Errors of the source or the networks
  // surface here.
  virtual bool next(Frame& frame, FrameFeatures& features) = 0;
  // The camera was off: forget the followed face and the rolling measures.
  virtual void reset() = 0;
};

// `source` must outlive the result. workers <= 1 measures on the caller's thread.
std::unique_ptr<MeasuredFrames> measure_frames(FrameSource& source,
                                               const vision::ModelConfig& models,
                                               const FeatureOptions& options, int workers);

}  // namespace ethovid::focus
