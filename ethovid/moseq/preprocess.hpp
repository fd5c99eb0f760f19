#pragma once
// From raw keypoints to what the model sees, as keypoint-moseq does it:
//   1. outliers: a keypoint further from the frame's medoid (per-coordinate median over the
//      keypoints) than median + outlier_scale_factor * MAD of its own distances is an outlier;
//   2. missing (NaN) and outlier keypoints are filled by linear interpolation in time (the edges
//      hold the nearest valid value; a keypoint never seen is 0) and get confidence 0;
//   3. egocentric alignment: centroid = mean of the keypoints, heading = angle from the mean of
//      the posterior to the mean of the anterior bodyparts; the pose is rotated by -heading, so
//      the animal faces +x;
//   4. the aligned keypoints are mapped through the K x (K-1) Helmert basis (orthonormal, free of
//      the centroid) and reduced by PCA.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/pose_recording.hpp"

namespace ethovid::moseq {

// The median of the finite values (the mean of the two middle ones for an even count); NaN when
// there are none.
double median_of_finite(std::vector<double> values);

// frames x keypoints, true where the keypoint is an outlier. Medians skip missing values.
std::vector<bool> find_outliers(const PoseRecording& recording, double outlier_scale_factor);

// Fills every keypoint where `replace` is true (and every NaN) by interpolation; sets their
// confidence to 0. Returns how many keypoint-frames were filled.
std::int64_t interpolate_keypoints(PoseRecording& recording, const std::vector<bool>& replace);

struct Aligned {
  Eigen::MatrixXd centroid;  // T x D
  Eigen::VectorXd heading;   // T, radians
  Eigen::MatrixXd pose;      // T x (K * D): keypoints relative to the centroid, rotated by -heading
};

// `anterior` and `posterior` index the recording's bodyparts; neither may be empty.
Aligned align_egocentric(const PoseRecording& recording, const std::vector<int>& anterior,
                         const std::vector<int>& posterior);

// The K x (K-1) Helmert basis: orthonormal columns, each orthogonal to the all-ones vector.
Eigen::MatrixXd center_embedding(int keypoints);

// Aligned poses (T x K*D, keypoint-major) in the embedded space: T x (K-1)*D.
Eigen::MatrixXd embed_poses(const Eigen::MatrixXd& aligned, int keypoints, int dims);

struct Pca {
  Eigen::VectorXd mean;        // F
  Eigen::MatrixXd components;  // F x F, columns by decreasing variance
  Eigen::VectorXd variance;    // explained variance per component
  Eigen::VectorXd explained_ratio() const;
  // The fewest components that explain `fraction` of the variance.
  int components_for(double fraction) const;
  Eigen::MatrixXd project(const Eigen::MatrixXd& rows, int latent_dim) const;  // N x latent_dim
};

// PCA of the rows (N x F); at most `max_rows` of them, drawn without replacement with `seed`.
Pca fit_pca(const Eigen::MatrixXd& rows, std::int64_t max_rows, std::uint64_t seed);

}  // namespace ethovid::moseq
