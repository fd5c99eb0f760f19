#include "ethovid/moseq/hmm.hpp"

#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

HmmDraw sample_states(const Eigen::MatrixXd& log_likelihoods, const Eigen::MatrixXd& transitions,
                      const Eigen::VectorXd& initial, Sampler& sampler) {
  const Eigen::Index S = log_likelihoods.rows(), T = log_likelihoods.cols();
  HmmDraw draw;
  if (T == 0) return draw;
  // filtered.col(t) = p(z_t | y_1..t); each step is scaled by its largest likelihood first so
  // nothing underflows, and the scales go into the marginal.
  Eigen::MatrixXd filtered(S, T);
  const Eigen::MatrixXd transposed = transitions.transpose();  // predicted = P' filtered: contiguous rows
  Eigen::VectorXd predicted = initial;
  for (Eigen::Index t = 0; t < T; ++t) {
    const double top = log_likelihoods.col(t).maxCoeff();
    if (!std::isfinite(top)) throw ComputationError("state log-likelihoods at step " + std::to_string(t) + " are not finite");
    auto joint = filtered.col(t);
    joint = predicted.cwiseProduct((log_likelihoods.col(t).array() - top).exp().matrix());
    const double total = joint.sum();
    if (!(total > 0)) throw ComputationError("no state can explain step " + std::to_string(t));
    draw.log_marginal += top + std::log(total);
    joint /= total;
    predicted.noalias() = transposed * joint;
  }
  draw.states.resize(static_cast<std::size_t>(T));
  draw.states[static_cast<std::size_t>(T - 1)] = sampler.categorical(filtered.col(T - 1));
  Eigen::VectorXd weights(S);
  for (Eigen::Index t = T - 2; t >= 0; --t) {
    const int next = draw.states[static_cast<std::size_t>(t + 1)];
    weights = filtered.col(t).cwiseProduct(transitions.col(next));
    draw.states[static_cast<std::size_t>(t)] = sampler.categorical(weights);
  }
  return draw;
}

}  // namespace ethovid::moseq
