// The metrics table enforces the contract's ranges: an error for computed values, a summary
// warning for imported ones.
#include <gtest/gtest.h>

#include "ethovid/core/error.hpp"
#include "ethovid/facemap/metrics_table.hpp"
#include "test_support.hpp"

namespace ethovid::facemap {
namespace {

std::vector<core::ColumnSpec> specs() {
  return {{"motion_energy", core::ColumnType::kFloat64, 0}, {"pupil_area", core::ColumnType::kFloat64, 0}};
}

std::vector<core::Column> columns(double energy, double area) {
  return {core::Column::float64("motion_energy", {0.1, energy}),
          core::Column::float64("pupil_area", {10.0, area})};
}

TEST(MetricsTable, OutOfRangeComputedValuesAreMetricsRangeErrors) {
  test::ScratchDir dir;
  {
    MetricsTableWriter writer(dir / "a.parquet", specs());
    test::expect_error<MetricsRangeError>([&] { writer.append({0.0, 0.1}, {0, 1}, columns(1.5, 20.0)); },
                                          {"motion_energy", "1.5", "frame 1", "[0, 1]"});
  }
  {
    MetricsTableWriter writer(dir / "b.parquet", specs());
    test::expect_error<MetricsRangeError>([&] { writer.append({0.0, 0.1}, {0, 1}, columns(0.2, -3.0)); },
                                          {"pupil_area", "-3", "negative"});
  }
  {
    MetricsTableWriter writer(dir / "c.parquet", specs());
    writer.append({0.0, 0.1}, {0, 1}, columns(0.2, 3.0));
    test::expect_error<MetricsRangeError>([&] { writer.append({0.1, 0.2}, {2, 3}, columns(0.2, 3.0)); },
                                          {"time", "frame 2", "not after"});
  }
  // None of the failed writers left a file behind.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(MetricsTable, ImportedOutOfRangeValuesBecomeWarnings) {
  test::ScratchDir dir;
  MetricsTableWriter writer(dir / "t.parquet", specs(), RangePolicy::kWarn);
  writer.append({0.0, 0.1}, {0, 1}, columns(-0.5, 20.0));
  writer.close();
  const auto warnings = writer.range_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("motion_energy"), std::string::npos) << warnings[0];
  EXPECT_EQ(writer.stats()[0].count(), 2);
}

}  // namespace
}  // namespace ethovid::facemap
