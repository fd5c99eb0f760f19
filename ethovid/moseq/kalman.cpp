#include "ethovid/moseq/kalman.hpp"

#include <vector>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

namespace {

Eigen::MatrixXd symmetric(const Eigen::MatrixXd& m) { return 0.5 * (m + m.transpose()); }

// Round-off can leave a covariance a hair from positive definite; a tiny jitter restores it.
Eigen::LLT<Eigen::MatrixXd> factor_covariance(const Eigen::MatrixXd& covariance, const char* what, Eigen::Index t) {
  Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  if (llt.info() != Eigen::Success) {
    llt.compute(covariance + 1e-9 * Eigen::MatrixXd::Identity(covariance.rows(), covariance.cols()));
    if (llt.info() != Eigen::Success) {
      throw ComputationError(std::string("Kalman sampler: the ") + what + " covariance at step " + std::to_string(t) +
                             " is not positive definite");
    }
  }
  return llt;
}

Eigen::MatrixXd cholesky_of(const Eigen::MatrixXd& covariance, const char* what, Eigen::Index t) {
  return factor_covariance(covariance, what, t).matrixL();
}

}  // namespace

Eigen::MatrixXd sample_kalman(const LinearGaussianModel& m, const Eigen::MatrixXd& y, const Eigen::MatrixXd& noise,
                              Sampler& sampler) {
  const Eigen::Index T = y.rows(), n = m.m0.size();
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(n, n);
  std::vector<Eigen::VectorXd> mean(static_cast<std::size_t>(T));
  std::vector<Eigen::MatrixXd> cov(static_cast<std::size_t>(T));
  // The predicted covariance of each step, factored once: the forward update needs its inverse
  // and the backward pass its solve (it is A P A' + Q of the step before).
  std::vector<Eigen::LLT<Eigen::MatrixXd>> predicted(static_cast<std::size_t>(T));
  Eigen::VectorXd predicted_mean = m.m0;
  Eigen::MatrixXd predicted_cov = m.S0;
  // Information form of the update: with a diagonal observation noise the gain needs only an
  // n x n solve, whatever the number of observed coordinates.
  for (Eigen::Index t = 0; t < T; ++t) {
    auto& factor = predicted[static_cast<std::size_t>(t)];
    factor = factor_covariance(predicted_cov, "predicted", t);
    const Eigen::VectorXd inverse_noise = noise.row(t).transpose().cwiseInverse();
    const Eigen::MatrixXd Ct_Rinv = m.C.transpose() * inverse_noise.asDiagonal();
    const Eigen::MatrixXd precision = symmetric(factor.solve(identity) + Ct_Rinv * m.C);
    const Eigen::LLT<Eigen::MatrixXd> llt(precision);
    if (llt.info() != Eigen::Success) throw ComputationError("Kalman sampler: the posterior precision at step " + std::to_string(t) + " is not positive definite");
    cov[static_cast<std::size_t>(t)] = symmetric(llt.solve(identity));
    mean[static_cast<std::size_t>(t)] =
        cov[static_cast<std::size_t>(t)] * (factor.solve(predicted_mean) + Ct_Rinv * (y.row(t).transpose() - m.d));
    if (t + 1 < T) {
      const Dynamics& f = m.dynamics;
      predicted_mean = f.A * mean[static_cast<std::size_t>(t)] + f.b;
      predicted_cov = symmetric(f.A * cov[static_cast<std::size_t>(t)] * f.A.transpose() + f.Q);
    }
  }
  Eigen::MatrixXd x(T, n);
  if (T == 0) return x;
  x.row(T - 1) = sampler.normal(mean[static_cast<std::size_t>(T - 1)],
                                cholesky_of(cov[static_cast<std::size_t>(T - 1)], "last", T - 1)).transpose();
  for (Eigen::Index t = T - 2; t >= 0; --t) {
    const auto& P = cov[static_cast<std::size_t>(t)];
    const Dynamics& f = m.dynamics;
    const Eigen::MatrixXd AP = f.A * P;
    const Eigen::MatrixXd J = predicted[static_cast<std::size_t>(t + 1)].solve(AP).transpose();  // P A' (A P A' + Q)^-1
    const Eigen::VectorXd next = x.row(t + 1).transpose();
    const Eigen::VectorXd mu = mean[static_cast<std::size_t>(t)] + J * (next - f.A * mean[static_cast<std::size_t>(t)] - f.b);
    const Eigen::MatrixXd sigma = symmetric(P - J * AP);
    x.row(t) = sampler.normal(mu, cholesky_of(sigma, "smoothed", t)).transpose();
  }
  return x;
}

}  // namespace ethovid::moseq
