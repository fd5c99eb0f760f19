#include "ethovid/moseq/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

double median_of_finite(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return NAN;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return 0.5 * (*middle + *std::max_element(values.begin(), middle));
}

namespace {

bool present(const PoseRecording& r, std::int64_t t, int k) {
  for (int d = 0; d < r.dims; ++d) {
    if (!std::isfinite(r.at(t, k, d))) return false;
  }
  return true;
}

}  // namespace

std::vector<bool> find_outliers(const PoseRecording& r, double outlier_scale_factor) {
  const int K = r.keypoints();
  std::vector<double> distance(static_cast<std::size_t>(r.frames * K), NAN);
  std::vector<double> column(static_cast<std::size_t>(K));
  for (std::int64_t t = 0; t < r.frames; ++t) {
    std::vector<double> medoid(static_cast<std::size_t>(r.dims));
    for (int d = 0; d < r.dims; ++d) {
      for (int k = 0; k < K; ++k) column[static_cast<std::size_t>(k)] = r.at(t, k, d);
      medoid[static_cast<std::size_t>(d)] = median_of_finite(column);
    }
    for (int k = 0; k < K; ++k) {
      double sum = 0;
      for (int d = 0; d < r.dims; ++d) sum += std::pow(r.at(t, k, d) - medoid[static_cast<std::size_t>(d)], 2);
      distance[static_cast<std::size_t>(t * K + k)] = std::sqrt(sum);
    }
  }
  std::vector<bool> outliers(distance.size(), false);
  for (int k = 0; k < K; ++k) {
    std::vector<double> own(static_cast<std::size_t>(r.frames));
    for (std::int64_t t = 0; t < r.frames; ++t) own[static_cast<std::size_t>(t)] = distance[static_cast<std::size_t>(t * K + k)];
    const double median = median_of_finite(own);
    std::vector<double> deviation(own.size());
    for (std::size_t i = 0; i < own.size(); ++i) deviation[i] = std::abs(own[i] - median);
    const double threshold = median + outlier_scale_factor * median_of_finite(deviation);
    for (std::int64_t t = 0; t < r.frames; ++t) {
      const double d = own[static_cast<std::size_t>(t)];
      outliers[static_cast<std::size_t>(t * K + k)] = std::isfinite(d) && d > threshold;
    }
  }
  return outliers;
}

std::int64_t interpolate_keypoints(PoseRecording& r, const std::vector<bool>& replace) {
  const int K = r.keypoints();
  std::int64_t filled = 0;
  for (int k = 0; k < K; ++k) {
    std::vector<std::int64_t> valid;
    for (std::int64_t t = 0; t < r.frames; ++t) {
      if (!replace[static_cast<std::size_t>(t * K + k)] && present(r, t, k)) valid.push_back(t);
    }
    std::size_t next = 0;  // first valid frame after t
    for (std::int64_t t = 0; t < r.frames; ++t) {
      while (next < valid.size() && valid[next] <= t) ++next;
      if (next > 0 && valid[next - 1] == t) continue;  // a good point stays
      ++filled;
      r.confidence(t, k) = 0;
      for (int d = 0; d < r.dims; ++d) {
        double v = 0;  // never seen
        if (!valid.empty()) {
          if (next == 0) {
            v = r.at(valid.front(), k, d);
          } else if (next == valid.size()) {
            v = r.at(valid.back(), k, d);
          } else {
            const std::int64_t a = valid[next - 1], b = valid[next];
            const double w = static_cast<double>(t - a) / static_cast<double>(b - a);
            v = (1 - w) * r.at(a, k, d) + w * r.at(b, k, d);
          }
        }
        r.at(t, k, d) = v;
      }
    }
  }
  return filled;
}

Aligned align_egocentric(const PoseRecording& r, const std::vector<int>& anterior, const std::vector<int>& posterior) {
  if (anterior.empty() || posterior.empty()) {
    throw ConfigError("egocentric alignment needs at least one anterior and one posterior bodypart");
  }
  const int K = r.keypoints(), D = r.dims;
  Aligned out{Eigen::MatrixXd::Zero(r.frames, D), Eigen::VectorXd::Zero(r.frames), Eigen::MatrixXd(r.frames, K * D)};
  for (std::int64_t t = 0; t < r.frames; ++t) {
    for (int k = 0; k < K; ++k) {
      for (int d = 0; d < D; ++d) out.centroid(t, d) += r.at(t, k, d) / K;
    }
    Eigen::Vector2d front = Eigen::Vector2d::Zero(), back = Eigen::Vector2d::Zero();
    for (int k : anterior) front += Eigen::Vector2d(r.at(t, k, 0), r.at(t, k, 1)) / static_cast<double>(anterior.size());
    for (int k : posterior) back += Eigen::Vector2d(r.at(t, k, 0), r.at(t, k, 1)) / static_cast<double>(posterior.size());
    const double h = std::atan2(front.y() - back.y(), front.x() - back.x());
    out.heading[t] = h;
    const double c = std::cos(-h), s = std::sin(-h);
    for (int k = 0; k < K; ++k) {
      const double x = r.at(t, k, 0) - out.centroid(t, 0), y = r.at(t, k, 1) - out.centroid(t, 1);
      out.pose(t, k * D) = c * x - s * y;
      out.pose(t, k * D + 1) = s * x + c * y;
      if (D == 3) out.pose(t, k * D + 2) = r.at(t, k, 2) - out.centroid(t, 2);
    }
  }
  return out;
}

Eigen::MatrixXd center_embedding(int keypoints) {
  // Column i (0-based) is e_{i+1} minus the mean of e_0..e_i, normalised.
  Eigen::MatrixXd basis = Eigen::MatrixXd::Zero(keypoints, keypoints - 1);
  for (int i = 1; i < keypoints; ++i) {
    for (int j = 0; j < i; ++j) basis(j, i - 1) = -1.0 / i;
    basis(i, i - 1) = 1.0;
    basis.col(i - 1).normalize();
  }
  return basis;
}

Eigen::MatrixXd embed_poses(const Eigen::MatrixXd& aligned, int keypoints, int dims) {
  const Eigen::MatrixXd gamma = center_embedding(keypoints);
  Eigen::MatrixXd out(aligned.rows(), (keypoints - 1) * dims);
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  for (Eigen::Index t = 0; t < aligned.rows(); ++t) {
    // The row as K x D, mapped to (K-1) x D, flattened keypoint-major again.
    const Eigen::RowVectorXd row = aligned.row(t);
    const RowMajor embedded = gamma.transpose() * Eigen::Map<const RowMajor>(row.data(), keypoints, dims);
    out.row(t) = Eigen::Map<const Eigen::RowVectorXd>(embedded.data(), embedded.size());
  }
  return out;
}

Eigen::VectorXd Pca::explained_ratio() const { return variance / variance.sum(); }

int Pca::components_for(double fraction) const {
  const Eigen::VectorXd ratio = explained_ratio();
  double total = 0;
  for (Eigen::Index i = 0; i < ratio.size(); ++i) {
    total += ratio[i];
    if (total >= fraction) return static_cast<int>(i + 1);
  }
  return static_cast<int>(ratio.size());
}

Eigen::MatrixXd Pca::project(const Eigen::MatrixXd& rows, int latent_dim) const {
  return (rows.rowwise() - mean.transpose()) * components.leftCols(latent_dim);
}

Pca fit_pca(const Eigen::MatrixXd& rows, std::int64_t max_rows, std::uint64_t seed) {
  if (rows.rows() < 2) throw ComputationError("PCA needs at least 2 frames, not " + std::to_string(rows.rows()));
  std::vector<Eigen::Index> chosen(static_cast<std::size_t>(rows.rows()));
  std::iota(chosen.begin(), chosen.end(), 0);
  if (rows.rows() > max_rows) {
    std::mt19937_64 engine(seed);
    std::shuffle(chosen.begin(), chosen.end(), engine);
    chosen.resize(static_cast<std::size_t>(max_rows));
    std::sort(chosen.begin(), chosen.end());
  }
  const Eigen::MatrixXd data = rows(chosen, Eigen::all);
  Pca pca;
  pca.mean = data.colwise().mean().transpose();
  const Eigen::MatrixXd centred = data.rowwise() - pca.mean.transpose();
  const Eigen::MatrixXd covariance = centred.transpose() * centred / static_cast<double>(data.rows() - 1);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(covariance);
  if (eigen.info() != Eigen::Success) throw ComputationError("PCA: the eigen-decomposition did not converge");
  // Eigen sorts ascending; PCA lists the largest first. Signs: largest loading positive, so a
  // refit gives the same components.
  pca.variance = eigen.eigenvalues().reverse().cwiseMax(0.0);
  pca.components = eigen.eigenvectors().rowwise().reverse();
  for (Eigen::Index c = 0; c < pca.components.cols(); ++c) {
    Eigen::Index top = 0;
    pca.components.col(c).cwiseAbs().maxCoeff(&top);
    if (pca.components(top, c) < 0) pca.components.col(c) *= -1;
  }
  return pca;
}

}  // namespace ethovid::moseq
