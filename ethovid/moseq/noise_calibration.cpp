#include "ethovid/moseq/noise_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/pose_files.hpp"
#include "ethovid/moseq/preprocess.hpp"
#include "ethovid/moseq/project_config.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

constexpr int kBins = 10;
constexpr double kStillQuantile = 0.2;

bool present(const PoseRecording& r, std::int64_t t, int k) {
  return std::isfinite(r.at(t, k, 0)) && std::isfinite(r.at(t, k, 1));
}

}  // namespace

NoiseCalibration calibrate_noise(const std::vector<PoseRecording>& recordings) {
  std::vector<std::pair<double, double>> samples;  // (confidence, error px)
  for (const auto& r : recordings) {
    const int K = r.keypoints();
    // The centroid (mean of the present keypoints) and its speed per frame.
    std::vector<double> speed(static_cast<std::size_t>(r.frames), NAN);
    auto centroid = [&](std::int64_t t, double& x, double& y) {
      int n = 0;
      x = y = 0;
      for (int k = 0; k < K; ++k) {
        if (present(r, t, k)) x += r.at(t, k, 0), y += r.at(t, k, 1), ++n;
      }
      if (n == 0) return false;
      x /= n, y /= n;
      return true;
    };
    for (std::int64_t t = 1; t < r.frames; ++t) {
      double x0, y0, x1, y1;
      if (centroid(t - 1, x0, y0) && centroid(t, x1, y1)) speed[static_cast<std::size_t>(t)] = std::hypot(x1 - x0, y1 - y0);
    }
    std::vector<double> finite;
    for (double s : speed) {
      if (std::isfinite(s)) finite.push_back(s);
    }
    if (finite.size() < 10) continue;
    std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(finite.size() * kStillQuantile), finite.end());
    const double still = finite[static_cast<std::size_t>(static_cast<double>(finite.size()) * kStillQuantile)];
    for (std::int64_t t = 1; t + 1 < r.frames; ++t) {
      if (!(speed[static_cast<std::size_t>(t)] <= still && speed[static_cast<std::size_t>(t + 1)] <= still)) continue;
      for (int k = 0; k < K; ++k) {
        const double c = r.confidence(t, k);
        if (!(c > 0) || !present(r, t - 1, k) || !present(r, t, k) || !present(r, t + 1, k)) continue;
        const double ex = r.at(t, k, 0) - 0.5 * (r.at(t - 1, k, 0) + r.at(t + 1, k, 0));
        const double ey = r.at(t, k, 1) - 0.5 * (r.at(t - 1, k, 1) + r.at(t + 1, k, 1));
        samples.emplace_back(std::min(c, 1.0), std::hypot(ex, ey) / std::sqrt(1.5));
      }
    }
  }
  NoiseCalibration out;
  out.points = static_cast<std::int64_t>(samples.size());
  if (samples.empty()) throw FormatError("noise calibration: no still frames with confident keypoints");
  double lo = INFINITY, hi = 0;
  for (const auto& [c, e] : samples) lo = std::min(lo, c), hi = std::max(hi, c);
  const double log_lo = std::log10(lo), log_hi = std::log10(hi);
  std::vector<std::vector<std::pair<double, double>>> bins(kBins);
  for (const auto& s : samples) {
    const double u = log_hi > log_lo ? (std::log10(s.first) - log_lo) / (log_hi - log_lo) : 0;
    bins[static_cast<std::size_t>(std::min(kBins - 1, static_cast<int>(u * kBins)))].push_back(s);
  }
  std::vector<double> xs, ys;
  for (const auto& bin : bins) {
    if (bin.size() < 5) continue;
    std::vector<double> c, e;
    for (const auto& [ci, ei] : bin) c.push_back(ci), e.push_back(ei);
    CalibrationBin b{median_of_finite(c), median_of_finite(e), static_cast<std::int64_t>(bin.size())};
    out.bins.push_back(b);
    xs.push_back(std::log10(b.confidence));
    ys.push_back(std::log10(b.error_px + 1));
  }
  if (xs.size() < 3 || hi < 3 * lo) {
    throw FormatError("noise calibration: the confidences of still keypoints span " + std::to_string(lo) + " to " +
                           std::to_string(hi) + " in " + std::to_string(xs.size()) +
                           " bins with points; at least 3 bins over a factor of 3 are needed to fit a line "
                           "(keep the default error_estimator)");
  }
  const double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
  const double my = std::accumulate(ys.begin(), ys.end(), 0.0) / static_cast<double>(ys.size());
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
  out.slope = sxx > 0 ? sxy / sxx : 0;
  out.intercept = my - out.slope * mx;
  if (out.slope > 0) {
    throw FormatError("noise calibration: the fitted error grows with confidence (slope " + std::to_string(out.slope) +
                           "); the confidences do not describe the errors here (keep the default error_estimator)");
  }
  return out;
}

CalibrateResult calibrate_project(const fs::path& project) {
  MoseqConfig config = load_moseq_config(project);
  std::vector<PoseRecording> recordings;
  for (const auto& file : config.pose_files) {
    for (auto& r : load_pose_file(file)) recordings.push_back(std::move(r));
  }
  CalibrateResult result;
  result.calibration = calibrate_noise(recordings);
  config.error_estimator_slope = result.calibration.slope;
  config.error_estimator_intercept = result.calibration.intercept;
  result.config_path = project / kConfigFile;
  result.report_path = project / "noise_calibration.json";
  core::Json bins = core::Json::array();
  for (const auto& b : result.calibration.bins) {
    bins.push_back({{"confidence", b.confidence}, {"error_px", b.error_px}, {"points", b.points}});
  }
  core::write_json(result.report_path, {{"slope", result.calibration.slope},
                                        {"intercept", result.calibration.intercept},
                                        {"points", result.calibration.points},
                                        {"bins", bins},
                                        {"method", "still frames (centroid speed in its lowest 20 %): distance from the "
                                                   "mean of the neighbouring frames / sqrt(1.5); fit over 10 "
                                                   "log-spaced confidence bins of log10(median error + 1)"}});
  write_moseq_config(project, config);
  return result;
}

}  // namespace ethovid::moseq
