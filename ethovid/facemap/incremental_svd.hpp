#pragma once
// Facemap's motion/movie SVD, memory-bounded. Facemap takes up to 15 chunks of 1000 binned frames
// spread over the video, keeps each chunk's top-K left singular vectors scaled by their singular
// values (U_i S_i), stacks them side by side and takes a second SVD of the stack. Because
// [U_1 S_1 ... U_n S_n] [..]^T = sum_i X_i X_i^T, that second SVD's left vectors and singular
// values are those of all sampled (centred) frames, up to the per-chunk truncation to K.
//
// Here the stack is never materialised: after each chunk the running (U, S) is merged with the
// chunk's (U_i, S_i) by an SVD of [U S, U_i S_i], whose Gram matrix is known in closed form
// because U and U_i have orthonormal columns. Memory is pixels x 2K; the singular values
// returned are those of the whole sample (not of the last chunk only).
#include <Eigen/Dense>

namespace ethovid::facemap {

struct SvdBasis {
  Eigen::MatrixXf components;       // pixels x K, orthonormal columns, strongest first
  Eigen::VectorXf singular_values;  // K, descending, of the sampled centred data
};

class IncrementalSvd {
 public:
  // `max_components` = K, kept after every merge; each chunk keeps at most
  // min(chunk_components, frames in chunk - 1) of its own (Facemap keeps 250 per chunk when
  // there are several chunks, K when there is one).
  IncrementalSvd(Eigen::Index pixels, int max_components, int chunk_components);

  // One chunk: pixels x frames, already centred (the average frame or motion subtracted).
  // ComputationError when the data hold NaN/infinity or the eigensolver fails.
  void add_chunk(const Eigen::Ref<const Eigen::MatrixXf>& chunk);

  // The merged basis. Each component's sign is fixed so that its largest-magnitude pixel is
  // positive (SVD signs are arbitrary; this makes runs comparable).
  SvdBasis finish() const;

  int chunks() const { return chunks_; }

 private:
  Eigen::Index pixels_;
  int max_components_;
  int chunk_components_;
  int chunks_ = 0;
  Eigen::MatrixXf basis_;    // U, pixels x k
  Eigen::VectorXf values_;   // S, k
};

// Top `k` left singular vectors and values of `data` (pixels x n) through the n x n Gram matrix
// (float products summed in double, eigen-solved in double). Components whose eigenvalue is below
// 1e-10 of the largest (singular value below 1e-5 of the largest) are dropped as rounding noise,
// and so are components beyond the data's numerical rank (a left vector that falls back into the
// span of the stronger ones), so fewer than `k` may come back.
SvdBasis truncated_svd(const Eigen::Ref<const Eigen::MatrixXf>& data, int k);

}  // namespace ethovid::facemap
