#include "ethovid/moseq/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

std::string Sampler::save_state() const {
  std::ostringstream out;
  out << engine_ << ' ' << standard_normal_;
  return out.str();
}

void Sampler::restore_state(const std::string& text) {
  std::istringstream in(text);
  in >> engine_ >> standard_normal_;
  if (!in) throw FormatError("the saved random generator state cannot be read");
}

double Sampler::uniform() {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double v = 0;
  while (v <= 0.0) v = u(engine_);
  return v;
}

double Sampler::normal() { return standard_normal_(engine_); }

double Sampler::gamma(double shape, double scale) {
  if (!(shape > 0) || !(scale > 0)) {
    throw ComputationError("gamma draw with shape " + std::to_string(shape) + " and scale " + std::to_string(scale));
  }
  // Small shapes underflow to 0 in double; boost them (Marsaglia & Tsang's shape + 1 trick).
  if (shape < 1) return gamma(shape + 1, scale) * std::pow(uniform(), 1.0 / shape);
  std::gamma_distribution<double> g(shape, scale);
  return g(engine_);
}

Eigen::VectorXd Sampler::dirichlet(const Eigen::VectorXd& concentration) {
  // Through log-gammas so that tiny concentrations (gamma / num_states) never give all zeros.
  Eigen::VectorXd log_draws(concentration.size());
  for (Eigen::Index i = 0; i < concentration.size(); ++i) {
    const double a = concentration[i];
    if (!(a > 0)) throw ComputationError("Dirichlet draw with concentration " + std::to_string(a));
    if (a < 1) {
      std::gamma_distribution<double> g(a + 1, 1.0);
      log_draws[i] = std::log(g(engine_)) + std::log(uniform()) / a;
    } else {
      log_draws[i] = std::log(gamma(a));
    }
  }
  const double top = log_draws.maxCoeff();
  Eigen::VectorXd p = (log_draws.array() - top).exp();
  return p / p.sum();
}

int Sampler::categorical(const Eigen::Ref<const Eigen::VectorXd>& weights) {
  const double total = weights.sum();
  if (!(total > 0) || !std::isfinite(total)) throw ComputationError("categorical draw with no positive finite weight");
  double u = uniform() * total;
  for (Eigen::Index i = 0; i < weights.size(); ++i) {
    u -= weights[i];
    if (u <= 0 && weights[i] > 0) return static_cast<int>(i);
  }
  // Round-off can leave u a hair above 0: the last index with weight.
  Eigen::Index last = weights.size() - 1;
  while (weights[last] <= 0) --last;
  return static_cast<int>(last);
}

double Sampler::von_mises(double mu, double kappa) {
  double angle = 0;
  if (kappa < 1e-6) {  // below this tau rounds to 2 and the rejection loop would never accept
    angle = (2 * uniform() - 1) * M_PI;
  } else if (kappa > 1e5) {
    angle = mu + normal() / std::sqrt(kappa);  // the von Mises is N(mu, 1/kappa) to within 1e-5 here
  } else {
    const double tau = 1 + std::sqrt(1 + 4 * kappa * kappa);
    const double rho = (tau - std::sqrt(2 * tau)) / (2 * kappa);
    const double r = (1 + rho * rho) / (2 * rho);
    for (;;) {
      const double z = std::cos(M_PI * uniform());
      const double f = (1 + r * z) / (r + z);
      const double c = kappa * (r - f);
      const double u2 = uniform();
      if (c * (2 - c) - u2 > 0 || std::log(c / u2) + 1 - c >= 0) {
        angle = mu + (uniform() > 0.5 ? 1 : -1) * std::acos(std::clamp(f, -1.0, 1.0));
        break;
      }
    }
  }
  return std::remainder(angle, 2 * M_PI);
}

Eigen::VectorXd Sampler::normal(const Eigen::VectorXd& mean, const Eigen::MatrixXd& covariance_cholesky) {
  Eigen::VectorXd z(mean.size());
  for (Eigen::Index i = 0; i < z.size(); ++i) z[i] = normal();
  return mean + covariance_cholesky * z;
}

Eigen::MatrixXd Sampler::inverse_wishart(const Eigen::MatrixXd& scale, double dof) {
  const Eigen::Index d = scale.rows();
  if (dof <= d - 1) throw ComputationError("inverse-Wishart with " + std::to_string(dof) + " degrees of freedom in dimension " + std::to_string(d));
  // Bartlett: W = L A A' L' ~ Wishart(scale^-1, dof) with L the Cholesky factor of scale^-1;
  // then W^-1 ~ IW(scale, dof).
  const Eigen::MatrixXd precision_scale = scale.inverse();
  const Eigen::MatrixXd L = precision_scale.llt().matrixL();
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(d, d);
  for (Eigen::Index i = 0; i < d; ++i) {
    A(i, i) = std::sqrt(2.0 * gamma((dof - static_cast<double>(i)) / 2.0));
    for (Eigen::Index j = 0; j < i; ++j) A(i, j) = normal();
  }
  const Eigen::MatrixXd LA = L * A;
  const Eigen::MatrixXd W = LA * LA.transpose();
  Eigen::MatrixXd out = W.inverse();
  return 0.5 * (out + out.transpose());
}

std::pair<Eigen::MatrixXd, Eigen::MatrixXd> Sampler::mniw(const Eigen::MatrixXd& M, const Eigen::MatrixXd& K,
                                                          const Eigen::MatrixXd& S, double nu) {
  Eigen::MatrixXd Q = inverse_wishart(S, nu);
  const Eigen::MatrixXd Lq = Q.llt().matrixL();
  const Eigen::MatrixXd Lk = K.llt().matrixL();
  Eigen::MatrixXd Z(M.rows(), M.cols());
  for (Eigen::Index i = 0; i < Z.rows(); ++i) {
    for (Eigen::Index j = 0; j < Z.cols(); ++j) Z(i, j) = normal();
  }
  return {M + Lq * Z * Lk.transpose(), std::move(Q)};
}

}  // namespace ethovid::moseq
