// The Kalman sampler against the dense Gaussian conditional of a small case: the mean and the
// covariance of many draws match the exact p(x_0..T-1 | y).
#include <gtest/gtest.h>

#include "ethovid/moseq/kalman.hpp"

namespace ethovid::moseq {
namespace {

TEST(Kalman, DrawsMatchTheDenseGaussianConditional) {
  const int T = 4, n = 2;
  LinearGaussianModel m;
  m.m0 = Eigen::Vector2d(0.5, -0.2);
  m.S0 = Eigen::Matrix2d{{1.0, 0.2}, {0.2, 0.5}};
  m.dynamics = {Eigen::Matrix2d{{0.9, -0.2}, {0.1, 0.8}}, Eigen::Matrix2d{{0.3, 0.05}, {0.05, 0.2}}, Eigen::Vector2d(0.1, 0.0)};
  m.C = Eigen::MatrixXd{{1.0, 0.0}, {0.5, 1.0}, {-0.3, 0.7}};
  m.d = Eigen::VectorXd{{0.2, -0.1, 0.0}};
  Eigen::MatrixXd y{{0.3, 0.1, -0.2}, {0.9, 0.4, 0.0}, {1.1, 0.2, 0.3}, {0.4, -0.5, 0.6}};
  Eigen::MatrixXd noise{{0.5, 0.2, 0.3}, {0.1, 0.4, 0.2}, {1e3, 1e3, 1e3}, {0.3, 0.3, 0.3}};  // step 2: nearly unobserved

  // Dense: log p(x, y) is quadratic in x = [x_0; ...; x_3]; collect its precision and linear term.
  const int N = T * n;
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(N, N);
  Eigen::VectorXd h = Eigen::VectorXd::Zero(N);
  const Eigen::MatrixXd S0i = m.S0.inverse();
  J.block(0, 0, n, n) += S0i;
  h.segment(0, n) += S0i * m.m0;
  for (int t = 1; t < T; ++t) {
    // (x_t - A x_{t-1} - b)' Qi (...)
    const Dynamics& f = m.dynamics;
    const Eigen::MatrixXd Qi = f.Q.inverse();
    J.block(t * n, t * n, n, n) += Qi;
    J.block((t - 1) * n, (t - 1) * n, n, n) += f.A.transpose() * Qi * f.A;
    J.block(t * n, (t - 1) * n, n, n) -= Qi * f.A;
    J.block((t - 1) * n, t * n, n, n) -= f.A.transpose() * Qi;
    h.segment(t * n, n) += Qi * f.b;
    h.segment((t - 1) * n, n) -= f.A.transpose() * Qi * f.b;
  }
  for (int t = 0; t < T; ++t) {
    const Eigen::MatrixXd Ri = noise.row(t).transpose().cwiseInverse().asDiagonal();
    J.block(t * n, t * n, n, n) += m.C.transpose() * Ri * m.C;
    h.segment(t * n, n) += m.C.transpose() * Ri * (y.row(t).transpose() - m.d);
  }
  const Eigen::MatrixXd exact_cov = J.inverse();
  const Eigen::VectorXd exact_mean = exact_cov * h;

  Sampler sampler(21);
  const int draws = 40000;
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(N);
  Eigen::MatrixXd second = Eigen::MatrixXd::Zero(N, N);
  for (int i = 0; i < draws; ++i) {
    const Eigen::MatrixXd x = sample_kalman(m, y, noise, sampler);
    Eigen::VectorXd flat(N);
    for (int t = 0; t < T; ++t) flat.segment(t * n, n) = x.row(t).transpose();
    mean += flat / draws;
    second += flat * flat.transpose() / draws;
  }
  const Eigen::MatrixXd cov = second - mean * mean.transpose();
  EXPECT_LT((mean - exact_mean).cwiseAbs().maxCoeff(), 0.02) << mean.transpose() << "\n" << exact_mean.transpose();
  EXPECT_LT((cov - exact_cov).cwiseAbs().maxCoeff(), 0.02) << cov << "\n\n" << exact_cov;
}

}  // namespace
}  // namespace ethovid::moseq
