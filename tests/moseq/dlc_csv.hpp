#pragma once
// Generated keypoints written as a single-animal DeepLabCut CSV (scorer / bodyparts / coords
// header rows, then frame, x, y, likelihood per bodypart), the pose file the moseq tests feed in.
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ethovid::moseq {

// The three header rows (scorer, bodyparts, coords) for these bodyparts.
inline void write_dlc_header(std::ostream& out, const std::vector<std::string>& bodyparts) {
  out << "scorer";
  for (std::size_t i = 0; i < bodyparts.size() * 3; ++i) out << ",gen";
  out << "\nbodyparts";
  for (const auto& p : bodyparts) out << "," << p << "," << p << "," << p;
  out << "\ncoords";
  for (std::size_t i = 0; i < bodyparts.size(); ++i) out << ",x,y,likelihood";
  out << "\n";
}

// Y: T x K*2, keypoint-major (x0, y0, x1, y1, ...), every point at `likelihood`.
inline void write_dlc_csv(const std::filesystem::path& file, const Eigen::MatrixXd& Y,
                          const std::vector<std::string>& bodyparts, double likelihood) {
  std::ofstream out(file);
  write_dlc_header(out, bodyparts);
  for (Eigen::Index t = 0; t < Y.rows(); ++t) {
    out << t;
    for (Eigen::Index k = 0; k < static_cast<Eigen::Index>(bodyparts.size()); ++k) {
      out << "," << Y(t, 2 * k) << "," << Y(t, 2 * k + 1) << "," << likelihood;
    }
    out << "\n";
  }
}

}  // namespace ethovid::moseq
