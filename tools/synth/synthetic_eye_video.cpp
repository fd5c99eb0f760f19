#include "tools/synth/synthetic_eye_video.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>

#include "ethovid/core/error.hpp"

namespace ethovid::synth {

namespace {

constexpr double kPi = std::numbers::pi;
// The noise tile is larger than a frame so that each frame can take a different window of it:
// generating fresh Gaussian noise for 300k pixels every frame would dominate the render time.
constexpr int kNoiseMargin = 48;

// Sum of smooth random fields at several scales: low-frequency shading of fur and skin.
cv::Mat smooth_field(cv::Size size, std::mt19937_64& rng, std::initializer_list<int> cells) {
  cv::Mat sum = cv::Mat::zeros(size, CV_32F);
  std::normal_distribution<float> normal(0.f, 1.f);
  float weight = 1.f;
  for (int cell : cells) {
    cv::Mat coarse(size.height / cell + 3, size.width / cell + 3, CV_32F);
    for (auto it = coarse.begin<float>(); it != coarse.end<float>(); ++it) *it = normal(rng);
    cv::Mat fine;
    cv::resize(coarse, fine, cv::Size(coarse.cols * cell, coarse.rows * cell), 0, 0,
               cv::INTER_CUBIC);
    sum += weight * fine(cv::Rect(cell, cell, size.width, size.height));
    weight *= 0.6f;
  }
  return sum;
}

// White noise smeared along one direction: hair-like streaks.
cv::Mat streaks(cv::Size size, std::mt19937_64& rng, double angle_deg, int length) {
  cv::Mat noise(size, CV_32F);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (auto it = noise.begin<float>(); it != noise.end<float>(); ++it) *it = normal(rng);
  cv::Mat kernel = cv::Mat::zeros(length, length, CV_32F);
  const double c = (length - 1) / 2.0;
  const double a = angle_deg * kPi / 180.0;
  cv::line(kernel, cv::Point2d(c - c * std::cos(a), c - c * std::sin(a)),
           cv::Point2d(c + c * std::cos(a), c + c * std::sin(a)), cv::Scalar(1.0), 1, cv::LINE_AA);
  kernel /= cv::sum(kernel)[0];
  cv::Mat out;
  cv::filter2D(noise, out, CV_32F, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
  cv::Scalar mean, stddev;
  cv::meanStdDev(out, mean, stddev);
  return (out - mean[0]) / std::max(1e-6, stddev[0]);
}

// Fraction of pixel (x, y) covered by the ellipse (centre c, semi-axes a, b, rotation theta),
// from a first-order signed distance with a one-pixel ramp: a box-filtered edge, so the summed
// coverage equals the analytic area pi*a*b to well under a percent.
inline double ellipse_coverage(double x, double y, double cx, double cy, double a, double b,
                               double cos_t, double sin_t, double ramp = 1.0) {
  const double dx = x - cx, dy = y - cy;
  const double u = dx * cos_t + dy * sin_t;
  const double v = -dx * sin_t + dy * cos_t;
  const double g = (u * u) / (a * a) + (v * v) / (b * b) - 1.0;
  const double gu = u / (a * a), gv = v / (b * b);
  const double grad = 2.0 * std::sqrt(gu * gu + gv * gv);
  const double d = grad > 1e-9 ? g / grad : -std::min(a, b);
  return std::clamp(0.5 - d / ramp, 0.0, 1.0);
}

cv::Mat ellipse_coverage_map(cv::Size size, cv::Point2d centre, double a, double b, double theta,
                             double ramp) {
  cv::Mat cov(size, CV_32F);
  const double ct = std::cos(theta), st = std::sin(theta);
  for (int y = 0; y < size.height; ++y) {
    float* row = cov.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      row[x] = static_cast<float>(ellipse_coverage(x, y, centre.x, centre.y, a, b, ct, st, ramp));
    }
  }
  return cov;
}

int fourcc_for(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kFfv1:
      return cv::VideoWriter::fourcc('F', 'F', 'V', '1');
    case VideoCodec::kMp4v:
      return cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    case VideoCodec::kH264:
      return cv::VideoWriter::fourcc('a', 'v', 'c', '1');
  }
  return 0;
}

}  // namespace

VideoCodec parse_video_codec(const std::string& name) {
  if (name == "ffv1") return VideoCodec::kFfv1;
  if (name == "mp4v") return VideoCodec::kMp4v;
  if (name == "h264" || name == "avc1") return VideoCodec::kH264;
  throw ConfigError("unknown codec '" + name + "' (expected ffv1, mp4v or h264)");
}

std::string to_string(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kFfv1:
      return "ffv1";
    case VideoCodec::kMp4v:
      return "mp4v";
    case VideoCodec::kH264:
      return "h264";
  }
  return "?";
}

SyntheticEyeVideo::SyntheticEyeVideo(const SyntheticEyeVideoParams& params) : params_(params) {
  if (params_.width < 160 || params_.height < 120) {
    throw ConfigError("synthetic video must be at least 160x120, got " +
                      std::to_string(params_.width) + "x" + std::to_string(params_.height));
  }
  if (params_.frame_count < 1 || !(params_.fps > 0)) {
    throw ConfigError("synthetic video needs frame_count >= 1 and fps > 0, got " +
                      std::to_string(params_.frame_count) + " frames at " +
                      std::to_string(params_.fps) + " fps");
  }
  if (params_.blink_min_frames < 1 || params_.blink_max_frames < params_.blink_min_frames) {
    throw ConfigError("blink length range " + std::to_string(params_.blink_min_frames) + ".." +
                      std::to_string(params_.blink_max_frames) + " frames is empty");
  }
  if (!(params_.pupil_area_ratio >= 1.0) || params_.pupil_area_ratio > 8.0) {
    throw ConfigError("pupil_area_ratio must be in [1, 8], got " +
                      std::to_string(params_.pupil_area_ratio));
  }
  build_textures();
  build_schedule();
}

void SyntheticEyeVideo::build_textures() {
  const int w = params_.width, h = params_.height;
  // Scale relative to 640x480, so smaller test videos keep the same proportions.
  const double u = std::min(w / 640.0, h / 480.0);
  std::mt19937_64 rng(params_.seed * 0x9E3779B97F4A7C15ULL + 17);

  // Fur: mid-gray, shaded at large scales, with hair streaks.
  cv::Mat fur = 100.0 + 14.0 * smooth_field({w, h}, rng, {64, 24, 8}) +
                16.0 * streaks({w, h}, rng, 35.0, std::max(5, static_cast<int>(13 * u)));

  // The eye: an ellipse brighter than the fur, darker towards its rim (eyelid shadow).
  eye_centre_ = {0.36 * w, 0.42 * h};
  const double ea = 58.0 * u, eb = 41.0 * u, etheta = 8.0 * kPi / 180.0;
  const int margin = static_cast<int>(std::ceil(3 + 2 * u));
  eye_box_ = cv::Rect(static_cast<int>(eye_centre_.x - ea - margin),
                      static_cast<int>(eye_centre_.y - ea - margin),
                      static_cast<int>(2 * (ea + margin)), static_cast<int>(2 * (ea + margin)));
  eye_box_ &= cv::Rect(0, 0, w, h);
  const cv::Point2d local_centre = eye_centre_ - cv::Point2d(eye_box_.tl());
  cv::Mat eye_cov = ellipse_coverage_map(eye_box_.size(), local_centre, ea, eb, etheta, 2.0 * u);
  cv::Mat iris_tex = 150.0 + 6.0 * smooth_field(eye_box_.size(), rng, {16, 6});
  {
    const double ct = std::cos(etheta), st = std::sin(etheta);
    for (int y = 0; y < iris_tex.rows; ++y) {
      float* row = iris_tex.ptr<float>(y);
      for (int x = 0; x < iris_tex.cols; ++x) {
        const double dx = x - local_centre.x, dy = y - local_centre.y;
        const double uu = (dx * ct + dy * st) / ea, vv = (-dx * st + dy * ct) / eb;
        const double r2 = std::min(1.0, uu * uu + vv * vv);
        row[x] -= static_cast<float>(28.0 * r2 * r2);
      }
    }
  }
  cv::Mat fur_eye = fur(eye_box_);
  iris_ = fur_eye.mul(1.0 - eye_cov) + iris_tex.mul(eye_cov);

  // Corneal reflection: fixed relative to the eye and camera, so the moving pupil passes under it.
  const double r_mid = 12.5 * u;
  cr_centre_ = eye_centre_ + cv::Point2d(0.9 * r_mid, -0.6 * r_mid);
  cr_sigma_ = 1.6 * u;

  // Whiskers in front of the eye: a few gently curved thin strands.
  cv::Mat whisker_mask = cv::Mat::zeros(h, w, CV_8U);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int k = 0; k < 3; ++k) {
    const cv::Point2d p0(eye_centre_.x - (1.4 + 0.6 * unit(rng)) * ea,
                         eye_centre_.y + (-0.9 + 1.8 * unit(rng)) * eb);
    const cv::Point2d p2(eye_centre_.x + (1.4 + 0.6 * unit(rng)) * ea,
                         eye_centre_.y + (-0.9 + 1.8 * unit(rng)) * eb);
    const cv::Point2d p1 = 0.5 * (p0 + p2) + cv::Point2d(0, (unit(rng) - 0.5) * 1.2 * eb);
    std::vector<cv::Point> curve;
    for (int i = 0; i <= 40; ++i) {
      const double t = i / 40.0;
      const cv::Point2d p = (1 - t) * (1 - t) * p0 + 2 * (1 - t) * t * p1 + t * t * p2;
      curve.emplace_back(cvRound(p.x * 16), cvRound(p.y * 16));
    }
    cv::polylines(whisker_mask, curve, false, cv::Scalar(255), 1, cv::LINE_AA, 4);
  }
  cv::Mat whisker_alpha;
  whisker_mask.convertTo(whisker_alpha, CV_32F, 0.6 / 255.0);
  whisker_alpha_ = whisker_alpha(eye_box_).clone();

  // The open-eye frame without pupil: fur, eye, corneal reflection, whiskers.
  cv::Mat open = fur.clone();
  iris_.copyTo(open(eye_box_));
  {
    const int r = static_cast<int>(std::ceil(4 * cr_sigma_));
    for (int y = static_cast<int>(cr_centre_.y) - r; y <= static_cast<int>(cr_centre_.y) + r; ++y) {
      for (int x = static_cast<int>(cr_centre_.x) - r; x <= static_cast<int>(cr_centre_.x) + r;
           ++x) {
        const double d2 =
            (x - cr_centre_.x) * (x - cr_centre_.x) + (y - cr_centre_.y) * (y - cr_centre_.y);
        float& v = open.at<float>(y, x);
        v += static_cast<float>((250.0 - v) * std::exp(-d2 / (2 * cr_sigma_ * cr_sigma_)));
      }
    }
  }
  open = open.mul(1.0 - whisker_alpha) + whisker_level_ * whisker_alpha;
  open.convertTo(open_frame_, CV_8U);

  // Closed eye: skin with a dark seam where the lids meet, over a slightly larger ellipse.
  cv::Mat lid_cov =
      ellipse_coverage_map(eye_box_.size(), local_centre, ea + 2 * u, eb + 2 * u, etheta, 3.0 * u);
  cv::Mat skin = 118.0 + 8.0 * smooth_field(eye_box_.size(), rng, {12, 5}) +
                 7.0 * streaks(eye_box_.size(), rng, 100.0, std::max(3, static_cast<int>(7 * u)));
  {
    cv::Mat seam = cv::Mat::zeros(eye_box_.size(), CV_8U);
    const cv::Point2d dir(std::cos(etheta), std::sin(etheta));
    const cv::Point2d a0 = local_centre - 0.85 * ea * dir, a1 = local_centre + 0.85 * ea * dir;
    const cv::Point2d mid = local_centre + cv::Point2d(0, 0.15 * eb);
    std::vector<cv::Point> curve;
    for (int i = 0; i <= 30; ++i) {
      const double t = i / 30.0;
      const cv::Point2d p = (1 - t) * (1 - t) * a0 + 2 * (1 - t) * t * mid + t * t * a1;
      curve.emplace_back(cvRound(p.x * 16), cvRound(p.y * 16));
    }
    cv::polylines(seam, curve, false, cv::Scalar(255), std::max(1, static_cast<int>(2 * u)),
                  cv::LINE_AA, 4);
    cv::Mat seam_alpha;
    seam.convertTo(seam_alpha, CV_32F, 0.5 / 255.0);
    skin = skin.mul(1.0 - seam_alpha) + 70.0 * seam_alpha;
  }
  cv::Mat closed = fur_eye.mul(1.0 - lid_cov) + skin.mul(lid_cov);
  closed = closed.mul(1.0 - whisker_alpha_) + whisker_level_ * whisker_alpha_;
  closed.convertTo(closed_eye_, CV_8U);

  // Whisker pad: a skin patch with dark follicle dots and streaks, large enough to be shifted.
  truth_.motion_roi = cv::Rect(static_cast<int>(0.58 * w), static_cast<int>(0.56 * h),
                               static_cast<int>(0.28 * w), static_cast<int>(0.30 * h));
  pad_margin_ = std::max(4, static_cast<int>(std::lround(8 * u)));
  const cv::Size pad_size(truth_.motion_roi.width + 2 * pad_margin_,
                          truth_.motion_roi.height + 2 * pad_margin_);
  cv::Mat pad = 135.0 + 12.0 * smooth_field(pad_size, rng, {20, 6}) +
                14.0 * streaks(pad_size, rng, -20.0, std::max(5, static_cast<int>(11 * u)));
  const int dots = pad_size.area() / std::max(1, static_cast<int>(180 * u * u));
  for (int k = 0; k < dots; ++k) {
    const cv::Point c(static_cast<int>(unit(rng) * pad_size.width),
                      static_cast<int>(unit(rng) * pad_size.height));
    cv::circle(pad, c, std::max(1, static_cast<int>(2 * u)), cv::Scalar(60), -1, cv::LINE_AA);
  }
  pad.convertTo(pad_texture_, CV_8U);

  if (params_.noise_sigma > 0) {
    noise_tile_.create(h + 2 * kNoiseMargin, w + 2 * kNoiseMargin, CV_16S);
    std::normal_distribution<double> normal(0.0, params_.noise_sigma);
    for (auto it = noise_tile_.begin<std::int16_t>(); it != noise_tile_.end<std::int16_t>(); ++it) {
      *it = static_cast<std::int16_t>(std::lround(normal(rng)));
    }
  }

  // The region a user would draw: the eye with a small margin, not the square box above.
  const int roi_margin = static_cast<int>(std::lround(8 * u));
  cv::Rect roi(static_cast<int>(eye_centre_.x - ea - roi_margin),
               static_cast<int>(eye_centre_.y - eb - roi_margin - 4 * u),
               static_cast<int>(2 * (ea + roi_margin)),
               static_cast<int>(2 * (eb + roi_margin + 4 * u)));
  truth_.pupil_roi = roi & cv::Rect(0, 0, w, h);
  truth_.fps = params_.fps;
  truth_.width = w;
  truth_.height = h;
}

void SyntheticEyeVideo::build_schedule() {
  const int n = params_.frame_count;
  const double fps = params_.fps;
  const double u = std::min(params_.width / 640.0, params_.height / 480.0);
  std::mt19937_64 rng(params_.seed * 0xD1B54A32D192ED03ULL + 5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double phase[6] = {2 * kPi * unit(rng), 2 * kPi * unit(rng), 2 * kPi * unit(rng),
                           2 * kPi * unit(rng), 2 * kPi * unit(rng), 2 * kPi * unit(rng)};

  // Blink episodes: a Poisson process of onsets, never overlapping, not in the first half second.
  std::vector<std::uint8_t> blink(n, 0);
  {
    const double p_onset = params_.blink_rate_hz / fps;
    std::uniform_int_distribution<int> length(params_.blink_min_frames, params_.blink_max_frames);
    int t = static_cast<int>(0.5 * fps);
    while (t < n) {
      if (unit(rng) < p_onset) {
        const int len = length(rng);
        for (int k = t; k < std::min(n, t + len); ++k) blink[k] = 1;
        t += len + static_cast<int>(0.4 * fps);
      } else {
        ++t;
      }
    }
  }

  // Whisker pad: alternating still and moving epochs (exponential lengths around a 3 s cycle);
  // while moving, the texture takes a bounded random step every frame, so every moving frame
  // differs from the previous one.
  std::vector<std::uint8_t> moving(n, 0);
  std::vector<cv::Point> pad_offset(n);
  {
    const double cycle = 3.0 * fps;
    const double mf = std::clamp(params_.moving_fraction, 0.0, 1.0);
    std::exponential_distribution<double> still_len(1.0 / std::max(1.0, (1 - mf) * cycle));
    std::exponential_distribution<double> move_len(1.0 / std::max(1.0, mf * cycle));
    std::uniform_int_distribution<int> step(-3, 3);
    bool in_motion = false;
    int remaining = mf >= 1.0 ? n : static_cast<int>(still_len(rng)) + 1;
    if (mf >= 1.0) in_motion = true;
    cv::Point off(0, 0);
    for (int t = 0; t < n; ++t) {
      if (remaining <= 0 && mf > 0.0 && mf < 1.0) {
        in_motion = !in_motion;
        remaining = static_cast<int>(in_motion ? move_len(rng) : still_len(rng)) + 1;
      }
      --remaining;
      if (in_motion && t > 0 && mf > 0.0) {
        cv::Point d;
        do {
          d = {step(rng), step(rng)};
          // Pull back towards the middle so the window stays inside the texture.
          if (std::abs(off.x + d.x) > pad_margin_) d.x = -d.x;
          if (std::abs(off.y + d.y) > pad_margin_) d.y = -d.y;
        } while (d == cv::Point(0, 0));
        off += d;
        moving[t] = 1;
      }
      pad_offset[t] = off;
    }
  }

  truth_.pupil_area.resize(n);
  truth_.pupil_x.resize(n);
  truth_.pupil_y.resize(n);
  truth_.blink.resize(n);
  truth_.moving.resize(n);
  states_.resize(n);
  const double r_mid = 12.5 * u;
  const double area_mid = kPi * r_mid * r_mid;
  const double half_log_ratio = 0.5 * std::log(params_.pupil_area_ratio);
  const double aspect = 0.9;  // minor / major
  const double total_s = n / fps;
  std::uniform_int_distribution<int> noise_off(0, 2 * kNoiseMargin);
  for (int t = 0; t < n; ++t) {
    const double s = t / fps;
    // Normalised log-area in [-1, 1]: a 5 s oscillation, a faster ripple and a slow drift.
    const double z = 0.6 * std::sin(2 * kPi * 0.2 * s + phase[0]) +
                     0.25 * std::sin(2 * kPi * 0.53 * s + phase[1]) +
                     0.15 * std::sin(2 * kPi * 0.03 * s + phase[2]);
    const double area = area_mid * std::exp(half_log_ratio * z);
    const double a = std::sqrt(area / (kPi * aspect));
    FrameState& st = states_[t];
    st.pupil_a = a;
    st.pupil_b = aspect * a;
    st.pupil_cx = eye_centre_.x - 4.0 * u + 4.0 * u * std::sin(2 * kPi * 0.07 * s + phase[3]) +
                  1.5 * u * std::sin(2 * kPi * 0.41 * s + phase[4]);
    st.pupil_cy = eye_centre_.y + 1.0 * u + 2.5 * u * std::sin(2 * kPi * 0.05 * s + phase[5]);
    st.pad_dx = pad_offset[t].x;
    st.pad_dy = pad_offset[t].y;
    st.gain = 1.0 + params_.illumination_drift *
                        std::sin(2 * kPi * s / std::max(4.0, 1.3 * total_s) + phase[1]);
    st.noise_dx = noise_off(rng);
    st.noise_dy = noise_off(rng);
    st.blink = blink[t] != 0;
    truth_.pupil_area[t] = kPi * st.pupil_a * st.pupil_b;
    truth_.pupil_x[t] = st.pupil_cx;
    truth_.pupil_y[t] = st.pupil_cy;
    truth_.blink[t] = blink[t];
    truth_.moving[t] = moving[t];
  }
}

void SyntheticEyeVideo::render_pupil(const FrameState& s, cv::Mat& frame) const {
  // Only the pupil's bounding box changes from the open-eye frame. Inside it the pixel is rebuilt
  // from the iris: pupil over iris, then corneal reflection on top, then whiskers in front.
  constexpr double kTheta = 15.0 * kPi / 180.0;
  const double ct = std::cos(kTheta), st = std::sin(kTheta);
  const int r = static_cast<int>(std::ceil(s.pupil_a + 2));
  cv::Rect box(static_cast<int>(std::floor(s.pupil_cx)) - r,
               static_cast<int>(std::floor(s.pupil_cy)) - r, 2 * r + 2, 2 * r + 2);
  box &= eye_box_;
  const double two_s2 = 2 * cr_sigma_ * cr_sigma_;
  for (int y = box.y; y < box.y + box.height; ++y) {
    const float* iris = iris_.ptr<float>(y - eye_box_.y);
    const float* alpha = whisker_alpha_.ptr<float>(y - eye_box_.y);
    std::uint8_t* out = frame.ptr<std::uint8_t>(y);
    for (int x = box.x; x < box.x + box.width; ++x) {
      const int lx = x - eye_box_.x;
      const double c = ellipse_coverage(x, y, s.pupil_cx, s.pupil_cy, s.pupil_a, s.pupil_b, ct, st);
      double v = iris[lx] + (pupil_level_ - iris[lx]) * c;
      const double d2 =
          (x - cr_centre_.x) * (x - cr_centre_.x) + (y - cr_centre_.y) * (y - cr_centre_.y);
      if (d2 < 25 * two_s2) v += (250.0 - v) * std::exp(-d2 / two_s2);
      v = v * (1.0 - alpha[lx]) + whisker_level_ * alpha[lx];
      out[x] = cv::saturate_cast<std::uint8_t>(v);
    }
  }
}

void SyntheticEyeVideo::render(int index, cv::Mat& frame) const {
  CV_Assert(index >= 0 && index < params_.frame_count);
  const FrameState& s = states_[index];
  open_frame_.copyTo(frame);
  if (s.blink) {
    closed_eye_.copyTo(frame(eye_box_));
  } else {
    render_pupil(s, frame);
  }
  pad_texture_(cv::Rect(pad_margin_ + s.pad_dx, pad_margin_ + s.pad_dy, truth_.motion_roi.width,
                        truth_.motion_roi.height))
      .copyTo(frame(truth_.motion_roi));
  if (!noise_tile_.empty()) {
    cv::Mat noisy;
    cv::add(frame, noise_tile_(cv::Rect(s.noise_dx, s.noise_dy, frame.cols, frame.rows)), noisy,
            cv::noArray(), CV_16S);
    noisy.convertTo(frame, CV_8U, s.gain);
  } else if (s.gain != 1.0) {
    frame.convertTo(frame, CV_8U, s.gain);
  }
}

SyntheticEyeTruth write_synthetic_eye_video(const SyntheticEyeVideoParams& params,
                                            const std::filesystem::path& output) {
  if (output.has_parent_path() && !std::filesystem::is_directory(output.parent_path())) {
    throw MissingInputError(output.string() + ": folder " + output.parent_path().string() +
                            " does not exist");
  }
  SyntheticEyeVideo video(params);
  // The temporary keeps the extension: OpenCV picks the container from it.
  std::filesystem::path tmp = output;
  tmp.replace_filename(output.stem().string() + ".partial" + output.extension().string());
  cv::VideoWriter writer;
  writer.open(tmp.string(), cv::CAP_FFMPEG, fourcc_for(params.codec), params.fps,
              cv::Size(params.width, params.height), false);
  if (!writer.isOpened()) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw VideoFormatError(output.string() + ": OpenCV could not open a writer for codec " +
                           to_string(params.codec) + " in a '" + output.extension().string() +
                           "' container (unsupported combination, or the file is not writable)");
  }
  cv::Mat frame;
  for (int i = 0; i < video.frame_count(); ++i) {
    video.render(i, frame);
    writer.write(frame);
  }
  writer.release();
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec) {
    throw VideoFormatError(output.string() +
                           ": could not move the finished video into place: " + ec.message());
  }
  return video.truth();
}

void write_truth_csv(const SyntheticEyeTruth& truth, const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw MissingInputError(path.string() + ": cannot open for writing");
    out << "frame,time_s,pupil_area,pupil_x,pupil_y,blink,moving\n";
    out.precision(10);
    for (std::size_t i = 0; i < truth.pupil_area.size(); ++i) {
      out << i << ',' << i / truth.fps << ',' << truth.pupil_area[i] << ',' << truth.pupil_x[i]
          << ',' << truth.pupil_y[i] << ',' << int(truth.blink[i]) << ',' << int(truth.moving[i])
          << '\n';
    }
    if (!out) throw ComputationError(path.string() + ": write failed");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace ethovid::synth
