#include "ethovid/facemap/eye_tracker.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <utility>

#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = std::numbers::pi;
constexpr double kRayStep = 0.25;  // px between profile samples along a ray

template <typename T>
double median_of(std::vector<T>& v) {
  if (v.empty()) return kNaN;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return static_cast<double>(*mid);
}

// Bilinear sample of a CV_8U image; false outside the pixel-centre hull. (8-bit smoothed values
// quantise a pupil edge's position to ~0.01 px, far below noise, and halve the filtering cost.)
inline bool sample(const cv::Mat& img, double x, double y, double& value) {
  if (!(x >= 0 && y >= 0 && x <= img.cols - 1 && y <= img.rows - 1)) return false;
  const int x0 = std::min(static_cast<int>(x), img.cols - 2);
  const int y0 = std::min(static_cast<int>(y), img.rows - 2);
  const double fx = x - x0, fy = y - y0;
  const std::uint8_t* r0 = img.ptr<std::uint8_t>(y0);
  const std::uint8_t* r1 = img.ptr<std::uint8_t>(y0 + 1);
  value =
      (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x0 + 1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x0 + 1]);
  return true;
}

// Radial distance from the ellipse's outline to p, positive outside, along the line through the
// centre (the direction the edge points were searched in).
double radial_residual(const cv::RotatedRect& e, cv::Point2f p) {
  const double a = e.size.width / 2.0, b = e.size.height / 2.0;
  const double t = e.angle * kPi / 180.0;
  const double dx = p.x - e.center.x, dy = p.y - e.center.y;
  const double u = dx * std::cos(t) + dy * std::sin(t);
  const double v = -dx * std::sin(t) + dy * std::cos(t);
  const double rho = std::sqrt(u * u / (a * a) + v * v / (b * b));
  const double dist = std::hypot(dx, dy);
  return rho > 1e-12 ? dist * (1.0 - 1.0 / rho) : -std::min(a, b);
}

// Distance from the ellipse centre to its outline in direction (cos, sin).
double ellipse_radius_along(const cv::RotatedRect& e, double c, double s) {
  const double a = e.size.width / 2.0, b = e.size.height / 2.0;
  const double t = e.angle * kPi / 180.0;
  const double u = c * std::cos(t) + s * std::sin(t);
  const double v = -c * std::sin(t) + s * std::cos(t);
  return 1.0 / std::sqrt(u * u / (a * a) + v * v / (b * b));
}

bool ellipse_ok(const cv::RotatedRect& e) {
  return std::isfinite(e.center.x) && std::isfinite(e.center.y) && e.size.width > 0.5f &&
         e.size.height > 0.5f && std::isfinite(e.size.width) && std::isfinite(e.size.height);
}

// Least-squares ellipse, then repeatedly drop points further from it than three robust sigmas
// (at least 0.6 px) and refit. Edge points from eyelid shadow, a reflection on the rim or a
// leak into a neighbouring dark patch are a minority and disagree with the rest, so they go.
bool fit_ellipse_robust(std::vector<cv::Point2f>& pts, cv::RotatedRect& fit) {
  std::vector<double> abs_res;
  std::vector<cv::Point2f> kept;
  for (int iter = 0; iter < 5; ++iter) {
    if (pts.size() < 6) return false;
    fit = cv::fitEllipseDirect(pts);
    if (!ellipse_ok(fit)) return false;
    abs_res.clear();
    for (const auto& p : pts) abs_res.push_back(std::abs(radial_residual(fit, p)));
    std::vector<double> tmp = abs_res;
    const double limit = std::max(0.6, 3.0 * 1.4826 * median_of(tmp));
    kept.clear();
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (abs_res[i] <= limit) kept.push_back(pts[i]);
    }
    if (kept.size() == pts.size()) return true;
    pts.swap(kept);
  }
  if (pts.size() < 6) return false;
  fit = cv::fitEllipseDirect(pts);
  return ellipse_ok(fit);
}

}  // namespace

struct EyeTracker::Detection {
  bool found = false;
  double area = kNaN;  // px^2
  double cx = kNaN;    // ROI px
  double cy = kNaN;
  double contrast = 0;  // surround level - pupil level, gray levels
  double noise = 0;     // sensor noise std, gray levels
  double quality = 0;   // contrast x share of rays on the ellipse: how clearly a pupil it is
};

struct EyeTracker::Scratch {
  cv::Mat raw, smooth, opened, box, mask, filled;  // all CV_8U, ROI-sized
  cv::Mat open_kernel, close_kernel, mask_kernel;
  std::vector<float> values;
  std::vector<double> profile, far, s0, far_k;
  std::vector<cv::Point2d> dir;
  std::vector<cv::Point2f> points;
  std::vector<std::vector<cv::Point>> contours;
  // Priority flood (stable_threshold).
  std::vector<std::uint8_t> visited;
  std::array<std::vector<int>, 256> buckets;
  std::vector<std::uint8_t> join_level;
};

EyeTracker::EyeTracker(cv::Rect pupil_roi, EyeTrackerParams params)
    : roi_(pupil_roi), params_(params), scratch_(std::make_unique<Scratch>()) {
  if (roi_.width < 8 || roi_.height < 8 || roi_.x < 0 || roi_.y < 0) {
    std::ostringstream msg;
    msg << "pupil ROI " << roi_.x << "," << roi_.y << "," << roi_.width << "," << roi_.height
        << " must start inside the frame and be at least 8x8 px";
    throw ConfigError(msg.str());
  }
  if (params_.rays < 12) throw ConfigError("EyeTrackerParams.rays must be >= 12");
  sigma_ = params_.smoothing_sigma;
  configure_sizes(0.07 * std::min(roi_.width, roi_.height));
}

EyeTracker::~EyeTracker() = default;

void EyeTracker::configure_sizes(double pupil_radius) {
  auto odd = [](int v) { return v % 2 == 0 ? v + 1 : v; };
  open_size_ = odd(std::clamp(
      static_cast<int>(std::lround(params_.reflection_size_frac * pupil_radius)), 3, 31));
  close_size_ = odd(std::clamp(
      static_cast<int>(std::lround(params_.dark_detail_size_frac * pupil_radius)), 3, 15));
  // The seed box must fit inside the pupil even when it constricts to about half its radius.
  box_size_ = std::clamp(static_cast<int>(std::lround(0.6 * pupil_radius)), 3, 41);
  scratch_->open_kernel =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(open_size_, open_size_));
  scratch_->close_kernel =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(close_size_, close_size_));
  const int m = std::max(3, odd(close_size_ / 2));
  scratch_->mask_kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(m, m));
}

cv::Mat EyeTracker::roi_of(const cv::Mat& frame) const {
  if (roi_.x + roi_.width > frame.cols || roi_.y + roi_.height > frame.rows) {
    std::ostringstream msg;
    msg << "pupil ROI " << roi_.x << "," << roi_.y << "," << roi_.width << "," << roi_.height
        << " does not fit in a " << frame.cols << "x" << frame.rows << " frame";
    throw ConfigError(msg.str());
  }
  if (frame.type() == CV_8UC1) return frame(roi_);
  if (frame.type() == CV_8UC3) {
    cv::Mat gray;
    cv::cvtColor(frame(roi_), gray, cv::COLOR_BGR2GRAY);
    return gray;
  }
  throw VideoFormatError("eye tracker needs 8-bit gray frames, got OpenCV type " +
                         std::to_string(frame.type()));
}

void EyeTracker::preprocess(const cv::Mat& roi) {
  Scratch& s = *scratch_;
  s.raw = roi;
  if (sigma_ > 0) {
    const int k = 2 * static_cast<int>(std::ceil(3 * sigma_)) + 1;
    cv::GaussianBlur(roi, s.smooth, cv::Size(k, k), sigma_, 0, cv::BORDER_REPLICATE);
  } else {
    roi.copyTo(s.smooth);
  }
  // Grayscale opening, then closing, with discs smaller than the pupil. The opening closes the
  // dark set: a convex pupil is left as it is, while bright specks narrower than the disc
  // (corneal reflection, whiskers lit against the pupil) are filled with the dark level around
  // them, so they neither cut the pupil nor dent its outline. The closing opens the dark set:
  // thin dark lines (whiskers, lashes) on the iris vanish, so they neither pull the surround
  // level down nor bridge the pupil to other dark regions; the pupil survives as long as it is
  // wider than this smaller disc.
  cv::morphologyEx(s.smooth, s.opened, cv::MORPH_OPEN, s.open_kernel, cv::Point(-1, -1), 1,
                   cv::BORDER_REPLICATE);
  cv::morphologyEx(s.opened, s.opened, cv::MORPH_CLOSE, s.close_kernel, cv::Point(-1, -1), 1,
                   cv::BORDER_REPLICATE);
}

double EyeTracker::stable_threshold(cv::Point seed) {
  // Flood the image from the seed in order of intensity. The running maximum of the levels taken
  // so far is the threshold at which each pixel joins the seed's dark component, so one pass
  // gives that component's area as a function of threshold. The pupil is where the area is most
  // stable: its edge is a sharp step, between the pupil core (area still growing through noise)
  // and the merge with the surround (area exploding). Levels are whole gray levels, so a bucket
  // queue makes the flood linear in the pixels visited.
  Scratch& s = *scratch_;
  const cv::Mat& img = s.opened;
  const int w = img.cols, h = img.rows;
  const double roi_area = static_cast<double>(w) * h;
  const auto max_area = static_cast<std::size_t>(params_.max_area_frac * roi_area);
  const double min_area = std::max(6.0, params_.min_area_frac * roi_area);

  CV_Assert(img.isContinuous());
  const std::uint8_t* pix = img.ptr<std::uint8_t>();
  auto level_of = [&](int idx) { return static_cast<int>(pix[idx]); };
  s.visited.assign(static_cast<std::size_t>(w) * h, 0);
  for (auto& b : s.buckets) b.clear();
  s.join_level.clear();
  const int start = seed.y * w + seed.x;
  int current = level_of(start);
  const int lo = current;
  s.buckets[current].push_back(start);
  s.visited[start] = 1;
  std::array<std::uint32_t, 256> hist{};
  for (int i = 0; i < w * h; ++i) ++hist[pix[i]];
  while (s.join_level.size() <= max_area) {
    while (current < 256 && s.buckets[current].empty()) ++current;
    if (current >= 256) break;
    const int idx = s.buckets[current].back();
    s.buckets[current].pop_back();
    s.join_level.push_back(static_cast<std::uint8_t>(current));
    const int x = idx % w, y = idx / w;
    for (int dy = -1; dy <= 1; ++dy) {
      const int ny = y + dy;
      if (ny < 0 || ny >= h) continue;
      for (int dx = -1; dx <= 1; ++dx) {
        const int nx = x + dx;
        if (nx < 0 || nx >= w) continue;
        const int n = ny * w + nx;
        if (s.visited[n]) continue;
        s.visited[n] = 1;
        s.buckets[std::max(current, level_of(n))].push_back(n);
      }
    }
  }
  const bool truncated = s.join_level.size() > max_area;

  // 90th percentile of the ROI: the top of the useful threshold range.
  std::uint64_t cum = 0;
  int hi = 255;
  for (int v = 0; v < 256; ++v) {
    cum += hist[v];
    if (cum >= 0.9 * roi_area) {
      hi = v;
      break;
    }
  }
  // Area at each whole gray level t = number of pixels that joined at or below t.
  std::array<double, 257> area{};
  {
    std::size_t k = 0;
    for (int t = 0; t < 256; ++t) {
      while (k < s.join_level.size() && s.join_level[k] <= t) ++k;
      area[t] = static_cast<double>(std::max<std::size_t>(k, 1));
    }
  }
  const int range = hi - lo;
  if (range < 8) return kNaN;
  // Relative area growth per full intensity range, on a window of +-max(1, range/32) levels:
  // ~1 on a pupil plateau, >> 1 elsewhere.
  const int half = std::max(1, range / 32);
  std::vector<double> slope(256, kNaN);
  for (int t = lo + half; t + half <= hi; ++t) {
    slope[t] = (std::log(area[t + half]) - std::log(area[t - half])) * range / (2.0 * half);
  }
  auto valid = [&](int t) {
    return area[t] >= min_area &&
           !(truncated && area[std::min(255, t + half)] >= static_cast<double>(max_area));
  };
  constexpr double kPlateau = 6.0;
  int best = -1;
  for (int t = lo + half + 1; t + half + 1 <= hi; ++t) {
    if (!valid(t)) continue;
    const bool local_min = slope[t] <= slope[t - 1] && slope[t] <= slope[t + 1];
    if (!local_min) continue;
    // The first (darkest) plateau is the pupil; later ones are the pupil merged with the iris.
    if (slope[t] < kPlateau) return t;
    if (best < 0 || slope[t] < slope[best]) best = t;
  }
  return best >= 0 ? best : kNaN;
}

EyeTracker::Detection EyeTracker::detect(double rough_contrast, double min_contrast) {
  Scratch& s = *scratch_;
  const int w = s.opened.cols, h = s.opened.rows;
  // Seed: the darkest pupil-sized spot. Thin dark things (eyelid line, whisker shadow) do not
  // stay dark under a box average.
  cv::blur(s.opened, s.box, cv::Size(box_size_, box_size_), cv::Point(-1, -1),
           cv::BORDER_REPLICATE);
  const int b = std::min({box_size_ / 2, w / 2 - 1, h / 2 - 1});
  double core = 0;
  cv::Point seed;
  if (calibrated_ && contrast_cal_ > 0) {
    // Once calibrated, a dark spot far from where the pupil usually is must be darker by up to
    // half the contrast to win (eye-corner shadow, dark fur at the ROI's edge).
    const double half_diag2 = 0.25 * (static_cast<double>(w) * w + static_cast<double>(h) * h);
    const double weight = 0.5 * contrast_run_ / half_diag2;
    double best = std::numeric_limits<double>::infinity();
    for (int y = b; y < h - b; ++y) {
      const std::uint8_t* row = s.box.ptr<std::uint8_t>(y);
      const double dy2 = (y - centre_cal_.y) * (y - centre_cal_.y);
      for (int x = b; x < w - b; ++x) {
        const double score = row[x] + weight * ((x - centre_cal_.x) * (x - centre_cal_.x) + dy2);
        if (score < best) {
          best = score;
          seed = {x, y};
        }
      }
    }
    core = s.box.at<std::uint8_t>(seed);
  } else {
    cv::minMaxLoc(s.box(cv::Rect(b, b, w - 2 * b, h - 2 * b)), &core, nullptr, &seed, nullptr);
    seed += cv::Point(b, b);
  }
  return detect_from(seed, core, rough_contrast, min_contrast);
}

EyeTracker::Detection EyeTracker::detect_best_candidate(int candidates) {
  // Without a location prior, the darkest spot may be a shadow or dark fur rather than the
  // pupil. Try the few darkest well-separated spots and keep the blob that is most clearly a
  // pupil: the largest contrast times the share of rays that agree with one ellipse.
  Scratch& s = *scratch_;
  const int w = s.opened.cols, h = s.opened.rows;
  cv::blur(s.opened, s.box, cv::Size(box_size_, box_size_), cv::Point(-1, -1),
           cv::BORDER_REPLICATE);
  const int b = std::min({box_size_ / 2, w / 2 - 1, h / 2 - 1});
  cv::Mat search = s.box(cv::Rect(b, b, w - 2 * b, h - 2 * b)).clone();
  Detection best;
  double best_quality = -1;
  for (int k = 0; k < candidates; ++k) {
    double core = 0;
    cv::Point at;
    cv::minMaxLoc(search, &core, nullptr, &at, nullptr);
    if (core >= 255) break;
    const cv::Point seed = at + cv::Point(b, b);
    const Detection d = detect_from(seed, core, -1.0, 0.0);
    // Exclude this spot (and its whole blob, when one was found) from the next candidates.
    const int r =
        d.found ? static_cast<int>(std::ceil(std::sqrt(d.area / kPi))) + box_size_ : 2 * box_size_;
    cv::circle(search,
               d.found ? cv::Point(static_cast<int>(d.cx) - b, static_cast<int>(d.cy) - b) : at, r,
               cv::Scalar(255), cv::FILLED);
    cv::circle(search, at, 2 * box_size_, cv::Scalar(255), cv::FILLED);
    if (d.found && d.quality > best_quality) {
      best_quality = d.quality;
      best = d;
    }
  }
  return best;
}

EyeTracker::Detection EyeTracker::detect_from(cv::Point seed, double core, double rough_contrast,
                                              double min_contrast) {
  Scratch& s = *scratch_;
  const cv::Mat& img = s.opened;
  const int w = img.cols, h = img.rows;
  const double roi_area = static_cast<double>(w) * h;
  Detection det;

  const double threshold =
      rough_contrast > 0 ? core + params_.rough_level * rough_contrast : stable_threshold(seed);
  if (!std::isfinite(threshold)) return det;

  // Rough dark component around the seed; a small binary opening cuts thin bridges to other
  // dark regions; its outer contour, filled, closes holes a reflection may leave.
  cv::compare(img, std::floor(threshold), s.mask, cv::CMP_LE);
  cv::morphologyEx(s.mask, s.mask, cv::MORPH_OPEN, s.mask_kernel);
  if (!s.mask.at<std::uint8_t>(seed)) {
    // The opening may have removed the seed pixel itself; take the nearest surviving one.
    double best = std::numeric_limits<double>::infinity();
    cv::Point nearest(-1, -1);
    const int r = box_size_;
    for (int y = std::max(0, seed.y - r); y <= std::min(h - 1, seed.y + r); ++y) {
      for (int x = std::max(0, seed.x - r); x <= std::min(w - 1, seed.x + r); ++x) {
        const double d = std::hypot(x - seed.x, y - seed.y);
        if (s.mask.at<std::uint8_t>(y, x) && d < best) {
          best = d;
          nearest = {x, y};
        }
      }
    }
    if (nearest.x < 0) return det;
    seed = nearest;
  }
  cv::floodFill(s.mask, seed, cv::Scalar(128), nullptr, cv::Scalar(), cv::Scalar(), 8);
  cv::compare(s.mask, 128, s.mask, cv::CMP_EQ);
  cv::findContours(s.mask, s.contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  if (s.contours.empty()) return det;
  std::size_t biggest = 0;
  for (std::size_t i = 1; i < s.contours.size(); ++i) {
    if (s.contours[i].size() > s.contours[biggest].size()) biggest = i;
  }
  s.filled.create(h, w, CV_8U);
  s.filled.setTo(0);
  cv::drawContours(s.filled, s.contours, static_cast<int>(biggest), cv::Scalar(255), cv::FILLED);
  // Polygon moments of the outline: enough for a size check and a centre, and far cheaper than
  // pixel moments.
  cv::Moments m = cv::moments(s.contours[biggest]);
  if (m.m00 <= 0) m = cv::moments(s.filled, true);
  if (m.m00 < std::max(6.0, 0.5 * params_.min_area_frac * roi_area) ||
      m.m00 > 1.5 * params_.max_area_frac * roi_area) {
    return det;
  }
  const cv::Point2d centroid(m.m10 / m.m00, m.m01 / m.m00);

  // Pupil level: median inside the blob, within 60% of its equivalent radius of the centroid.
  const double r_eq = std::sqrt(m.m00 / kPi);
  const double r_in = std::max(1.5, 0.6 * r_eq);
  {
    s.values.clear();
    const int y0 = std::max(0, static_cast<int>(centroid.y - r_in));
    const int y1 = std::min(h - 1, static_cast<int>(centroid.y + r_in) + 1);
    const int x0 = std::max(0, static_cast<int>(centroid.x - r_in));
    const int x1 = std::min(w - 1, static_cast<int>(centroid.x + r_in) + 1);
    for (int y = y0; y <= y1; ++y) {
      const std::uint8_t* v = s.smooth.ptr<std::uint8_t>(y);
      const std::uint8_t* in = s.filled.ptr<std::uint8_t>(y);
      for (int x = x0; x <= x1; ++x) {
        if (in[x] && (x - centroid.x) * (x - centroid.x) + (y - centroid.y) * (y - centroid.y) <=
                         r_in * r_in) {
          s.values.push_back(v[x]);
        }
      }
    }
    if (s.values.empty()) return det;
  }
  const double in_level = median_of(s.values);
  // Noise, first from the raw pixels of the same disc: the pupil is flat, so their spread is
  // the sensor noise, unless the pupil sits at the sensor's black level and clipping hides it.
  double inner_noise = kNaN;
  {
    s.values.clear();
    for (int y = std::max(0, static_cast<int>(centroid.y - r_in));
         y <= std::min(h - 1, static_cast<int>(centroid.y + r_in) + 1); ++y) {
      const std::uint8_t* v = s.raw.ptr<std::uint8_t>(y);
      const std::uint8_t* in = s.filled.ptr<std::uint8_t>(y);
      for (int x = std::max(0, static_cast<int>(centroid.x - r_in));
           x <= std::min(w - 1, static_cast<int>(centroid.x + r_in) + 1); ++x) {
        if (in[x] && (x - centroid.x) * (x - centroid.x) + (y - centroid.y) * (y - centroid.y) <=
                         r_in * r_in) {
          s.values.push_back(v[x]);
        }
      }
    }
    // Clipping shows as a pile of pixels at the darkest value.
    const float darkest =
        s.values.empty() ? 0.f : *std::min_element(s.values.begin(), s.values.end());
    const auto at_darkest = std::count(s.values.begin(), s.values.end(), darkest);
    const bool clipped = at_darkest > std::max<std::ptrdiff_t>(3, s.values.size() / 10);
    const double mid = median_of(s.values);
    for (float& v : s.values) v = std::abs(v - static_cast<float>(mid));
    if (!clipped) inner_noise = 1.4826 * median_of(s.values);
  }
  // Scales of the edge profile: the blur (ours, with about half a pixel of optics/pixel size)
  // sets how far out the surround level is read and how wide the step test is.
  const double blur = std::max(1.0, std::hypot(sigma_, 0.5));
  const double far_from = 2.5 * blur;
  const double side = 1.5 * blur;
  const int rays = params_.rays;
  s.dir.resize(rays);
  for (int k = 0; k < rays; ++k) {
    const double a = 2 * kPi * k / rays;
    s.dir[k] = {std::cos(a), std::sin(a)};
  }
  // Level just beyond the expected edge s0 on a ray: median of the smoothed profile over three
  // blur widths, starting where the edge's blur has died out. NaN when the ray leaves the ROI.
  auto far_level = [&](cv::Point2d c, cv::Point2d d, double s0) -> double {
    s.far.clear();
    for (double t = s0 + far_from; t <= s0 + far_from + 3.0 * blur; t += 0.5 * blur) {
      double v;
      if (!sample(s.smooth, c.x + t * d.x, c.y + t * d.y, v)) return kNaN;
      s.far.push_back(v);
    }
    return median_of(s.far);
  };
  // Sub-pixel edge on a ray: an upward crossing of `level` by the merely smoothed profile (its
  // edges untouched by the discrete morphology) within `window` of the expected distance s0.
  // Of several crossings (noise in a dark iris, a reflection) the one with the strongest step
  // (mean over the next `side` px minus mean over the previous `side` px, `side` growing with
  // the blur) wins, and it must be a real step of at least a quarter of the local contrast.
  auto crossing = [&](cv::Point2d c, cv::Point2d d, double s0, double window, double level,
                      double local_contrast) -> double {
    const int kSide = static_cast<int>(std::ceil(side / kRayStep));
    const double s_begin = std::max(0.0, s0 - window) - kSide * kRayStep;
    const double s_end = s0 + window + (kSide + 1) * kRayStep;
    s.profile.clear();
    for (double t = s_begin; t <= s_end; t += kRayStep) {
      double v;
      if (t < 0) {
        v = in_level;  // behind the centre: the pupil itself
      } else if (!sample(s.smooth, c.x + t * d.x, c.y + t * d.y, v)) {
        return kNaN;
      }
      s.profile.push_back(v);
    }
    const int n = static_cast<int>(s.profile.size());
    double best = kNaN, best_step = local_contrast / 4.0;
    for (int i = kSide - 1; i + kSide < n; ++i) {
      const double p0 = s.profile[i], p1 = s.profile[i + 1];
      if (!(p0 <= level && p1 > level)) continue;
      double before = 0, after = 0;
      for (int j = 0; j < kSide; ++j) {
        before += s.profile[i - j];
        after += s.profile[i + 1 + j];
      }
      const double step = (after - before) / kSide;
      if (step > best_step) {
        best_step = step;
        best = s_begin + i * kRayStep + (level - p0) / (p1 - p0) * kRayStep;
      }
    }
    return best;
  };
  // One pass of rays from centre c with expected edge distances s0[k]: the edge is where the
  // profile crosses the midpoint between the pupil level and that ray's far level. Rays whose
  // far side is not clearly brighter (eyelid shadow, a dark neighbour) give nothing; rays through
  // a reflection or whisker at the edge land off the ellipse and the robust fit drops them.
  auto cast = [&](cv::Point2d c, double window_frac, double min_window, double contrast) {
    s.points.clear();
    for (int k = 0; k < rays; ++k) {
      if (!std::isfinite(s.far_k[k]) || !(s.far_k[k] - in_level > 0.5 * contrast)) continue;
      const double level = in_level + params_.edge_level * (s.far_k[k] - in_level);
      const double e = crossing(c, s.dir[k], s.s0[k], std::max(min_window, window_frac * s.s0[k]),
                                level, s.far_k[k] - in_level);
      if (std::isfinite(e)) s.points.emplace_back(c.x + e * s.dir[k].x, c.y + e * s.dir[k].y);
    }
  };

  // Pass 1: rays from the blob's centroid, expected edge where the ray leaves the rough mask.
  s.s0.assign(rays, 0.0);
  s.far_k.assign(rays, kNaN);
  s.values.clear();
  const double max_s = std::hypot(w, h);
  for (int k = 0; k < rays; ++k) {
    const cv::Point2d d = s.dir[k];
    double s0 = 0;
    for (double t = 0; t < max_s; t += 0.5) {
      const int x = static_cast<int>(std::lround(centroid.x + t * d.x));
      const int y = static_cast<int>(std::lround(centroid.y + t * d.y));
      if (x < 0 || y < 0 || x >= w || y >= h || !s.filled.at<std::uint8_t>(y, x)) break;
      s0 = t + 0.5;
    }
    s.s0[k] = s0;
    s.far_k[k] = far_level(centroid, d, s0);
    if (std::isfinite(s.far_k[k])) s.values.push_back(static_cast<float>(s.far_k[k]));
  }
  if (s.values.size() < 6) return det;
  // A clipped pupil: noise from raw minus smoothed pixels just outside it, where the iris is
  // fairly smooth (its texture can only inflate this). For white noise that difference keeps
  // sqrt(1 - 1/(4 pi sigma^2)) of the noise's standard deviation.
  double noise = inner_noise;
  if (!std::isfinite(inner_noise)) {
    s.far.clear();
    for (int k = 0; k < rays; ++k) {
      if (!std::isfinite(s.far_k[k])) continue;
      for (double t = s.s0[k] + far_from; t <= s.s0[k] + far_from + 3.0 * blur; t += 1.0) {
        const int x = static_cast<int>(std::lround(centroid.x + t * s.dir[k].x));
        const int y = static_cast<int>(std::lround(centroid.y + t * s.dir[k].y));
        if (x < 0 || y < 0 || x >= w || y >= h) break;
        s.far.push_back(static_cast<double>(s.raw.at<std::uint8_t>(y, x)) -
                        s.smooth.at<std::uint8_t>(y, x));
      }
    }
    const double mid = median_of(s.far);
    for (double& v : s.far) v = std::abs(v - mid);
    const double keep = std::sqrt(std::max(0.1, 1.0 - 1.0 / (4 * kPi * sigma_ * sigma_)));
    noise = s.far.empty() ? 0.0 : 1.4826 * median_of(s.far) / keep;
  }
  // Surround level: the typical far level over all rays; pupil/surround contrast must be real.
  const double contrast = median_of(s.values) - in_level;
  if (!(contrast > std::max(min_contrast, 2.0))) return det;
  cast(centroid, 0.25, 2.5, contrast);
  cv::RotatedRect fit;
  if (!fit_ellipse_robust(s.points, fit)) return det;

  // Pass 2: rays from the fitted centre, expected edge on the fitted ellipse. This recovers rays
  // that pass 1 lost to a leak in the rough mask and re-centres the profiles.
  const cv::Point2d c2(fit.center.x, fit.center.y);
  for (int k = 0; k < rays; ++k) {
    s.s0[k] = ellipse_radius_along(fit, s.dir[k].x, s.dir[k].y);
    s.far_k[k] = far_level(c2, s.dir[k], s.s0[k]);
  }
  cast(c2, 0.0, 2.0, contrast);
  if (!fit_ellipse_robust(s.points, fit)) return det;
  const std::size_t inliers = s.points.size();

  const double a = fit.size.width / 2.0, bb = fit.size.height / 2.0;
  // Gaussian smoothing moves the half-level contour of a convex dark blob inwards by
  // sigma^2 * curvature / 2; integrated over the outline (total curvature 2*pi) the area lost is
  // pi * sigma^2 whatever the shape, so it is given back here.
  const double area = kPi * a * bb + kPi * sigma_ * sigma_;
  const bool ok = inliers >= static_cast<std::size_t>(params_.min_inlier_frac * rays) &&
                  std::max(a, bb) <= params_.max_aspect * std::min(a, bb) &&
                  area >= params_.min_area_frac * roi_area &&
                  area <= params_.max_area_frac * roi_area && fit.center.x >= 0 &&
                  fit.center.y >= 0 && fit.center.x <= w - 1 && fit.center.y <= h - 1;
  if (!ok) return det;
  det.found = true;
  det.area = area;
  det.cx = fit.center.x;
  det.cy = fit.center.y;
  det.contrast = contrast;
  det.noise = noise;
  det.quality = contrast * static_cast<double>(inliers) / rays;
  return det;
}

void EyeTracker::calibrate_from_rois(const std::vector<cv::Mat>& rois) {
  // Two rounds: the first, with sizes guessed from the ROI and the base smoothing, measures the
  // pupil's radius, contrast and the noise inside it; the second redoes it with the filters
  // sized for that pupil and the smoothing raised until the noise left after smoothing is about
  // a tenth of the contrast (2D Gaussian smoothing divides white noise by ~3.5 sigma).
  calibrated_ = false;  // no location prior while (re)calibrating
  sigma_ = params_.smoothing_sigma;
  for (int round = 0; round < 2; ++round) {
    std::vector<double> radii, contrasts, noises, xs, ys;
    for (const cv::Mat& roi : rois) {
      preprocess(roi);
      const Detection d = detect_best_candidate(3);
      if (!d.found) continue;
      radii.push_back(std::sqrt(d.area / kPi));
      contrasts.push_back(d.contrast);
      noises.push_back(d.noise);
      xs.push_back(d.cx);
      ys.push_back(d.cy);
    }
    if (radii.empty()) {
      // A pupil ROI with no pupil in it is a wrong input, not a failed computation (exit 2).
      throw ConfigError("pupil ROI " + std::to_string(roi_.x) + "," + std::to_string(roi_.y) +
                        "," + std::to_string(roi_.width) + "," + std::to_string(roi_.height) +
                        " shows no dark pupil on any of " + std::to_string(rois.size()) +
                        " sample frames; check --pupil-roi (it must contain the dark pupil)");
    }
    // Frames where something else was picked (a closed eye's texture) have a much lower
    // contrast; leave them out of the typical values.
    std::vector<double> tmp = contrasts;
    const double typical = median_of(tmp);
    std::vector<double> r_ok, c_ok, n_ok, x_ok, y_ok;
    for (std::size_t i = 0; i < radii.size(); ++i) {
      if (contrasts[i] >= 0.5 * typical) {
        r_ok.push_back(radii[i]);
        c_ok.push_back(contrasts[i]);
        n_ok.push_back(noises[i]);
        x_ok.push_back(xs[i]);
        y_ok.push_back(ys[i]);
      }
    }
    radius_cal_ = median_of(r_ok);
    contrast_cal_ = median_of(c_ok);
    noise_cal_ = median_of(n_ok);
    centre_cal_ = {median_of(x_ok), median_of(y_ok)};
    configure_sizes(radius_cal_);
    if (round == 0) {
      const double wanted = 2.8 * noise_cal_ / std::max(1.0, contrast_cal_);
      const double ceiling = std::max(params_.smoothing_sigma, 0.2 * radius_cal_);
      sigma_ = std::clamp(wanted, params_.smoothing_sigma, ceiling);
    }
  }
  contrast_run_ = contrast_cal_;
  calibrated_ = true;
}

void EyeTracker::calibrate(const std::vector<cv::Mat>& sample_frames) {
  std::vector<cv::Mat> rois;
  rois.reserve(sample_frames.size());
  for (const cv::Mat& f : sample_frames) rois.push_back(roi_of(f));
  if (rois.empty()) throw ComputationError("eye tracker calibration needs at least one frame");
  calibrate_from_rois(rois);
}

void EyeTracker::process_roi(const cv::Mat& roi) {
  brightness_.push_back(cv::mean(roi)[0]);
  preprocess(roi);
  const double min_contrast = params_.min_contrast_frac * contrast_cal_;
  Detection d = detect(contrast_run_, min_contrast);
  // A sudden illumination change can put the rough threshold outside the pupil/surround range;
  // fall back to the calibration-free stable threshold before giving up on the frame.
  if (!d.found) d = detect(-1.0, min_contrast);
  found_.push_back(d.found ? 1 : 0);
  area_.push_back(d.found ? d.area : kNaN);
  x_.push_back(d.found ? d.cx + roi_.x : kNaN);
  y_.push_back(d.found ? d.cy + roi_.y : kNaN);
  if (d.found) contrast_run_ += params_.contrast_adapt_rate * (d.contrast - contrast_run_);
}

void EyeTracker::add_frame(const cv::Mat& gray_frame) {
  cv::Mat roi = roi_of(gray_frame);
  if (calibrated_) {
    process_roi(roi);
    return;
  }
  pending_.push_back(roi.clone());
  if (static_cast<int>(pending_.size()) >= std::max(1, params_.auto_calibration_frames)) {
    calibrate_from_rois(pending_);
    for (const cv::Mat& r : pending_) process_roi(r);
    pending_.clear();
  }
}

EyeTrace EyeTracker::finish() {
  if (!pending_.empty()) {
    calibrate_from_rois(pending_);
    for (const cv::Mat& r : pending_) process_roi(r);
    pending_.clear();
  }
  const std::size_t n = brightness_.size();
  EyeTrace trace;
  trace.eye_brightness = brightness_;
  trace.pupil_area = area_;
  trace.pupil_x = x_;
  trace.pupil_y = y_;
  trace.blink.assign(n, 0);
  if (n == 0) return trace;

  // Brightness baseline: running median over frames with a pupil (so blinks do not pull it),
  // evaluated every `stride` frames and interpolated; it follows slow illumination drift.
  std::vector<double> valid_b;
  for (std::size_t i = 0; i < n; ++i) {
    if (found_[i]) valid_b.push_back(brightness_[i]);
  }
  std::vector<double> all_b = brightness_;
  const double global = valid_b.empty() ? median_of(all_b) : median_of(valid_b);
  const int half = std::max(1, params_.baseline_window / 2);
  const int stride = std::max(1, half / 8);
  std::vector<double> anchors_t, anchors_v, window;
  for (std::size_t t = 0;; t += stride) {
    const std::size_t tc = std::min(t, n - 1);
    window.clear();
    const std::size_t from = tc > static_cast<std::size_t>(half) ? tc - half : 0;
    const std::size_t to = std::min(n - 1, tc + half);
    for (std::size_t i = from; i <= to; ++i) {
      if (found_[i]) window.push_back(brightness_[i]);
    }
    anchors_t.push_back(static_cast<double>(tc));
    anchors_v.push_back(window.size() >= 5 ? median_of(window) : global);
    if (tc == n - 1) break;
  }
  std::vector<double> z(n);
  std::vector<double> residuals;
  std::size_t seg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (seg + 1 < anchors_t.size() && anchors_t[seg + 1] < static_cast<double>(i)) ++seg;
    double base = anchors_v[seg];
    if (seg + 1 < anchors_t.size()) {
      const double f = (i - anchors_t[seg]) / (anchors_t[seg + 1] - anchors_t[seg]);
      base = anchors_v[seg] + std::clamp(f, 0.0, 1.0) * (anchors_v[seg + 1] - anchors_v[seg]);
    }
    z[i] = brightness_[i] - base;
    if (found_[i]) residuals.push_back(z[i]);
  }
  if (residuals.empty()) residuals = z;
  std::vector<double> tmp = residuals;
  const double centre = median_of(tmp);
  for (double& r : residuals) r = std::abs(r - centre);
  // Floor: the mean of thousands of pixels is very stable, but pupil size changes alone move it
  // by a gray level or so.
  const double sigma = std::max(0.5, 1.4826 * median_of(residuals));
  for (double& v : z) v = std::abs(v - centre) / sigma;

  for (std::size_t i = 0; i < n; ++i) {
    if (!found_[i] && z[i] >= params_.blink_z) trace.blink[i] = 1;
  }
  // Grow episodes over neighbouring pupil-less frames that deviate less (eyelid half-way).
  for (std::size_t i = 1; i < n; ++i) {
    if (trace.blink[i - 1] && !trace.blink[i] && !found_[i] && z[i] >= params_.blink_z_edge) {
      trace.blink[i] = 1;
    }
  }
  for (std::size_t i = n - 1; i-- > 0;) {
    if (trace.blink[i + 1] && !trace.blink[i] && !found_[i] && z[i] >= params_.blink_z_edge) {
      trace.blink[i] = 1;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (trace.blink[i]) trace.pupil_area[i] = trace.pupil_x[i] = trace.pupil_y[i] = kNaN;
  }
  return trace;
}

std::string EyeTracker::method_description() const {
  std::ostringstream out;
  out.precision(3);
  out << "Pupil: the darkest compact blob in the pupil ROI (" << roi_.width << "x" << roi_.height
      << " px at " << roi_.x << "," << roi_.y << "). Calibration on sample frames spread over "
      << "the video finds the threshold at which the dark blob grown from the darkest spot is "
      << "most stable and learns the pupil/surround contrast (" << contrast_cal_
      << " gray levels), the pupil radius (" << radius_cal_ << " px) and the noise (" << noise_cal_
      << " gray levels), from which the Gaussian smoothing is set (sigma " << sigma_
      << " px, at least " << params_.smoothing_sigma << "). Each frame is smoothed; "
      << "a grayscale opening (" << open_size_ << " px disc) and closing (" << close_size_
      << " px) erase the corneal reflection and thin whiskers without moving a convex pupil's "
      << "outline; the seed is the darkest " << box_size_ << " px box and a rough dark mask is "
      << "grown from it at the pupil level plus " << params_.rough_level
      << " of the contrast, which follows slow illumination changes. Along " << params_.rays
      << " rays from the blob centre the edge is located to sub-pixel precision where the "
      << "smoothed intensity rises through the midpoint between the pupil level and the level "
      << "just outside on that ray (the strongest such step near the rough outline); rays "
      << "without a clear edge are dropped, an ellipse is fitted with iterative rejection of "
      << "points more than three robust sigmas off, and the rays are recast once from the fitted "
      << "centre. pupil_area = pi*a*b of that ellipse plus pi*sigma^2 (what smoothing takes off "
      << "a convex outline), in px^2; pupil_x/pupil_y = its centre in full-frame px. A fit is "
      << "accepted when at least " << params_.min_inlier_frac * 100 << "% of rays agree, the "
      << "axis ratio is at most " << params_.max_aspect << ", the area is "
      << params_.min_area_frac * 100 << "-" << params_.max_area_frac * 100
      << "% of the ROI and the contrast at least " << params_.min_contrast_frac * 100
      << "% of the calibrated one; otherwise the frame is NaN. Blink = no accepted pupil and a "
      << "mean ROI brightness at least " << params_.blink_z << " robust sigmas from its running "
      << "median baseline (" << params_.baseline_window << " frames), extended to adjacent "
      << "pupil-less frames beyond " << params_.blink_z_edge
      << " sigmas; pupil values are NaN on blink frames.";
  return out.str();
}

}  // namespace ethovid::facemap
