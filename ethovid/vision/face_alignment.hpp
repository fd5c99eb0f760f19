#pragma once
// Aligns a face to the standard 112x112 ArcFace five-point template with a similarity transform
// (rotation, uniform scale, translation) fitted by least squares (Umeyama's method).
#include <opencv2/core.hpp>

#include "ethovid/vision/landmarker.hpp"

namespace ethovid::vision {

// The template's points for a `size` x `size` output (defined at 112, scaled linearly).
FivePoints arcface_template(int size = 112);

// 2x3 CV_64F matrix mapping `from` onto `to` with the least squared error.
cv::Mat fit_similarity(const FivePoints& from, const FivePoints& to);

// The aligned `size` x `size` crop; pixels beyond the image edge repeat the border, so a face at
// the edge never yields a grey or black band.
cv::Mat align_face(const cv::Mat& image, const FivePoints& points, int size = 112);

}  // namespace ethovid::vision
