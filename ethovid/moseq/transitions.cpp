#include "ethovid/moseq/transitions.hpp"

#include <cmath>

namespace ethovid::moseq {

namespace {

Eigen::MatrixXd sample_rows(const Eigen::MatrixXd& counts, const Eigen::VectorXd& beta, const TransitionHyperparams& h,
                            Sampler& sampler) {
  const Eigen::Index S = beta.size();
  Eigen::MatrixXd pi(S, S);
  for (Eigen::Index i = 0; i < S; ++i) {
    Eigen::VectorXd concentration = counts.row(i).transpose() + h.alpha * beta;
    concentration[i] += h.kappa;
    pi.row(i) = sampler.dirichlet(concentration).transpose();
  }
  return pi;
}

}  // namespace

Transitions initial_transitions(const TransitionHyperparams& h, Sampler& sampler) {
  Transitions t;
  t.beta = sampler.dirichlet(Eigen::VectorXd::Constant(h.num_states, h.gamma / h.num_states));
  t.pi = sample_rows(Eigen::MatrixXd::Zero(h.num_states, h.num_states), t.beta, h, sampler);
  return t;
}

Transitions sample_transitions(const Eigen::MatrixXd& counts, const Transitions& current,
                               const TransitionHyperparams& h, Sampler& sampler) {
  const Eigen::Index S = counts.rows();
  // Table counts m_ij of the Chinese restaurant franchise: customer k of n_ij opens a new table
  // with probability c / (k + c), c = alpha*beta_j (+ kappa on the diagonal).
  Eigen::VectorXd table_totals = Eigen::VectorXd::Zero(S);
  for (Eigen::Index i = 0; i < S; ++i) {
    for (Eigen::Index j = 0; j < S; ++j) {
      const auto n = static_cast<long>(std::lround(counts(i, j)));
      if (n == 0) continue;
      const double base = h.alpha * current.beta[j];
      const double c = base + (i == j ? h.kappa : 0.0);
      long tables = 0;
      for (long k = 0; k < n; ++k) tables += sampler.uniform() < c / (static_cast<double>(k) + c) ? 1 : 0;
      if (i == j && tables > 0) {
        // Tables opened for stickiness do not count towards beta: keep each with
        // probability alpha*beta_i / (alpha*beta_i + kappa).
        const double keep = base / (base + h.kappa);
        long kept = 0;
        for (long k = 0; k < tables; ++k) kept += sampler.uniform() < keep ? 1 : 0;
        tables = kept;
      }
      table_totals[j] += static_cast<double>(tables);
    }
  }
  Transitions t;
  t.beta = sampler.dirichlet(table_totals.array() + h.gamma / static_cast<double>(S));
  t.pi = sample_rows(counts, t.beta, h, sampler);
  return t;
}

}  // namespace ethovid::moseq
