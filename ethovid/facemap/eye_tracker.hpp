#pragma once
// Pupil area, pupil centre and blinks from a pupil ROI of an infrared face video, one frame at
// a time (hour-long videos are streamed once; the tracker keeps O(1) image state plus a few
// scalars per frame).
//
// The pupil is taken to be the darkest compact blob in the ROI. Per frame: Gaussian smoothing;
// a grayscale opening and closing that erase bright details (corneal reflection, glints) and
// thin dark ones (whiskers, lashes) narrower than fractions of the pupil, used to find the blob;
// a seed at the darkest pupil-sized spot and a rough dark mask grown from it; then sub-pixel
// edge points on rays from the blob centre, where the smoothed intensity rises through the
// midpoint between the pupil's own level and the level just outside it on that ray (the
// strongest such step near the rough outline), and a robust ellipse fit to those points (rays
// whose edge is missing, weak or far off the fit are dropped, which handles eyelid shadow,
// reflections on the rim and partial occlusion). Area = pi*a*b of the ellipse, plus the
// pi*sigma^2 that smoothing takes off any convex outline.
// Nothing is a fixed gray level: calibrate() finds, on sample frames, the threshold at which the
// dark blob grown from the seed is most stable, and from there learns the pupil/surround
// contrast, the typical pupil size (which sizes the filters) and the noise (which raises the
// smoothing when needed); tracking then follows slow illumination changes.
// Blinks are decided in finish(): a frame is a blink when no valid pupil was found AND the ROI's
// mean brightness departs from its running robust baseline (the eyelid replaced the eye).
//
// Coordinates: pixel centres at integers, full-frame px (ROI offset added). Areas in px^2.
#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace ethovid::facemap {

struct EyeTrackerParams {
  // Least Gaussian smoothing, px. Calibration raises it (up to a fifth of the pupil radius) until
  // the remaining noise is about a tenth of the pupil/surround contrast. Its effect on the area
  // (pi*sigma^2 for any convex outline) is added back.
  double smoothing_sigma = 1.0;
  // Diameter of the grayscale opening that erases small bright details (corneal reflection,
  // glints), as a fraction of the calibrated pupil radius (3..31 px). It must exceed the
  // reflection's width; it never shrinks the pupil (a dark convex region survives any opening),
  // but bright gaps narrower than it between the pupil and other equally dark regions close.
  double reflection_size_frac = 0.75;
  // Diameter of the grayscale closing that erases thin dark details (whiskers, lashes), as a
  // fraction of the calibrated pupil radius (3..15 px). The pupil must stay wider than it, so
  // this bounds how far the pupil may constrict below its calibrated size.
  double dark_detail_size_frac = 0.35;
  // Edge = where intensity crosses in + f * (out - in). 0.5 locates a blurred step exactly.
  double edge_level = 0.5;
  // Rough dark mask = pixels below core + f * contrast (contrast learnt in calibration).
  double rough_level = 0.5;
  // Accepted pupil area, as fractions of the ROI area.
  double min_area_frac = 0.002;
  double max_area_frac = 0.6;
  // Largest accepted major/minor axis ratio (a pupil seen obliquely is still fairly round).
  double max_aspect = 2.5;
  // A candidate whose pupil/surround contrast is below this fraction of the calibrated contrast
  // is not a pupil (eyelid texture, shadow).
  double min_contrast_frac = 0.35;
  // Rays cast from the blob centre, and the share of them that must agree with the final fit.
  int rays = 72;
  double min_inlier_frac = 0.45;
  // Exponential-average rate at which the running contrast follows illumination changes.
  double contrast_adapt_rate = 0.05;
  // Blink: no valid pupil and |brightness - baseline| >= blink_z robust sigmas; frames next to a
  // blink need only blink_z_edge (eyelid half-way).
  double blink_z = 4.0;
  double blink_z_edge = 2.0;
  // Running-median window (frames) for the brightness baseline; it absorbs slow illumination
  // drift but not a blink.
  int baseline_window = 61;
  // When calibrate() was never called, the first this-many frames calibrate the tracker.
  int auto_calibration_frames = 50;
};

struct EyeTrace {                  // one entry per frame, in order
  std::vector<double> pupil_area;  // px^2; NaN when no pupil was found or on a blink
  std::vector<double> pupil_x;     // px, full frame; NaN likewise
  std::vector<double> pupil_y;
  std::vector<std::int8_t> blink;      // 0/1
  std::vector<double> eye_brightness;  // mean gray level of the ROI (diagnostic)
};

class EyeTracker {
 public:
  // `pupil_roi` in full-frame px; it must lie inside every frame (ConfigError otherwise, on the
  // first frame that it does not fit).
  explicit EyeTracker(cv::Rect pupil_roi, EyeTrackerParams params = {});
  ~EyeTracker();
  EyeTracker(const EyeTracker&) = delete;
  EyeTracker& operator=(const EyeTracker&) = delete;

  // Learns the pupil's contrast, size, usual place and the noise from CV_8UC1 full frames
  // spread over the video. ConfigError (bad input) naming the ROI when none of them shows a
  // dark pupil in it (wrong ROI, or a bright-pupil video).
  void calibrate(const std::vector<cv::Mat>& sample_frames);

  // The next frame, CV_8UC1 full frame (CV_8UC3 is converted).
  void add_frame(const cv::Mat& gray_frame);

  // Decides blinks over the whole sequence and returns the trace. The tracker is spent after.
  EyeTrace finish();

  // One paragraph describing the method and its parameters, for summaries and docs.
  std::string method_description() const;

  // Calibrated values (after calibrate() or the automatic calibration), for diagnostics.
  double calibrated_contrast() const { return contrast_cal_; }
  double calibrated_radius() const { return radius_cal_; }
  double calibrated_noise() const { return noise_cal_; }
  double smoothing() const { return sigma_; }

 private:
  struct Detection;
  struct Scratch;

  void calibrate_from_rois(const std::vector<cv::Mat>& rois);
  cv::Mat roi_of(const cv::Mat& frame) const;
  void process_roi(const cv::Mat& roi);
  void configure_sizes(double pupil_radius);
  // Fills the scratch images (smoothed; opened and closed) from the raw ROI.
  void preprocess(const cv::Mat& roi);
  // Detection on the preprocessed ROI from the darkest spot (weighed by the calibrated location
  // once there is one). `rough_contrast` <= 0 takes the rough threshold from the stability of
  // the dark blob instead of the calibrated contrast.
  Detection detect(double rough_contrast, double min_contrast);
  // The clearest pupil among the `candidates` darkest separate spots (calibration).
  Detection detect_best_candidate(int candidates);
  Detection detect_from(cv::Point seed, double core, double rough_contrast, double min_contrast);
  double stable_threshold(cv::Point seed);

  cv::Rect roi_;
  EyeTrackerParams params_;
  bool calibrated_ = false;
  double sigma_ = 0;  // effective smoothing, px
  double noise_cal_ = 0;
  double contrast_cal_ = 0;
  double contrast_run_ = 0;
  double radius_cal_ = 0;
  cv::Point2d centre_cal_;  // typical pupil centre, ROI px
  int open_size_ = 3;
  int close_size_ = 3;
  int box_size_ = 3;
  std::vector<cv::Mat> pending_;  // ROI crops awaiting automatic calibration

  std::vector<double> area_, x_, y_, brightness_;
  std::vector<std::uint8_t> found_;

  std::unique_ptr<Scratch> scratch_;
};

}  // namespace ethovid::facemap
