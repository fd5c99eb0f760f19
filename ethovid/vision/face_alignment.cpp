#include "ethovid/vision/face_alignment.hpp"

#include <Eigen/Dense>
#include <opencv2/imgproc.hpp>

namespace ethovid::vision {

FivePoints arcface_template(int size) {
  const float s = static_cast<float>(size) / 112.0f;
  return {cv::Point2f(38.2946f * s, 51.6963f * s), cv::Point2f(73.5318f * s, 51.5014f * s),
          cv::Point2f(56.0252f * s, 71.7366f * s), cv::Point2f(41.5493f * s, 92.3655f * s),
          cv::Point2f(70.7299f * s, 92.2041f * s)};
}

cv::Mat fit_similarity(const FivePoints& from, const FivePoints& to) {
  Eigen::Matrix<double, 2, 5> src, dst;
  for (int i = 0; i < 5; ++i) {
    src.col(i) << from[i].x, from[i].y;
    dst.col(i) << to[i].x, to[i].y;
  }
  const Eigen::Vector2d src_mean = src.rowwise().mean();
  const Eigen::Vector2d dst_mean = dst.rowwise().mean();
  const Eigen::Matrix<double, 2, 5> a = src.colwise() - src_mean;
  const Eigen::Matrix<double, 2, 5> b = dst.colwise() - dst_mean;
  const Eigen::Matrix2d covariance = b * a.transpose() / 5.0;
  Eigen::JacobiSVD<Eigen::Matrix2d> svd(covariance, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Matrix2d d = Eigen::Matrix2d::Identity();
  // A reflection would mirror the face; flip the weakest axis instead.
  if (svd.matrixU().determinant() * svd.matrixV().determinant() < 0) d(1, 1) = -1;
  const Eigen::Matrix2d rotation = svd.matrixU() * d * svd.matrixV().transpose();
  const double variance = a.squaredNorm() / 5.0;
  const double scale = variance > 0 ? (svd.singularValues().asDiagonal() * d).trace() / variance : 1.0;
  const Eigen::Vector2d shift = dst_mean - scale * rotation * src_mean;
  cv::Mat m(2, 3, CV_64F);
  for (int r = 0; r < 2; ++r) {
    m.at<double>(r, 0) = scale * rotation(r, 0);
    m.at<double>(r, 1) = scale * rotation(r, 1);
    m.at<double>(r, 2) = shift(r);
  }
  return m;
}

cv::Mat align_face(const cv::Mat& image, const FivePoints& points, int size) {
  const cv::Mat transform = fit_similarity(points, arcface_template(size));
  cv::Mat aligned;
  cv::warpAffine(image, aligned, transform, cv::Size(size, size), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  return aligned;
}

}  // namespace ethovid::vision
