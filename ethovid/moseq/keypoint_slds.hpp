#pragma once
// The full keypoint SLDS of keypoint-moseq (docs/moseq.md): the AR-HMM drives a latent pose x,
// which becomes keypoints through the PCA map and the Helmert basis, is rotated by the heading h
// and moved by the centroid v, and is observed with per-keypoint, per-frame noise s:
//   Y_tk ~ N(R(h_t) (Gamma reshape(C x_t + d))_k + v_t,  s_tk sigmasq_k I),
//   v_t ~ N(v_{t-1}, sigmasq_loc I),   s_tk ~ Scaled-Inv-chi2(nu_s, s0_tk),
// with s0 from the keypoint's confidence. One Gibbs sweep: the AR-HMM steps on x, then x (exact
// sampling of its banded Gaussian posterior), h (von Mises), v (Kalman random walk) and s
// (inverse gamma).
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/banded_gaussian.hpp"

namespace ethovid::moseq {

struct ObservationHyperparams {
  double nu_s = 5;
  double sigmasq_loc = 0.5;
  bool fix_heading = false;
};

// One segment of observed keypoints.
struct KeypointSegment {
  Eigen::MatrixXd Y;     // T x K*D, keypoint-major
  Eigen::VectorXd mask;  // T
  Eigen::MatrixXd s0;    // T x K, prior noise scale of each keypoint
};

// The per-frame variables of one segment.
struct SegmentState {
  Eigen::MatrixXd x;  // T x latent_dim
  Eigen::MatrixXd v;  // T x D
  Eigen::VectorXd h;  // T
  Eigen::MatrixXd s;  // T x K
};

struct ObservationParams {
  Eigen::MatrixXd C;        // (K-1)*D x latent_dim
  Eigen::VectorXd d;        // (K-1)*D
  Eigen::VectorXd sigmasq;  // K (kept at 1, as keypoint-moseq does by default)
};

// s0 = 10^(2 (slope log10(conf + 1e-6) + intercept)): the noise prior from a confidence.
double noise_prior(double confidence, double slope, double intercept);

class KeypointSlds {
 public:
  KeypointSlds(const ArHmm& ar_hmm, ObservationParams params, ObservationHyperparams hyper, int keypoints, int dims);

  // The keypoints the state predicts for one frame, T x K*D (world coordinates).
  Eigen::MatrixXd predicted_keypoints(const SegmentState& state) const;
  // Keypoints relative to the centroid, unrotated (the pose the latents describe), T x K*D.
  Eigen::MatrixXd aligned_keypoints(const Eigen::MatrixXd& x) const;

  // One sweep over every segment. With `ar_only` only the AR-HMM steps run (x, v, h, s stay).
  // Returns the AR-HMM's marginal log-likelihood of x.
  double sweep(const std::vector<KeypointSegment>& data, std::vector<SegmentState>& states, ArHmmState& ar,
               Sampler& sampler, bool ar_only) const;

  // p(x | Y, v, h, s, z, A, Q) of one segment, assembled but not yet factored: the AR terms of
  // its syllables, the observations of its real frames, and a wide prior on the first nlags.
  BandedGaussian latent_posterior(const KeypointSegment& data, const SegmentState& state, const ArHmmState& ar,
                                  std::size_t segment) const;
  void sample_x(const KeypointSegment& data, SegmentState& state, const ArHmmState& ar, std::size_t segment,
                Sampler& sampler) const;
  void sample_heading(const KeypointSegment& data, SegmentState& state, Sampler& sampler) const;
  void sample_centroid(const KeypointSegment& data, SegmentState& state, Sampler& sampler) const;
  void sample_noise(const KeypointSegment& data, SegmentState& state, Sampler& sampler) const;

  static std::vector<LatentSequence> latents(const std::vector<KeypointSegment>& data,
                                             const std::vector<SegmentState>& states);

 private:
  const ArHmm& ar_hmm_;
  ObservationParams params_;
  ObservationHyperparams hyper_;
  int K_, D_;
  Eigen::MatrixXd lift_;  // (Gamma kron I_D): K*D x (K-1)*D
  // The latent pose's map to centred keypoints, y = observation_ x + observation_offset_
  // (K*D x latent_dim), and each keypoint's C_k' C_k as a column (latent_dim^2 x K).
  Eigen::MatrixXd observation_, keypoint_gram_;
  Eigen::VectorXd observation_offset_;
};

}  // namespace ethovid::moseq
