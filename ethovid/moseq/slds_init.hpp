#pragma once
// The first state of the keypoint SLDS from the keypoints alone (keypoint-moseq's init): centroid
// = mean keypoint, heading from the anterior and posterior bodyparts, the aligned pose through the
// Helmert basis and PCA; the latents are whitened (so the AR priors see unit-variance dynamics)
// and the PCA map becomes the observation matrix C with offset d; noise scales start at s0.
#include <optional>
#include <vector>

#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/preprocess.hpp"

namespace ethovid::moseq {

struct SldsInit {
  ObservationParams params;
  std::vector<SegmentState> states;
  Pca pca;              // of the embedded, aligned poses
  int latent_dim;       // as set, or the components explaining 90 % of the variance, at most `auto_cap`
  int variance_rule;    // the components explaining 90 % of the variance
};

// Without a set `latent_dim`, the 90 % rule applies, but never above `auto_cap` (>= 1).
SldsInit initialize_slds(const std::vector<KeypointSegment>& data, int keypoints, int dims,
                         const std::vector<int>& anterior, const std::vector<int>& posterior,
                         std::optional<int> latent_dim, std::int64_t pca_max_frames, std::uint64_t seed,
                         int auto_cap = 1 << 30);

// The largest latent dimension whose AR(nlags) syllables the data can support: each syllable's
// D x (D * nlags + 1) dynamics need about as many frames as it has parameters, and `frames` are
// shared by `num_states` syllables (with a margin of 1.5). With fewer frames, syllables fit
// single frames exactly and the fit falls into one-frame syllables whatever kappa is.
int supported_latent_dim(std::int64_t frames, int num_states, int nlags);

}  // namespace ethovid::moseq
