#include "ethovid/moseq/hmm.hpp"

#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

HmmDraw sample_states(const Eigen::MatrixXd& log_likelihoods, const Eigen::MatrixXd& transitions,
                      const Eigen::VectorXd& initial, Sampler& sampler) {
  const Eigen::Index T = log_likelihoods.rows(), S = log_likelihoods.cols();
  HmmDraw draw;
  if (T == 0) return draw;
  // filtered.row(t) = p(z_t | y_1..t); each step is scaled by its largest likelihood first so
  // nothing underflows, and the scales go into the marginal.
  Eigen::MatrixXd filtered(T, S);
  Eigen::RowVectorXd predicted = initial.transpose();
  for (Eigen::Index t = 0; t < T; ++t) {
    const double top = log_likelihoods.row(t).maxCoeff();
    if (!std::isfinite(top)) throw ComputationError("state log-likelihoods at step " + std::to_string(t) + " are not finite");
    const Eigen::RowVectorXd joint = predicted.array() * (log_likelihoods.row(t).array() - top).exp();
    const double total = joint.sum();
    if (!(total > 0)) throw ComputationError("no state can explain step " + std::to_string(t));
    draw.log_marginal += top + std::log(total);
    filtered.row(t) = joint / total;
    predicted = filtered.row(t) * transitions;
  }
  draw.states.resize(static_cast<std::size_t>(T));
  Eigen::VectorXd weights = filtered.row(T - 1).transpose();
  draw.states[static_cast<std::size_t>(T - 1)] = sampler.categorical_log(weights.array().log().matrix());
  for (Eigen::Index t = T - 2; t >= 0; --t) {
    const int next = draw.states[static_cast<std::size_t>(t + 1)];
    weights = filtered.row(t).transpose().array() * transitions.col(next).array();
    draw.states[static_cast<std::size_t>(t)] = sampler.categorical_log(weights.array().log().matrix());
  }
  return draw;
}

}  // namespace ethovid::moseq
