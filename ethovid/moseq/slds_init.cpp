#include "ethovid/moseq/slds_init.hpp"

#include <algorithm>
#include <cmath>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

SldsInit initialize_slds(const std::vector<KeypointSegment>& data, int K, int D, const std::vector<int>& anterior,
                         const std::vector<int>& posterior, std::optional<int> latent_dim, std::int64_t pca_max_frames,
                         std::uint64_t seed, int auto_cap) {
  SldsInit init;
  std::vector<Eigen::MatrixXd> embedded;
  Eigen::Index real_rows = 0;
  for (const auto& segment : data) {
    // The segment's rows as a recording, to reuse the alignment of the preprocessing.
    PoseRecording rows;
    rows.bodyparts.resize(static_cast<std::size_t>(K));
    rows.dims = D;
    rows.frames = segment.Y.rows();
    rows.coordinates.resize(static_cast<std::size_t>(segment.Y.size()));
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(rows.coordinates.data(), segment.Y.rows(),
                                                                                      segment.Y.cols()) = segment.Y;
    const Aligned aligned = align_egocentric(rows, anterior, posterior);
    SegmentState state;
    state.v = aligned.centroid;
    state.h = aligned.heading;
    state.s = segment.s0;
    init.states.push_back(std::move(state));
    embedded.push_back(embed_poses(aligned.pose, K, D));
    real_rows += static_cast<Eigen::Index>(segment.mask.sum());
  }
  // PCA on the real (unpadded) frames.
  Eigen::MatrixXd rows(real_rows, (K - 1) * D);
  Eigen::Index next = 0;
  for (std::size_t n = 0; n < data.size(); ++n) {
    for (Eigen::Index t = 0; t < data[n].mask.size(); ++t) {
      if (data[n].mask[t] != 0) rows.row(next++) = embedded[n].row(t);
    }
  }
  init.pca = fit_pca(rows, pca_max_frames, seed);
  if (latent_dim && *latent_dim > (K - 1) * D) {
    throw ConfigError("latent_dim = " + std::to_string(*latent_dim) + " is more than the pose has: (keypoints - 1) x " +
                      std::to_string(D) + " = " + std::to_string((K - 1) * D));
  }
  init.variance_rule = init.pca.components_for(0.9);
  init.latent_dim = latent_dim ? *latent_dim : std::max(1, std::min(init.variance_rule, auto_cap));
  const int L = init.latent_dim;
  // Whitening: W W' = cov(latents), C = components W, x = W^-1 latents, so C x is unchanged.
  const Eigen::MatrixXd latents = init.pca.project(rows, L);
  const Eigen::MatrixXd centred = latents.rowwise() - latents.colwise().mean();
  const Eigen::MatrixXd cov = centred.transpose() * centred / std::max<double>(1.0, static_cast<double>(latents.rows() - 1));
  const Eigen::LLT<Eigen::MatrixXd> llt(cov + 1e-9 * Eigen::MatrixXd::Identity(L, L));
  if (llt.info() != Eigen::Success) throw ComputationError("the pose latents have no variance to whiten");
  const Eigen::MatrixXd W = llt.matrixL();
  init.params.C = init.pca.components.leftCols(L) * W;
  init.params.d = init.pca.mean;
  init.params.sigmasq = Eigen::VectorXd::Ones(K);
  for (std::size_t n = 0; n < data.size(); ++n) {
    const Eigen::MatrixXd z = init.pca.project(embedded[n], L);
    init.states[n].x = W.triangularView<Eigen::Lower>().solve(z.transpose()).transpose();
  }
  return init;
}

int supported_latent_dim(std::int64_t frames, int num_states, int nlags) {
  const double budget = 1.5 * static_cast<double>(frames) / std::max(1, num_states);
  int dim = 1;
  while ((dim + 1) * ((dim + 1) * nlags + 1) <= budget) ++dim;
  return dim;
}

}  // namespace ethovid::moseq
