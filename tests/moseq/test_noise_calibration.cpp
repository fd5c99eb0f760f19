// Headless noise calibration on keypoints whose error follows a known error estimator: the fit
// must recover its slope and intercept; too little confidence spread is refused.
#include <gtest/gtest.h>

#include <cmath>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/noise_calibration.hpp"
#include "ethovid/moseq/sampling.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

// An animal that walks and pauses; keypoint k has confidence conf[k] throughout and pixel noise
// whose median error is 10^(intercept + slope log10 conf) - 1 (a Rayleigh median is 1.1774 sigma).
PoseRecording noisy(double slope, double intercept, const std::vector<double>& conf, std::uint64_t seed) {
  Sampler sampler(seed);
  const int K = static_cast<int>(conf.size());
  std::vector<std::string> names;
  for (int k = 0; k < K; ++k) names.push_back(std::string("k").append(std::to_string(k)));
  PoseRecording r = PoseRecording::empty("r", "r.csv", names, 4000);
  double x = 0;
  for (std::int64_t t = 0; t < r.frames; ++t) {
    x += (t / 200) % 2 == 0 ? 0.0 : 3.0;  // 200 frames still, 200 walking
    for (int k = 0; k < K; ++k) {
      const double sigma = (std::pow(10.0, intercept + slope * std::log10(conf[k])) - 1) / 1.1774;
      r.at(t, k, 0) = x + 10 * k + sigma * sampler.normal();
      r.at(t, k, 1) = 5 * (k % 3) + sigma * sampler.normal();
      r.confidence(t, k) = conf[k];
    }
  }
  return r;
}

TEST(NoiseCalibration, RecoversAKnownErrorEstimator) {
  std::vector<double> conf;
  for (int k = 0; k < 12; ++k) conf.push_back(std::pow(10.0, -1.5 + 1.5 * k / 11.0));  // 0.03 .. 1
  for (const auto& [slope, intercept] : std::vector<std::pair<double, double>>{{-0.5, 0.25}, {-0.8, 0.4}}) {
    const NoiseCalibration c = calibrate_noise({noisy(slope, intercept, conf, 3)});
    EXPECT_NEAR(c.slope, slope, 0.08) << "intercept " << c.intercept;
    EXPECT_NEAR(c.intercept, intercept, 0.05) << "slope " << c.slope;
    EXPECT_GE(c.bins.size(), 8u);
  }
  test::expect_error<FormatError>([] { calibrate_noise({noisy(-0.5, 0.25, {0.9, 0.9, 0.9}, 4)}); },
                                       {"1 bins with points", "at least 3 bins over a factor of 3"});
}

}  // namespace
}  // namespace ethovid::moseq
