// Agreement of two motion-SVD tables, e.g. ethovid's own `facemap compute` output against the
// table `ethovid facemap import` makes from Facemap's *_proc.npy (same column names).
//
//   compare_motion_svd A.parquet B.parquet [--components N] [--prefix motion_svd_]
//
// SVD components are defined only up to sign, and near-equal singular values may swap order, so
// for each of A's top N components this prints |Pearson r| against B's component of the same
// index and against B's best-matching component among its first 2N. Rows where either value is
// NaN (frame 0 of both tables, by design) are ignored. The summary line gives the median
// same-index |r| over the top 5 and the top N.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"

namespace {

// Component k of `prefix` as doubles; empty when the table has no such column.
std::vector<double> component(const ethovid::core::Table& table, const std::string& prefix,
                              int k) {
  const std::string name = prefix + std::to_string(k);
  if (!table.has(name)) return {};
  const auto& col = table.column(name);
  std::vector<double> out;
  if (!col.f32.empty()) out.assign(col.f32.begin(), col.f32.end());
  else out = col.f64;
  for (std::size_t i = 0; i < col.valid.size() && i < out.size(); ++i)
    if (!col.valid[i]) out[i] = std::nan("");
  return out;
}

int count_components(const ethovid::core::Table& table, const std::string& prefix) {
  int k = 0;
  while (table.has(prefix + std::to_string(k))) ++k;
  return k;
}

// |Pearson r| over the rows where both are finite; NaN with fewer than 3 such rows.
double abs_pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  double sa = 0, sb = 0;
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) { sa += a[i]; sb += b[i]; ++m; }
  if (m < 3) return std::nan("");
  const double ma = sa / m, mb = sb / m;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) continue;
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  if (saa <= 0 || sbb <= 0) return std::nan("");
  return std::fabs(sab / std::sqrt(saa * sbb));
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

int usage() {
  std::fprintf(stderr,
               "usage: compare_motion_svd A.parquet B.parquet [--components N] "
               "[--prefix motion_svd_]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  int n = 10;
  std::string prefix = "motion_svd_";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--components" && i + 1 < argc) n = std::atoi(argv[++i]);
    else if (arg == "--prefix" && i + 1 < argc) prefix = argv[++i];
    else if (arg == "-h" || arg == "--help") return usage() - 2;
    else if (!arg.empty() && arg[0] == '-') return usage();
    else paths.push_back(arg);
  }
  if (paths.size() != 2 || n < 1) return usage();

  try {
    const auto a = ethovid::core::read_parquet(paths[0]);
    const auto b = ethovid::core::read_parquet(paths[1]);
    const int ka = count_components(a, prefix), kb = count_components(b, prefix);
    if (ka == 0 || kb == 0) {
      std::fprintf(stderr, "no %s* columns: %s has %d, %s has %d\n", prefix.c_str(),
                   paths[0].c_str(), ka, paths[1].c_str(), kb);
      return 2;
    }
    if (a.rows() != b.rows())
      std::printf("note: %s has %zu rows, %s has %zu; comparing the first %zu\n",
                  paths[0].c_str(), a.rows(), paths[1].c_str(), b.rows(),
                  std::min(a.rows(), b.rows()));
    const int top = std::min({n, ka, kb});
    const int pool = std::min(2 * n, kb);
    std::vector<std::vector<double>> bs(pool);
    for (int j = 0; j < pool; ++j) bs[j] = component(b, prefix, j);

    std::printf("%-4s %12s %12s %8s\n", "k", "|r| same k", "best |r|", "best j");
    std::vector<double> same;
    for (int k = 0; k < top; ++k) {
      const auto ak = component(a, prefix, k);
      double best = -1;
      int best_j = -1;
      for (int j = 0; j < pool; ++j) {
        const double r = abs_pearson(ak, bs[j]);
        if (std::isfinite(r) && r > best) { best = r; best_j = j; }
      }
      same.push_back(abs_pearson(ak, bs[k]));
      std::printf("%-4d %12.4f %12.4f %8d\n", k, same.back(), best, best_j);
    }
    const std::vector<double> top5(same.begin(), same.begin() + std::min<std::size_t>(5, same.size()));
    std::printf("summary: median same-index |r| top5 %.4f, top%d %.4f (%s %d comps, %s %d comps)\n",
                median(top5), top, median(same), paths[0].c_str(), ka, paths[1].c_str(), kb);
    return 0;
  } catch (const ethovid::Error& e) {
    std::fprintf(stderr, "%s: %s\n", e.kind(), e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
}
