#include "ethovid/moseq/ar_hmm.hpp"

#include <cmath>
#include <numbers>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/hmm.hpp"

namespace ethovid::moseq {

void lagged(const Eigen::MatrixXd& x, int nlags, Eigen::MatrixXd& inputs, Eigen::MatrixXd& outputs) {
  const Eigen::Index T = x.rows(), D = x.cols(), steps = std::max<Eigen::Index>(0, T - nlags);
  inputs.resize(steps, D * nlags + 1);
  outputs = x.bottomRows(steps);
  for (Eigen::Index t = 0; t < steps; ++t) {
    for (int lag = 0; lag < nlags; ++lag) inputs.block(t, lag * D, 1, D) = x.row(t + lag);
    inputs(t, D * nlags) = 1.0;
  }
}

ArHmm::ArHmm(ArHyperparams ar, TransitionHyperparams transitions, int latent_dim)
    : ar_(ar), trans_(transitions), dim_(latent_dim) {
  if (ar_.nlags < 1) throw ConfigError("nlags = " + std::to_string(ar_.nlags) + " must be >= 1");
  if (dim_ < 1) throw ConfigError("latent_dim = " + std::to_string(dim_) + " must be >= 1");
  if (trans_.num_states < 1) throw ConfigError("num_states = " + std::to_string(trans_.num_states) + " must be >= 1");
  const int inputs = dim_ * ar_.nlags + 1;
  M0_ = Eigen::MatrixXd::Zero(dim_, inputs);
  M0_.block(0, dim_ * (ar_.nlags - 1), dim_, dim_).setIdentity();  // x_t ~ x_{t-1} a priori
  K0_inverse_ = Eigen::MatrixXd::Identity(inputs, inputs) / ar_.K_0_scale;
  S0_ = Eigen::MatrixXd::Identity(dim_, dim_) * ar_.S_0_scale;
  nu0_ = dim_ + 2.0;
}

Eigen::MatrixXd ArHmm::state_log_likelihoods(const LatentSequence& sequence, const ArParams& ar) const {
  const Eigen::Index T = sequence.x.rows(), steps = std::max<Eigen::Index>(0, T - ar_.nlags);
  const Eigen::Index S = static_cast<Eigen::Index>(ar.Ab.size()), p = dim_ * ar_.nlags + 1;
  // With Q_s = L_s L_s', syllable s's whitened residual at step t is
  //   L_s^-1 (x_t - Ab_s u_t) = [-L_s^-1 Ab_s, L_s^-1] [u_t; x_t],
  // so one product of every syllable's stacked map (S·D x p+D) with the stacked [u; x] gives
  // all the residuals at once, instead of S small products and S triangular solves.
  Eigen::MatrixXd whiten(S * dim_, p + dim_);
  Eigen::VectorXd constant(S);
  const double log_2pi = std::log(2 * std::numbers::pi);
  for (Eigen::Index s = 0; s < S; ++s) {
    const Eigen::LLT<Eigen::MatrixXd> chol(ar.Q[static_cast<std::size_t>(s)]);
    if (chol.info() != Eigen::Success) throw ComputationError("the noise covariance of syllable " + std::to_string(s) + " is not positive definite");
    const auto L = chol.matrixL();
    whiten.block(s * dim_, 0, dim_, p) = -L.solve(ar.Ab[static_cast<std::size_t>(s)]);
    whiten.block(s * dim_, p, dim_, dim_) = L.solve(Eigen::MatrixXd::Identity(dim_, dim_));
    constant[s] = -0.5 * (dim_ * log_2pi + 2 * chol.matrixLLT().diagonal().array().log().sum());
  }
  Eigen::MatrixXd ll(S, steps);
  // Steps in chunks, so the residuals of one chunk (S·D x chunk) stay in cache.
  constexpr Eigen::Index kChunk = 256;
  Eigen::MatrixXd inputs(p + dim_, kChunk), residuals(S * dim_, kChunk);
  for (Eigen::Index first = 0; first < steps; first += kChunk) {
    const Eigen::Index n = std::min(kChunk, steps - first);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::Index t = first + i;  // predicts frame t + nlags
      for (int lag = 0; lag < ar_.nlags; ++lag) inputs.col(i).segment(lag * dim_, dim_) = sequence.x.row(t + lag).transpose();
      inputs(p - 1, i) = 1.0;
      inputs.col(i).tail(dim_) = sequence.x.row(t + ar_.nlags).transpose();
    }
    residuals.leftCols(n).noalias() = whiten * inputs.leftCols(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::Index t = first + i;
      if (sequence.mask[t + ar_.nlags] == 0) {
        ll.col(t).setZero();  // padding explains nothing
        continue;
      }
      for (Eigen::Index s = 0; s < S; ++s) {
        ll(s, t) = constant[s] - 0.5 * residuals.col(i).segment(s * dim_, dim_).squaredNorm();
      }
    }
  }
  return ll;
}

ArHmmState ArHmm::initialize(const std::vector<LatentSequence>& data, Sampler& sampler) const {
  ArHmmState state;
  const Eigen::MatrixXd K0 = K0_inverse_.inverse();
  for (int s = 0; s < trans_.num_states; ++s) {
    auto [A, Q] = sampler.mniw(M0_, K0, S0_, nu0_);
    state.ar.Ab.push_back(std::move(A));
    state.ar.Q.push_back(std::move(Q));
  }
  state.transitions = initial_transitions(trans_, sampler);
  state.z.resize(data.size());
  sample_z(data, state, sampler);
  return state;
}

double ArHmm::sweep(const std::vector<LatentSequence>& data, ArHmmState& state, Sampler& sampler) const {
  state.transitions = sample_transitions(transition_counts(data, state), state.transitions, trans_, sampler);
  if (!state.transitions.pi.allFinite()) throw ComputationError("non-finite values after sampling the transitions");
  sample_ar(data, state, sampler);
  for (std::size_t s = 0; s < state.ar.Ab.size(); ++s) {
    if (!state.ar.Ab[s].allFinite() || !state.ar.Q[s].allFinite()) {
      throw ComputationError("non-finite values after sampling the AR parameters of syllable " + std::to_string(s));
    }
  }
  const double log_likelihood = sample_z(data, state, sampler);
  if (!std::isfinite(log_likelihood)) throw ComputationError("the log-likelihood after sampling the syllables is not finite");
  return log_likelihood;
}

Eigen::MatrixXd ArHmm::transition_counts(const std::vector<LatentSequence>& data, const ArHmmState& state) const {
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(trans_.num_states, trans_.num_states);
  for (std::size_t n = 0; n < data.size(); ++n) {
    const auto& z = state.z[n];
    for (std::size_t t = 1; t < z.size(); ++t) {
      if (data[n].mask[static_cast<Eigen::Index>(t) + ar_.nlags] != 0) counts(z[t - 1], z[t]) += 1;
    }
  }
  return counts;
}

void ArHmm::sample_ar(const std::vector<LatentSequence>& data, ArHmmState& state, Sampler& sampler) const {
  const int S = trans_.num_states, inputs_dim = dim_ * ar_.nlags + 1;
  std::vector<Eigen::MatrixXd> Sinin(S, Eigen::MatrixXd::Zero(inputs_dim, inputs_dim));
  std::vector<Eigen::MatrixXd> Soutin(S, Eigen::MatrixXd::Zero(dim_, inputs_dim));
  std::vector<Eigen::MatrixXd> Soutout(S, Eigen::MatrixXd::Zero(dim_, dim_));
  std::vector<double> n(S, 0.0);
  for (std::size_t seq = 0; seq < data.size(); ++seq) {
    Eigen::MatrixXd inputs, outputs;
    lagged(data[seq].x, ar_.nlags, inputs, outputs);
    // Rows grouped by state, then one product per state.
    std::vector<std::vector<Eigen::Index>> rows(S);
    for (Eigen::Index t = 0; t < outputs.rows(); ++t) {
      if (data[seq].mask[t + ar_.nlags] != 0) rows[static_cast<std::size_t>(state.z[seq][static_cast<std::size_t>(t)])].push_back(t);
    }
    for (int s = 0; s < S; ++s) {
      if (rows[s].empty()) continue;
      const Eigen::MatrixXd in = inputs(rows[s], Eigen::all), out = outputs(rows[s], Eigen::all);
      Sinin[s] += in.transpose() * in;
      Soutin[s] += out.transpose() * in;
      Soutout[s] += out.transpose() * out;
      n[s] += static_cast<double>(rows[s].size());
    }
  }
  const Eigen::MatrixXd M0K0inv = M0_ * K0_inverse_;
  for (int s = 0; s < S; ++s) {
    const Eigen::MatrixXd Kn_inverse = K0_inverse_ + Sinin[s];
    Eigen::MatrixXd Kn = Kn_inverse.llt().solve(Eigen::MatrixXd::Identity(inputs_dim, inputs_dim));
    Kn = 0.5 * (Kn + Kn.transpose());
    const Eigen::MatrixXd Mn = (M0K0inv + Soutin[s]) * Kn;
    Eigen::MatrixXd Sn = S0_ + Soutout[s] + M0K0inv * M0_.transpose() - Mn * Kn_inverse * Mn.transpose();
    Sn = 0.5 * (Sn + Sn.transpose()) + 1e-6 * Eigen::MatrixXd::Identity(dim_, dim_);
    auto [A, Q] = sampler.mniw(Mn, Kn, Sn, nu0_ + n[s]);
    state.ar.Ab[static_cast<std::size_t>(s)] = std::move(A);
    state.ar.Q[static_cast<std::size_t>(s)] = std::move(Q);
  }
}

double ArHmm::sample_z(const std::vector<LatentSequence>& data, ArHmmState& state, Sampler& sampler) const {
  const Eigen::VectorXd initial = Eigen::VectorXd::Constant(trans_.num_states, 1.0 / trans_.num_states);
  // Each sequence gets its own generator, seeded in order here, so the result does not depend on
  // how sequences are spread over threads.
  std::vector<std::uint64_t> seeds(data.size());
  for (auto& seed : seeds) seed = sampler.engine()();
  std::vector<double> marginals(data.size(), 0.0);
  std::vector<std::string> failures(data.size());
#pragma omp parallel for schedule(dynamic)
  for (std::size_t n = 0; n < data.size(); ++n) {
    try {
      Sampler own(seeds[n]);
      HmmDraw draw = sample_states(state_log_likelihoods(data[n], state.ar), state.transitions.pi, initial, own);
      state.z[n] = std::move(draw.states);
      marginals[n] = draw.log_marginal;
    } catch (const std::exception& e) {
      failures[n] = e.what();
    }
  }
  double total = 0;
  for (std::size_t n = 0; n < data.size(); ++n) {
    if (!failures[n].empty()) throw ComputationError("sampling syllables of sequence " + std::to_string(n) + ": " + failures[n]);
    total += marginals[n];
  }
  return total;
}

}  // namespace ethovid::moseq
