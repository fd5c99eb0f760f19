// core::nice_ticks (1/2/5 x 10^k steps, integer axes, one decimal count per axis) and the
// Chart drawing that the stages' plots rely on.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ethovid/core/chart.hpp"
#include "plot_support.hpp"

namespace ethovid::core {
namespace {

using test::coloured_columns;

int decimals(const std::string& label) {
  const auto dot = label.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(label.size() - dot - 1);
}

// The step as m x 10^k with m in {1, 2, 5}.
bool is_nice(double step) {
  const double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  return std::fabs(m - 1) < 1e-6 || std::fabs(m - 2) < 1e-6 || std::fabs(m - 5) < 1e-6;
}

TEST(NiceTicks, IntegerAxisGetsWholeNumbers) {
  // The scree plot of 25 components used to show 6.25, 12.5, 18.8.
  const Ticks t = nice_ticks(0.5, 25.5, 6, true);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"5", "10", "15", "20", "25"}));
  const Ticks few = nice_ticks(0.5, 5.5, 10, true);  // more room than components: a step of 1, not 0.5
  EXPECT_EQ(few.labels, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  const Ticks binary = nice_ticks(-0.15, 1.15, 4, true);
  EXPECT_EQ(binary.labels, (std::vector<std::string>{"0", "1"}));
}

TEST(NiceTicks, OneDecimalCountPerAxisAndNoNegativeZero) {
  EXPECT_EQ(nice_ticks(0, 0.12, 4).labels, (std::vector<std::string>{"0.00", "0.05", "0.10"}));
  EXPECT_EQ(nice_ticks(-1, 1, 5).labels, (std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"}));
  EXPECT_EQ(nice_ticks(0, 333, 6).labels, (std::vector<std::string>{"0", "100", "200", "300"}));
}

TEST(NiceTicks, NiceStepsInsideTheRangeForAnyRange) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> exponent(-4, 5), unit(-1, 1);
  for (int trial = 0; trial < 2000; ++trial) {
    const double scale = std::pow(10.0, exponent(rng));
    double lo = unit(rng) * scale, hi = unit(rng) * scale;
    if (lo > hi) std::swap(lo, hi);
    if (hi - lo < 1e-9 * scale) continue;
    const int max_count = 2 + trial % 8;
    const Ticks t = nice_ticks(lo, hi, max_count);
    ASSERT_GE(t.values.size(), 2u) << lo << " " << hi;
    ASSERT_LE(t.values.size(), static_cast<std::size_t>(max_count) + 8) << lo << " " << hi;
    const double step = t.values[1] - t.values[0];
    EXPECT_TRUE(is_nice(step)) << step;
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      EXPECT_GE(t.values[i], lo - 1e-9 * scale);
      EXPECT_LE(t.values[i], hi + 1e-9 * scale);
      EXPECT_EQ(decimals(t.labels[i]), decimals(t.labels[0])) << t.labels[i] << " vs " << t.labels[0];
      EXPECT_NEAR(std::stod(t.labels[i]), t.values[i], step * 1e-6) << "the label says the value";
    }
  }
}

TEST(Chart, LineJoinsSamplesFarApartInPixelsAndBreaksOnlyAtNan) {
  // 20 samples over an 800-pixel plot: 40 pixels between samples, joined all the way.
  std::vector<double> x, y;
  for (int i = 0; i < 20; ++i) x.push_back(i), y.push_back(std::sin(i * 0.5));
  Chart chart(900, 160, "twenty samples");
  chart.x_axis(0, 19);
  chart.y_axis(-1.1, 1.1);
  chart.line(x, y, cv::Scalar(180, 90, 30), 1);
  const int joined = coloured_columns(chart.image());
  EXPECT_GE(joined, 780) << "of about 820 plot columns";

  y[10] = NAN;  // one sample missing: the two segments around it go
  Chart gap(900, 160, "one gap");
  gap.x_axis(0, 19);
  gap.y_axis(-1.1, 1.1);
  gap.line(x, y, cv::Scalar(180, 90, 30), 1);
  const int with_gap = coloured_columns(gap.image());
  EXPECT_LT(with_gap, joined - 60);
  EXPECT_GT(with_gap, joined - 100);
}

}  // namespace
}  // namespace ethovid::core
