#include "ethovid/moseq/keypoint_slds.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/kalman.hpp"
#include "ethovid/moseq/preprocess.hpp"

namespace ethovid::moseq {

namespace {

constexpr double kUnobserved = 1e6;     // observation noise of a padded frame
constexpr double kFirstFrameVar = 10;   // prior variance of the first sampled frame

// A NaN or infinity must stop the fit at the step that made it, before anything is saved.
void require_finite(const Eigen::MatrixXd& values, const char* step) {
  if (!values.allFinite()) throw ComputationError(std::string("non-finite values after sampling ") + step);
}

// The frames up to the last real one. The padding after it is left out of x's posterior (no
// syllable or keypoint constrains it, and with unstable dynamics its variance grows without
// bound: a near-singular precision) and of the heading and noise draws. Its values stay;
// nothing reads them.
Eigen::Index real_frames(const KeypointSegment& data) {
  Eigen::Index frames = data.mask.size();
  while (frames > 0 && data.mask[frames - 1] == 0) --frames;
  return frames;
}

}  // namespace

double noise_prior(double confidence, double slope, double intercept) {
  return std::pow(10.0, 2 * (slope * std::log10(confidence + 1e-6) + intercept));
}

KeypointSlds::KeypointSlds(const ArHmm& ar_hmm, ObservationParams params, ObservationHyperparams hyper, int keypoints,
                           int dims)
    : ar_hmm_(ar_hmm), params_(std::move(params)), hyper_(hyper), K_(keypoints), D_(dims) {
  const Eigen::MatrixXd gamma = center_embedding(K_);
  lift_ = Eigen::MatrixXd::Zero(K_ * D_, (K_ - 1) * D_);
  for (int k = 0; k < K_; ++k) {
    for (int i = 0; i < K_ - 1; ++i) {
      for (int j = 0; j < D_; ++j) lift_(k * D_ + j, i * D_ + j) = gamma(k, i);
    }
  }
  if (params_.sigmasq.size() == 0) params_.sigmasq = Eigen::VectorXd::Ones(K_);
  observation_ = lift_ * params_.C;
  observation_offset_ = lift_ * params_.d;
  const Eigen::Index L = params_.C.cols();
  keypoint_gram_.resize(L * L, K_);
  for (int k = 0; k < K_; ++k) {
    const auto Ck = observation_.middleRows(k * D_, D_);
    keypoint_gram_.col(k) = (Ck.transpose() * Ck).reshaped();
  }
}

Eigen::MatrixXd KeypointSlds::aligned_keypoints(const Eigen::MatrixXd& x) const {
  const Eigen::MatrixXd embedded = (x * params_.C.transpose()).rowwise() + params_.d.transpose();
  return embedded * lift_.transpose();
}

Eigen::MatrixXd KeypointSlds::predicted_keypoints(const SegmentState& state) const {
  Eigen::MatrixXd out = aligned_keypoints(state.x);
  for (Eigen::Index t = 0; t < out.rows(); ++t) {
    const double c = std::cos(state.h[t]), s = std::sin(state.h[t]);
    for (int k = 0; k < K_; ++k) {
      const double ax = out(t, k * D_), ay = out(t, k * D_ + 1);
      out(t, k * D_) = c * ax - s * ay;
      out(t, k * D_ + 1) = s * ax + c * ay;
      for (int j = 0; j < D_; ++j) out(t, k * D_ + j) += state.v(t, j);
    }
  }
  return out;
}

std::vector<LatentSequence> KeypointSlds::latents(const std::vector<KeypointSegment>& data,
                                                  const std::vector<SegmentState>& states) {
  std::vector<LatentSequence> out;
  for (std::size_t n = 0; n < data.size(); ++n) out.push_back({states[n].x, data[n].mask});
  return out;
}

BandedGaussian KeypointSlds::latent_posterior(const KeypointSegment& data, const SegmentState& state,
                                             const ArHmmState& ar, std::size_t segment) const {
  const int L = ar_hmm_.latent_dim(), lags = ar_hmm_.ar_hyperparams().nlags;
  const Eigen::Index T = real_frames(data);
  BandedGaussian posterior(T, L, lags);
  // The first nlags frames, which no syllable predicts, get a wide prior around zero.
  for (Eigen::Index t = 0; t < std::min<Eigen::Index>(lags, T); ++t) {
    posterior.diagonal_block(t).diagonal().array() += 1.0 / kFirstFrameVar;
  }
  // Dynamics: syllable z[j] predicts frame j + nlags from frames j .. j + nlags - 1, so its
  // residual r = [-A, I] x_{j..j+nlags} - b adds [-A, I]' Q^-1 [-A, I] and [-A, I]' Q^-1 b over
  // those frames; each syllable's terms are formed once.
  const auto& z = ar.z[segment];
  const std::size_t S = ar.ar.Ab.size();
  std::vector<Eigen::MatrixXd> J(S);
  std::vector<Eigen::VectorXd> h(S);
  for (std::size_t j = 0; j + static_cast<std::size_t>(lags) < static_cast<std::size_t>(T); ++j) {
    const auto s = static_cast<std::size_t>(z[j]);
    if (J[s].size() == 0) {
      Eigen::MatrixXd M(L, (lags + 1) * L);
      M.leftCols(lags * L) = -ar.ar.Ab[s].leftCols(lags * L);
      M.rightCols(L).setIdentity();
      const Eigen::LLT<Eigen::MatrixXd> noise(ar.ar.Q[s]);
      if (noise.info() != Eigen::Success) {
        throw ComputationError("the noise covariance of syllable " + std::to_string(s) + " is not positive definite");
      }
      const Eigen::MatrixXd whitened = noise.solve(M);  // Q^-1 [-A, I]
      J[s] = M.transpose() * whitened;
      h[s] = whitened.transpose() * ar.ar.Ab[s].col(lags * L);
    }
    posterior.add_precision(static_cast<Eigen::Index>(j), J[s]);
    Eigen::Map<Eigen::VectorXd>(posterior.linear().col(static_cast<Eigen::Index>(j)).data(), (lags + 1) * L) += h[s];
  }
  // Observations, in the animal's frame (Y - v rotated by -h): y_t = C x_t + d + noise with
  // variance s_tk sigmasq_k per keypoint. Padding frames are not observed.
  const Eigen::VectorXd& d = observation_offset_;
  Eigen::MatrixXd weights(K_, T), residual(K_ * D_, T);
  for (Eigen::Index t = 0; t < T; ++t) {
    const double c = std::cos(-state.h[t]), s = std::sin(-state.h[t]);
    for (int k = 0; k < K_; ++k) {
      const double w = data.mask[t] == 0 ? 0.0 : 1.0 / (state.s(t, k) * params_.sigmasq[k]);
      const double px = data.Y(t, k * D_) - state.v(t, 0), py = data.Y(t, k * D_ + 1) - state.v(t, 1);
      weights(k, t) = w;
      residual(k * D_, t) = w * (c * px - s * py - d[k * D_]);
      residual(k * D_ + 1, t) = w * (s * px + c * py - d[k * D_ + 1]);
      if (D_ == 3) residual(k * D_ + 2, t) = w * (data.Y(t, k * D_ + 2) - state.v(t, 2) - d[k * D_ + 2]);
    }
  }
  // C' W C = sum_k w_k C_k' C_k: every frame's term from one product with the keypoints' C_k' C_k.
  const Eigen::MatrixXd observed = keypoint_gram_ * weights;
  for (Eigen::Index t = 0; t < T; ++t) posterior.diagonal_block(t) += observed.col(t).reshaped(L, L);
  posterior.linear().noalias() += observation_.transpose() * residual;
  return posterior;
}

void KeypointSlds::sample_x(const KeypointSegment& data, SegmentState& state, const ArHmmState& ar, std::size_t segment,
                            Sampler& sampler) const {
  BandedGaussian posterior = latent_posterior(data, state, ar, segment);
  posterior.factor();
  state.x.topRows(posterior.frames()) = posterior.sample(sampler).transpose();
}

void KeypointSlds::sample_heading(const KeypointSegment& data, SegmentState& state, Sampler& sampler) const {
  const Eigen::MatrixXd aligned = aligned_keypoints(state.x);
  const Eigen::Index T = real_frames(data);
  for (Eigen::Index t = 0; t < T; ++t) {
    // log p(h) = kcos cos h + ksin sin h + const: sum_k w_k (Y_k - v)' R(h) Ybar_k.
    double s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    for (int k = 0; k < K_; ++k) {
      const double w = 1.0 / (state.s(t, k) * params_.sigmasq[k]);
      const double bx = aligned(t, k * D_), by = aligned(t, k * D_ + 1);
      const double yx = data.Y(t, k * D_) - state.v(t, 0), yy = data.Y(t, k * D_ + 1) - state.v(t, 1);
      s00 += w * bx * yx, s01 += w * bx * yy, s10 += w * by * yx, s11 += w * by * yy;
    }
    const double kcos = s00 + s11, ksin = s01 - s10;
    state.h[t] = sampler.von_mises(std::atan2(ksin, kcos), std::hypot(kcos, ksin));
  }
}

void KeypointSlds::sample_centroid(const KeypointSegment& data, SegmentState& state, Sampler& sampler) const {
  const Eigen::Index T = data.Y.rows();
  SegmentState rotated_only = state;
  rotated_only.v.setZero();
  const Eigen::MatrixXd posed = predicted_keypoints(rotated_only);  // R(h) Ybar, no centroid
  Eigen::MatrixXd mu(T, D_), noise(T, D_);
  for (Eigen::Index t = 0; t < T; ++t) {
    double total = 0;
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(D_);
    for (int k = 0; k < K_; ++k) {
      const double w = 1.0 / (state.s(t, k) * params_.sigmasq[k]);
      total += w;
      for (int j = 0; j < D_; ++j) sum[j] += w * (data.Y(t, k * D_ + j) - posed(t, k * D_ + j));
    }
    mu.row(t) = sum / total;
    noise.row(t).setConstant(data.mask[t] == 0 ? kUnobserved : 1.0 / total);
  }
  LinearGaussianModel m;
  m.dynamics = {Eigen::MatrixXd::Identity(D_, D_), hyper_.sigmasq_loc * Eigen::MatrixXd::Identity(D_, D_),
                Eigen::VectorXd::Zero(D_)};
  m.C = Eigen::MatrixXd::Identity(D_, D_);
  m.d = Eigen::VectorXd::Zero(D_);
  m.m0 = mu.row(0).transpose();  // a wide prior around the first estimate
  m.S0 = 1e4 * Eigen::MatrixXd::Identity(D_, D_);
  state.v = sample_kalman(m, mu, noise, sampler);
}

void KeypointSlds::sample_noise(const KeypointSegment& data, SegmentState& state, Sampler& sampler) const {
  const Eigen::MatrixXd predicted = predicted_keypoints(state);
  const double shape = (hyper_.nu_s + D_) / 2;  // the conjugate update (keypoint-moseq uses nu_s + 3)
  const Eigen::Index T = real_frames(data);
  for (Eigen::Index t = 0; t < T; ++t) {
    for (int k = 0; k < K_; ++k) {
      const double error = (data.Y.row(t).segment(k * D_, D_) - predicted.row(t).segment(k * D_, D_)).squaredNorm();
      const double scale = (hyper_.nu_s * data.s0(t, k) + error / params_.sigmasq[k]) / 2;
      state.s(t, k) = scale / sampler.gamma(shape);
    }
  }
}

double KeypointSlds::sweep(const std::vector<KeypointSegment>& data, std::vector<SegmentState>& states, ArHmmState& ar,
                           Sampler& sampler, bool ar_only) const {
  const double log_likelihood = ar_hmm_.sweep(latents(data, states), ar, sampler);
  if (ar_only) return log_likelihood;
  std::vector<std::uint64_t> seeds(data.size());
  for (auto& seed : seeds) seed = sampler.engine()();
  std::vector<std::string> failures(data.size());
#pragma omp parallel for schedule(dynamic)
  for (std::size_t n = 0; n < data.size(); ++n) {
    try {
      Sampler own(seeds[n]);
      sample_x(data[n], states[n], ar, n, own);
      require_finite(states[n].x, "the latent pose x");
      if (!hyper_.fix_heading) sample_heading(data[n], states[n], own);
      require_finite(states[n].h, "the heading h");
      sample_centroid(data[n], states[n], own);
      require_finite(states[n].v, "the centroid v");
      sample_noise(data[n], states[n], own);
      require_finite(states[n].s, "the noise scales s");
    } catch (const std::exception& e) {
      failures[n] = e.what();
    }
  }
  for (std::size_t n = 0; n < data.size(); ++n) {
    if (!failures[n].empty()) throw ComputationError("keypoint SLDS, segment " + std::to_string(n) + ": " + failures[n]);
  }
  return log_likelihood;
}

}  // namespace ethovid::moseq
