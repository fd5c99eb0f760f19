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
  Pca pca;         // of the embedded, aligned poses
  int latent_dim;  // as set, or the components explaining 90 % of the variance
};

SldsInit initialize_slds(const std::vector<KeypointSegment>& data, int keypoints, int dims,
                         const std::vector<int>& anterior, const std::vector<int>& posterior,
                         std::optional<int> latent_dim, std::int64_t pca_max_frames, std::uint64_t seed);

}  // namespace ethovid::moseq
