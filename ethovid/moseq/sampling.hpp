#pragma once
// Random draws the Gibbs samplers need, from one seeded generator so a fit is reproducible:
// gamma, Dirichlet, categorical in log space, multivariate normal, inverse-Wishart and matrix
// normal-inverse-Wishart (MNIW) posteriors.
#include <cstdint>
#include <random>
#include <string>

#include <Eigen/Dense>

namespace ethovid::moseq {

class Sampler {
 public:
  explicit Sampler(std::uint64_t seed) : engine_(seed) {}

  double uniform();                        // (0, 1)
  double normal();                         // N(0, 1)
  double gamma(double shape, double scale = 1.0);
  Eigen::VectorXd dirichlet(const Eigen::VectorXd& concentration);
  // Index i with probability proportional to weights[i] (non-negative, not all zero).
  int categorical(const Eigen::Ref<const Eigen::VectorXd>& weights);
  // von Mises(mu, kappa) on (-pi, pi] (Best & Fisher); the normal limit for very large kappa.
  double von_mises(double mu, double kappa);
  // N(mean, covariance) given the lower Cholesky factor of the covariance.
  Eigen::VectorXd normal(const Eigen::VectorXd& mean, const Eigen::MatrixXd& covariance_cholesky);
  // Inverse-Wishart(scale, dof): the covariance prior of the AR noise.
  Eigen::MatrixXd inverse_wishart(const Eigen::MatrixXd& scale, double dof);
  // (A, Q) from MNIW(M, K, S, nu): Q ~ IW(S, nu), A | Q ~ MN(M, Q, K), i.e. vec(A) has
  // covariance K (x) Q. K is the column covariance (inputs), Q the row covariance (outputs).
  std::pair<Eigen::MatrixXd, Eigen::MatrixXd> mniw(const Eigen::MatrixXd& M, const Eigen::MatrixXd& K,
                                                   const Eigen::MatrixXd& S, double nu);

  std::mt19937_64& engine() { return engine_; }
  // The whole generator state (engine and the normal draw libstdc++ keeps in hand), as text, so
  // a resumed fit continues exactly.
  std::string save_state() const;
  void restore_state(const std::string& text);

 private:
  std::mt19937_64 engine_;
  std::normal_distribution<double> standard_normal_;
};

}  // namespace ethovid::moseq
