#pragma once
// Small statistics and fixtures shared by the facemap tests.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ethovid/core/table.hpp"

namespace ethovid::test {

// Any numeric column as doubles (NaN stays NaN).
inline std::vector<double> column_values(const core::Table& table, const std::string& name) {
  const core::Column& c = table.column(name);
  switch (c.spec.type) {
    case core::ColumnType::kFloat64: return c.f64;
    case core::ColumnType::kFloat32: return {c.f32.begin(), c.f32.end()};
    case core::ColumnType::kInt64: return {c.i64.begin(), c.i64.end()};
    default: return {c.i8.begin(), c.i8.end()};
  }
}

inline double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size();
  mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

inline double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

inline double f1_score(const std::vector<std::int8_t>& predicted, const std::vector<std::int8_t>& truth) {
  double tp = 0, fp = 0, fn = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    tp += predicted[i] && truth[i];
    fp += predicted[i] && !truth[i];
    fn += !predicted[i] && truth[i];
  }
  return tp == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
}

// Probability that a random positive scores above a random negative (ROC AUC).
inline double auc(const std::vector<double>& positives, const std::vector<double>& negatives) {
  double wins = 0;
  for (double p : positives)
    for (double n : negatives) wins += p > n ? 1.0 : (p == n ? 0.5 : 0.0);
  return wins / (static_cast<double>(positives.size()) * negatives.size());
}

// A sync folder with timestamps_<camera>.csv holding `times` for frames 0..n-1.
inline void write_timestamps(const std::filesystem::path& dir, const std::string& camera,
                             const std::vector<double>& times) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / ("timestamps_" + camera + ".csv"));
  out << "frame_index,timestamp\n";
  out.precision(17);  // round-trips every double
  for (std::size_t i = 0; i < times.size(); ++i) out << i << "," << times[i] << "\n";
}

}  // namespace ethovid::test
