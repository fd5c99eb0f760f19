#pragma once
// A synthetic infrared rodent face/eye video with exact ground truth, for tests, benchmarks and
// the `make run` demo. Not part of any stage.
//
// The scene: fur-textured gray background; an eye (an iris ellipse brighter than the fur) that
// holds a dark, slightly elliptical pupil whose area follows a smooth curve (two slow sinusoids
// plus a drift, spanning `pupil_area_ratio` between its smallest and largest value) and whose
// centre wanders a few pixels; a small bright corneal reflection fixed relative to the eye, so
// the pupil sometimes slides under it; a few thin whiskers crossing the eye; blink episodes of
// `blink_min_frames`..`blink_max_frames` frames in which a skin-textured eyelid covers the whole
// eye; a textured "whisker pad" patch that moves only during known epochs; a slow global gain
// change (illumination drift) and Gaussian sensor noise.
//
// Everything is a pure function of the parameters (the seed included): frame i is identical
// however it is produced (render() in any order, or the written video when the codec is
// lossless). Textures are built once; a frame is a few copies, a ~40x40 pupil loop and one
// noise addition, so 10 000 frames at 640x480 take seconds plus the encoder's time.
#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace ethovid::synth {

enum class VideoCodec {
  kFfv1,  // lossless FFV1 (.mkv or .avi): decoded pixels equal rendered pixels
  kMp4v,  // MPEG-4 part 2 (.mp4/.avi/.mkv), lossy
  kH264,  // H.264 through FFmpeg's encoder (fourcc avc1), lossy
};

// "ffv1", "mp4v", "h264" (also "avc1"); ConfigError otherwise.
VideoCodec parse_video_codec(const std::string& name);
std::string to_string(VideoCodec codec);

struct SyntheticEyeVideoParams {
  int width = 640;   // px, >= 160
  int height = 480;  // px, >= 120
  int frame_count = 300;
  double fps = 30.0;
  std::uint64_t seed = 1;
  double noise_sigma = 3.0;          // Gaussian sensor noise, 8-bit gray levels
  double illumination_drift = 0.06;  // peak relative change of the global gain (slow)
  double pupil_area_ratio = 3.0;     // largest / smallest pupil area over the video
  double blink_rate_hz = 0.3;        // mean number of blink episodes per second
  int blink_min_frames = 3;
  int blink_max_frames = 8;
  double moving_fraction = 0.4;  // share of time the whisker pad is in motion
  VideoCodec codec = VideoCodec::kFfv1;
};

// Per-frame ground truth, one entry per frame in order, plus the regions a user would draw.
struct SyntheticEyeTruth {
  std::vector<double> pupil_area;  // px^2, analytic pi*a*b of the pupil ellipse (defined on
                                   // blink frames too: the pupil is there, only hidden)
  std::vector<double> pupil_x;     // px, full-frame, ellipse centre (pixel centres at integers)
  std::vector<double> pupil_y;
  std::vector<std::int8_t> blink;   // 1 while the eyelid covers the eye
  std::vector<std::int8_t> moving;  // 1 when the whisker pad moved since the previous frame
  cv::Rect pupil_roi;               // around the whole eye, full-frame px
  cv::Rect motion_roi;              // exactly the whisker pad
  double fps = 0;
  int width = 0;
  int height = 0;
};

class SyntheticEyeVideo {
 public:
  // Builds the textures and the whole per-frame schedule. ConfigError on impossible params.
  explicit SyntheticEyeVideo(const SyntheticEyeVideoParams& params);

  const SyntheticEyeVideoParams& params() const { return params_; }
  const SyntheticEyeTruth& truth() const { return truth_; }
  int frame_count() const { return params_.frame_count; }

  // Frame `index` (0-based) as CV_8UC1, height x width. `frame` is reallocated only when needed.
  void render(int index, cv::Mat& frame) const;

 private:
  struct FrameState {
    double pupil_cx, pupil_cy;  // full-frame px
    double pupil_a, pupil_b;    // semi-axes, px
    int pad_dx, pad_dy;         // whisker-pad texture offset
    double gain;
    int noise_dx, noise_dy;  // window into the noise tile
    bool blink;
  };

  void build_textures();
  void build_schedule();
  void render_pupil(const FrameState& s, cv::Mat& frame) const;

  SyntheticEyeVideoParams params_;
  SyntheticEyeTruth truth_;
  std::vector<FrameState> states_;

  cv::Mat open_frame_;     // CV_8U full frame: fur, open eye, whiskers; no pupil, CR or pad
  cv::Mat closed_eye_;     // CV_8U, eye_box_ size: the eyelid over the eye, whiskers on top
  cv::Mat iris_;           // CV_32F, eye_box_ size: iris texture without whiskers
  cv::Mat whisker_alpha_;  // CV_32F, eye_box_ size: opacity of the whiskers in front of the eye
  cv::Mat pad_texture_;    // CV_8U, motion ROI grown by the largest offset on every side
  cv::Mat noise_tile_;     // CV_16S, frame grown by kNoiseMargin on every side
  cv::Rect eye_box_;       // bounding box of the eye ellipse (full-frame px)
  cv::Point2d eye_centre_;
  cv::Point2d cr_centre_;  // corneal reflection, full-frame px
  double cr_sigma_ = 1.5;
  double pupil_level_ = 30;
  double whisker_level_ = 60;
  int pad_margin_ = 8;
};

// Renders every frame into `output` (container from the extension: .mkv, .avi, .mp4) with
// params.codec, via a temporary name renamed at the end. Returns the ground truth.
// VideoFormatError when OpenCV cannot open a writer for that codec and container.
SyntheticEyeTruth write_synthetic_eye_video(const SyntheticEyeVideoParams& params,
                                            const std::filesystem::path& output);

// CSV with header frame,time_s,pupil_area,pupil_x,pupil_y,blink,moving (one row per frame).
void write_truth_csv(const SyntheticEyeTruth& truth, const std::filesystem::path& path);

}  // namespace ethovid::synth
