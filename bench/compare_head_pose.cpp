// Head pose from landmarks (solvePnP, the quality gate's choice) against the pose network, on faces
// whose pose is known or constrained:
//   - Yale faces (../shared/data/faces_identity/yalefaces): every subject faces the camera, so
//     yaw should be near 0;
//   - each face and its mirror image: the true yaws are exact opposites, so yaw + yaw_mirror
//     should be 0 (an estimator's bias shows here);
//   - the talking-head video: agreement of the two yaw and pitch traces over time (Pearson r).
// Also the time per face of each method, in this process.
//
//   compare_head_pose [SHARED_DATA_DIR]   (default ../shared/data)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "ethovid/core/image_file.hpp"
#include "ethovid/vision/face_detector.hpp"
#include "ethovid/vision/head_pose.hpp"
#include "ethovid/vision/landmarker.hpp"

namespace fs = std::filesystem;
using namespace ethovid::vision;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

struct Estimators {
  FaceDetector detector;
  Landmarker landmarker;
  PoseNetwork network;
  double points_seconds = 0, network_seconds = 0;
  int faces = 0;

  // Pose of the largest face by both methods; false when no face is found.
  bool both(const cv::Mat& image, HeadPose& points, HeadPose& net) {
    const auto faces_found = detector.detect(image);
    if (faces_found.empty()) return false;
    const auto face = *std::max_element(faces_found.begin(), faces_found.end(),
                                        [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
    const Landmarks68 marks = landmarker.locate(image, face.box);
    auto start = Clock::now();
    points = pose_from_landmarks(marks, image.size());
    points_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    start = Clock::now();
    net = network.estimate(image, face.box);
    network_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    ++faces;
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const fs::path shared = argc > 1 ? fs::path(argv[1]) : fs::path("../shared/data");
  if (!fs::exists(shared / "faces_identity/yalefaces")) {
    std::printf("skipped: %s has no faces_identity/yalefaces\n", shared.c_str());
    return 0;
  }
  cv::setNumThreads(1);
  const ModelConfig config = load_model_config(default_model_config_path());
  Estimators e{FaceDetector(config.detector), Landmarker(config.landmarks), PoseNetwork(*config.pose)};

  std::vector<double> yale_points, yale_net, mirror_points, mirror_net;
  for (const auto& entry : fs::directory_iterator(shared / "faces_identity/yalefaces")) {
    const cv::Mat image = ethovid::core::read_image(entry.path());
    cv::Mat mirrored;
    cv::flip(image, mirrored, 1);
    HeadPose p, n, pm, nm;
    if (!e.both(image, p, n) || !e.both(mirrored, pm, nm)) continue;
    yale_points.push_back(std::abs(p.yaw));
    yale_net.push_back(std::abs(n.yaw));
    mirror_points.push_back(std::abs(p.yaw + pm.yaw));
    mirror_net.push_back(std::abs(n.yaw + nm.yaw));
  }
  std::printf("Yale frontal faces (%zu): median |yaw| landmarks %.1f deg, network %.1f deg\n",
              yale_points.size(), median(yale_points), median(yale_net));
  std::printf("mirror pairs: median |yaw + yaw_mirror| landmarks %.1f deg, network %.1f deg\n",
              median(mirror_points), median(mirror_net));

  std::vector<double> yaw_points, yaw_net, pitch_points, pitch_net;
  cv::VideoCapture video((shared / "face_video/liveportrait_d6.mp4").string());
  cv::Mat frame;
  for (int t = 0; video.read(frame); ++t) {
    if (t % 4 != 0) continue;  // every 4th frame is plenty for a trace comparison
    HeadPose p, n;
    if (!e.both(frame, p, n)) continue;
    yaw_points.push_back(p.yaw);
    yaw_net.push_back(n.yaw);
    pitch_points.push_back(p.pitch);
    pitch_net.push_back(n.pitch);
  }
  std::printf("talking-head video (%zu frames): Pearson r yaw %.3f, pitch %.3f\n", yaw_points.size(),
              pearson(yaw_points, yaw_net), pearson(pitch_points, pitch_net));
  std::printf("time per face, one thread: landmarks->pose %.3f ms, pose network %.2f ms, ratio %.0fx\n",
              1e3 * e.points_seconds / e.faces, 1e3 * e.network_seconds / e.faces,
              e.network_seconds / e.points_seconds);
  return 0;
}
